"""Test-wide settings: quiet TF, headless rendering, the repo paths tests need, and the run
folders and trainers that tests in several packages build (import them from `conftest`)."""

import os
from pathlib import Path
from typing import Any

os.environ.setdefault("TF_CPP_MIN_LOG_LEVEL", "2")
os.environ.setdefault("SDL_VIDEODRIVER", "dummy")

import pytest

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
