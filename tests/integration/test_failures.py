"""Failures during training: divergence is recorded with its step, output errors are clear."""

import json

import gymnasium as gym
import numpy as np
import pytest
from conftest import tiny_config

from ddpg.config.schema import EnvConfig, RunConfig
from ddpg.launch.job import train_run
from ddpg.storage.checkpoint import list_checkpoints

pytestmark = pytest.mark.slow


class NaNAfter(gym.Wrapper):
    """Pendulum whose rewards turn NaN after `steps` env steps: a stand-in for a blow-up."""

    def __init__(self, env: gym.Env, steps: int) -> None:
        super().__init__(env)
        self.steps, self.count = steps, 0

    def step(self, action):
        obs, reward, terminated, truncated, info = self.env.step(action)
        self.count += 1
        return obs, (np.nan if self.count > self.steps else reward), terminated, truncated, info


gym.register(
    "NaNPendulum-v0",
    entry_point=lambda render_mode=None, steps=500: NaNAfter(
        gym.make("Pendulum-v1", render_mode=render_mode).unwrapped, steps
    ),
    max_episode_steps=200,
)


def config(**env) -> RunConfig:
    settings = {"total_steps": 1000, "eval_every": 1000, "checkpoint_every": 200, "log_every": 250}
    return tiny_config(env=EnvConfig(**env), **settings)


def test_divergence_stops_the_run_names_it_and_keeps_the_last_good_checkpoint(tmp_path):
    summary = train_run(config(id="NaNPendulum-v0", kwargs={"steps": 500}), tmp_path)
    assert summary["status"] == "diverged"
    assert "loss/critic" in summary["error"] and "not finite" in summary["error"]
    on_disk = json.loads((tmp_path / "summary.json").read_text())
    assert on_disk["status"] == "diverged" and on_disk["env_steps"] == summary["env_steps"]
    assert 500 < summary["env_steps"] < 520  # stopped within a few steps of the first NaN
    assert [p.name for p in list_checkpoints(tmp_path / "checkpoints")][-1] == "step_000000400"


def test_output_path_that_is_a_file_gives_a_clear_error(tmp_path):
    blocker = tmp_path / "taken"
    blocker.write_text("not a directory")
    with pytest.raises(OSError, match="taken"):
        train_run(config(), blocker / "run")
