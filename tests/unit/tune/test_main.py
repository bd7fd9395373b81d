"""ddpg.tune without training: composing trials with Hydra, checking the space against the real
config, and the overrides a best-trial command keeps (the closing report: test_report.py)."""

from __future__ import annotations

from collections.abc import Iterator
from pathlib import Path

import pytest
import yaml
from hydra import compose, initialize_config_dir
from omegaconf import DictConfig

from ddpg.config.schema import ConfigError
from ddpg.tune.__main__ import HydraTrials, base_overrides, check_space
from ddpg.tune.space import parse_space

RUN = ["env=pendulum", "trainer.total_steps=300", "env.warmup_steps=100"]  # reaches an update
TASK = [*RUN[:1], "tune.n_trials=4", "search=ddpg", *RUN[1:]]


@pytest.fixture
def cfg(repo: Path) -> Iterator[DictConfig]:
    with initialize_config_dir(str(repo / "conf"), version_base="1.3"):
        yield compose(config_name="tune", overrides=TASK)


def test_the_tune_config_composes_with_the_run_groups(cfg: DictConfig) -> None:
    assert cfg.tune.study == "pendulum_ddpg" and cfg.tune.storage.endswith("journal.log")
    assert cfg.tune.dir == "outputs/tune/pendulum_ddpg" and cfg.search.name == "ddpg"
    assert cfg.trainer.total_steps == 300 and cfg.agent.name == "ddpg"


def test_a_trial_composes_as_ddpg_run_would(cfg: DictConfig) -> None:
    config, composed = HydraTrials(TASK)(["noise=ou", "agent.gamma=0.95", "network=mlp256"])
    assert config.noise.name == "ou" and config.network.actor_hidden == [256, 256]
    assert config.agent.gamma == 0.95 and config.reward_norm.gamma == 0.95  # it follows gamma
    assert config.trainer.total_steps == 300
    assert "tune" not in composed and "search" not in composed
    assert composed["noise"]["name"] == "ou"
    with pytest.raises(ConfigError, match="agent.tau=5.0 is invalid"):
        HydraTrials(TASK)(["agent.tau=5.0"])


def test_the_shipped_spaces_pass_the_checks(cfg: DictConfig, repo: Path) -> None:
    for name in ("ddpg", "ddpg_members"):
        space = parse_space(yaml.safe_load((repo / "conf" / "search" / f"{name}.yaml").read_text()))
        check_space(space, cfg, HydraTrials(TASK))


@pytest.mark.parametrize(
    ("dimension", "message"),
    [
        (
            {"name": "agent.gama", "type": "float", "low": 0.9, "high": 0.99},
            "search dimension 'agent.gama': unknown config key 'agent.gama'",
        ),
        (
            {"name": "agent", "type": "float", "low": 0.9, "high": 0.99},
            "config group agent takes categorical choices",
        ),
        (
            {"name": "network", "type": "categorical", "choices": ["mlp64", "mlp9"]},
            "'mlp9' is none of them",
        ),
        (
            {"name": "trainer", "type": "categorical", "choices": [1, 2]},
            "trainer is a group of keys",
        ),
        (
            {"name": "tune.n_trials", "type": "int", "low": 1, "high": 3},
            "unknown config key 'tune.n_trials'",
        ),
        (
            {"name": "agent.tau", "type": "float", "low": 0.5, "high": 2.0},
            "search dimension 'agent.tau' at 2.0: agent.tau=2.0 is invalid",
        ),
    ],
)
def test_bad_dimensions_are_refused_before_any_trial(
    cfg: DictConfig, dimension: dict, message: str
) -> None:
    with pytest.raises(ConfigError) as error:
        check_space(parse_space({"dimensions": [dimension]}), cfg, HydraTrials(TASK))
    assert message in str(error.value) and "\n" not in str(error.value)


def test_the_best_trial_command_keeps_only_run_overrides() -> None:
    task = [*TASK, "hydra.verbose=true", "tune.pruner=none", "seed=3", "+experiment=smoke"]
    kept = [*RUN, "seed=3", "+experiment=smoke"]
    assert base_overrides(task) == kept
