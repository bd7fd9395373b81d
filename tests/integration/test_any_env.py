"""Any gymnasium id on the command line describes itself truthfully, and "solved" only ever means
a real evaluation at or above a real threshold."""

import json
import os
import subprocess
import sys

import numpy as np
import pytest
from conftest import population_trainer

from ddpg.config.schema import EnvConfig, NetworkConfig, RunConfig, TrainerConfig
from ddpg.population.train_state import summary_of

pytestmark = pytest.mark.slow


def test_the_env_id_alone_is_not_a_false_solve(tmp_path, repo):
    # The case: this used to write `..._pendulum_seed0`, keep Pendulum's g and -200,
    # and report steps_to_solve 300 for an untrained MountainCar policy (about -0.1 per step).
    env = {k: v for k, v in os.environ.items() if k != "TF_CPP_MIN_LOG_LEVEL"}
    env["PYTHONPATH"] = str(repo)  # this checkout's ddpg, run from tmp_path (outputs/ go there)
    overrides = ["env.id=MountainCarContinuous-v0", "trainer.total_steps=300"]
    overrides += ["trainer.eval_episodes=1", "trainer.progress=false", "env.warmup_steps=100"]
    done = subprocess.run(
        [sys.executable, "-m", "ddpg.run", *overrides],
        cwd=tmp_path,
        env=env,
        capture_output=True,
        text=True,
        timeout=300,
    )
    assert done.returncode == 0, done.stderr
    (run_dir,) = (tmp_path / "outputs" / "runs").iterdir()
    assert run_dir.name.endswith("_mountain_car_continuous_v0_seed0")
    summary = json.loads((run_dir / "summary.json").read_text())
    assert (summary["env_id"], summary["episodes"], summary["env_steps"]) == (
        "MountainCarContinuous-v0",
        0,  # a 999-step episode does not finish in 300 steps
        300,
    )
    assert summary["solved_score"] == 90.0  # the spec's reward_threshold, not Pendulum's -200
    assert summary["final_eval_return"] < 90.0 and summary["steps_to_solve"] is None
    params = json.loads((run_dir / "params.json").read_text())
    assert params["env.kwargs"] == {} and params["env.name"] == "mountain_car_continuous_v0"
    assert params["env.total_steps"] == 1_000_000  # the stated generic default, overridden
    assert "solved       not reached (eval >= 90)" in done.stdout


@pytest.fixture
def trainer(tmp_path):
    """A Pendulum trainer (20-step episodes) that has not trained: every eval mean is < 0."""
    config = RunConfig(
        env=EnvConfig(id="Pendulum-v1", max_episode_steps=20),
        network=NetworkConfig(name="tiny", actor_hidden=[8], critic_hidden=[8]),
        trainer=TrainerConfig(eval_episodes=1, progress=False),
    )
    trainer = population_trainer([config], [tmp_path])
    yield trainer
    trainer.close()


@pytest.mark.parametrize(
    ("solved_score", "steps_to_solve"),
    [(None, None), (-1e6, 7), (0.0, None)],  # no threshold, one below every return, one above
)
def test_steps_to_solve_needs_an_eval_at_or_above_a_threshold(
    trainer, solved_score, steps_to_solve
):
    config, state = trainer.configs[0], trainer.states[0]
    config.env.solved_score = solved_score  # what summary_of reports
    trainer.records.solved_scores[0] = solved_score  # what the records compare evals with
    state.step = 7
    trainer._evaluate(np.array([0]))
    mean = state.final_eval_return
    assert -16.3 * 20 <= mean <= 0  # Pendulum's reward is in [-16.3, 0] per step
    state.step = 9
    trainer._evaluate(np.array([0]))  # the first solving evaluation counts, not a later one
    summary = summary_of(state, config, 1.0, "completed")
    assert (summary["solved_score"], summary["steps_to_solve"]) == (solved_score, steps_to_solve)
