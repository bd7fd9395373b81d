"""Test-wide settings: quiet TF, headless rendering, the repo paths tests need, and the run
folders and trainers that tests in several packages build (import them from `conftest`)."""

import os
from pathlib import Path
from typing import Any

os.environ.setdefault("TF_CPP_MIN_LOG_LEVEL", "2")
os.environ.setdefault("SDL_VIDEODRIVER", "dummy")

import pytest

# tests/integration/processes.py holds asserts the integration tests share: report them as
# pytest reports a test's own.
pytest.register_assert_rewrite("processes")

REPO = Path(__file__).resolve().parents[1]


@pytest.fixture(autouse=True)
def _restore_hydra_version_base():
    """initialize_config_dir(version_base=...) sets a process-wide singleton, and with it Hydra's
    working-directory default: without this, a test that composes conf/ changes how a later
    test's launcher behaves (Hydra's launcher suites expect the unspecified base)."""
    from hydra.version import VersionBase

    before = VersionBase.instance().getbase()
    yield
    VersionBase.instance().version_base = before


@pytest.fixture
def repo() -> Path:
    """The repository root (where conf/ lives)."""
    return REPO


def tiny_config(
    width: int = 16, batch_size: int = 16, seed: int = 0, env: Any = None, **trainer: Any
) -> Any:
    """A RunConfig that trains in seconds: one hidden layer of `width` in each network, batches
    of `batch_size` after 50 warm-up steps, one evaluation episode, no progress bar; `trainer`
    keys replace its 400-step budget, evaluation every 200 steps and losses every 100."""
    from ddpg.config.schema import AgentConfig, EnvConfig, NetworkConfig, RunConfig, TrainerConfig

    settings = {"total_steps": 400, "eval_every": 200, "eval_episodes": 1, "log_every": 100}
    return RunConfig(
        seed=seed,
        env=EnvConfig() if env is None else env,
        network=NetworkConfig(name="tiny", actor_hidden=[width], critic_hidden=[width]),
        agent=AgentConfig(batch_size=batch_size, learning_starts=50),
        trainer=TrainerConfig(**{**settings, "progress": False, **trainer}),
    )


def tiny_member_config(
    seed: int = 0,
    *,
    total_steps: int,
    eval_every: int,
    hidden: tuple[int, ...] = (16,),
    batch_size: int = 16,
    learning_starts: int = 20,
    episode: int = 50,
    normalized: bool = False,
    progress: bool = False,
    **agent: Any,
) -> Any:
    """A population member's RunConfig that trains in a fraction of a second: Pendulum episodes
    of `episode` steps, `hidden` layers in each network, batches of `batch_size` after
    `learning_starts` steps, one evaluation episode every `eval_every` steps; `normalized`:
    running observation and reward (gamma 0.9) normalization; `agent` keys (tau, actor_lr...)
    replace the agent's defaults."""
    from ddpg.config.schema import (
        AgentConfig,
        EnvConfig,
        NetworkConfig,
        RewardNormConfig,
        RunConfig,
        TrainerConfig,
    )

    reward_norm = RewardNormConfig(name="running", gamma=0.9) if normalized else RewardNormConfig()
    return RunConfig(
        seed=seed,
        env=EnvConfig(max_episode_steps=episode, obs_norm="running" if normalized else "none"),
        reward_norm=reward_norm,
        network=NetworkConfig(name="tiny", actor_hidden=list(hidden), critic_hidden=list(hidden)),
        agent=AgentConfig(batch_size=batch_size, learning_starts=learning_starts, **agent),
        trainer=TrainerConfig(
            total_steps=total_steps,
            eval_every=eval_every,
            eval_episodes=1,
            progress=progress,
        ),
    )


def population_trainer(configs: list, run_dirs: list[Path]):
    """A Trainer for members `configs` writing into `run_dirs` (made here); `close()` after.

    What ddpg.launch.job.train_population does minus its summary records, for tests that look at the
    trainer's components after training.
    """
    from ddpg.population.build import build
    from ddpg.population.trainer import Trainer
    from ddpg.storage.metrics import MetricsWriter

    for run_dir in run_dirs:
        Path(run_dir).mkdir(parents=True, exist_ok=True)
    writers = [MetricsWriter(Path(d)) for d in run_dirs]
    trainer = Trainer(configs, build(configs), run_dirs, writers)

    def close() -> None:
        for writer in writers:
            writer.close()
        trainer.c.close()

    trainer.close = close  # type: ignore[attr-defined]
    return trainer


def poison_actor_learning_rate(trainer: Any, member: int) -> None:
    """Make `member`'s actor learning rate NaN: its first update makes its actor NaN while the
    update's losses are still finite, so it diverges at that step (the action check sees it)."""
    rates = trainer.c.agent.learner.actor_optimizer.learning_rate
    values = rates.numpy().copy()
    values[member] = float("nan")
    rates.assign(values)


def diverge_at_first_update(monkeypatch: pytest.MonkeyPatch, member: int) -> None:
    """Every population trainer started while `monkeypatch` lasts has `member`'s actor
    learning rate poisoned (poison_actor_learning_rate); one continued from a snapshot (tick
    past 0) is left alone: its snapshot holds the rate."""
    from ddpg.population.trainer import Trainer

    train = Trainer.train

    def diverging(trainer: Trainer) -> Any:
        if trainer.tick == 0:
            poison_actor_learning_rate(trainer, member)
        return train(trainer)

    monkeypatch.setattr(Trainer, "train", diverging)


def checkpointed_run(
    run_dir: Path, seed: int, steps: tuple[int, ...], status: str = "interrupted"
) -> None:
    """A run folder with a real checkpoint (a one-number payload, the default RunConfig with
    `seed`) at each of `steps`, and a summary.json saying `status` at the last of them: what
    resume= reads, without training."""
    import dataclasses
    import json

    import numpy as np

    from ddpg.config.schema import RunConfig
    from ddpg.storage.checkpoint import save_checkpoint

    config = dataclasses.asdict(RunConfig(seed=seed))
    for step in steps:
        state = {"config": config, "train": {"step": step}}
        save_checkpoint(run_dir / "checkpoints", step, {"x": np.full(3, step)}, state, keep=9)
    summary = {"status": status, "env_steps": steps[-1]}
    (run_dir / "summary.json").write_text(json.dumps(summary))
