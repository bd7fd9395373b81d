"""Learning check: DDPG with the default agent and network learns Pendulum on a short budget."""

import pytest

from ddpg.config.schema import EnvConfig, RunConfig, TrainerConfig
from ddpg.launch.job import train_run

pytestmark = pytest.mark.learning

RANDOM_POLICY_RETURN = -1200.0  # about what uniform random torques score on Pendulum-v1


def test_pendulum_beats_random_clearly_within_6000_steps(tmp_path):
    config = RunConfig(
        seed=0,
        env=EnvConfig(kwargs={"g": 10.0}),
        trainer=TrainerConfig(total_steps=6000, eval_every=3000, eval_episodes=5, progress=False),
    )
    summary = train_run(config, tmp_path)
    assert summary["status"] == "completed"
    assert summary["final_eval_return"] > -500.0 > RANDOM_POLICY_RETURN
