"""A smoke run in-process and through `python -m ddpg.run`, checked against the run-dir contract."""

import json
import subprocess
import sys
from pathlib import Path

import pandas as pd
import pytest
from tensorboard.backend.event_processing.event_accumulator import EventAccumulator

from ddpg.config import AgentConfig, NetworkConfig, RunConfig, TrainerConfig
from ddpg.job import train_run
from ddpg.metrics import METRIC_KEYS

pytestmark = pytest.mark.slow

ALWAYS_LOGGED = METRIC_KEYS  # every key of the contract appears in every run


def tiny_config(**trainer) -> RunConfig:
    return RunConfig(
        network=NetworkConfig(name="tiny", actor_hidden=[16], critic_hidden=[16]),
        agent=AgentConfig(batch_size=16, learning_starts=50),
        trainer=TrainerConfig(
            **{
                "total_steps": 400,
                "eval_every": 200,
                "eval_episodes": 1,
                "log_every": 100,
                "progress": False,
                **trainer,
            }
        ),
    )


def assert_run_contract(run_dir: Path, steps: int) -> None:
    for name in (
        "params.json",
        "scalars.csv",
        "summary.json",
        "policy/actor.weights.h5",
        "policy/policy.json",
    ):
        assert (run_dir / name).is_file(), name
    summary = json.loads((run_dir / "summary.json").read_text())
    assert summary["status"] == "completed" and summary["env_steps"] == steps
    params = json.loads((run_dir / "params.json").read_text())
    assert params["env.id"] == "Pendulum-v1" and "agent.tau" in params
    scalars = pd.read_csv(run_dir / "scalars.csv")
    assert list(scalars.columns) == ["step", "key", "value"]
    assert set(scalars.key) == ALWAYS_LOGGED
    assert scalars.step.max() == steps
    final_eval = scalars[scalars.key == "eval/return_mean"].value.iloc[-1]
    assert summary["final_eval_return"] == pytest.approx(final_eval)
    events = EventAccumulator(str(run_dir / "tb"), size_guidance={"tensors": 0}).Reload()
    tags = set(events.Tags()["tensors"])
    assert tags >= ALWAYS_LOGGED
    returns = events.Tensors("train/episode_return")
    assert [e.step for e in returns] == scalars[scalars.key == "train/episode_return"].step.tolist()


def test_in_process_run_writes_the_contract(tmp_path):
    summary = train_run(tiny_config(), tmp_path)
    assert summary["status"] == "completed"
    assert_run_contract(tmp_path, 400)


def test_module_run_writes_the_contract_and_quiet_bad_values(tmp_path, repo):
    run_dir = tmp_path / "run"
    command = [sys.executable, "-m", "ddpg.run", "+experiment=smoke", f"hydra.run.dir={run_dir}"]
    done = subprocess.run(command, cwd=repo, capture_output=True, text=True, timeout=300)
    assert done.returncode == 0, done.stderr
    assert_run_contract(run_dir, 300)
    (run_dir / "bad").mkdir()
    bad = subprocess.run(
        [*command[:-1], f"hydra.run.dir={run_dir / 'bad'}", "agent.tau=1.5"],
        cwd=repo,
        capture_output=True,
        text=True,
        timeout=300,
    )
    assert bad.returncode == 2
    assert "agent.tau=1.5" in bad.stderr and "Traceback" not in bad.stderr + bad.stdout
    assert json.loads((run_dir / "bad" / "summary.json").read_text())["status"] == "failed"
    assert not (run_dir / "bad" / "policy").exists()


def test_unknown_group_option_fails_with_hydras_message(tmp_path, repo):
    done = subprocess.run(
        [sys.executable, "-m", "ddpg.run", "network=no_such_net", f"hydra.run.dir={tmp_path}"],
        cwd=repo,
        capture_output=True,
        text=True,
        timeout=300,
    )
    assert done.returncode != 0
    assert "network/no_such_net" in done.stderr and "Traceback" not in done.stderr
    assert not (tmp_path / "summary.json").exists()  # nothing that looks like a run
