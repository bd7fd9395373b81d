"""Determinism, checkpoints and exact resume after SIGKILL or SIGTERM, damaged checkpoints."""

import json
import signal
import subprocess
import sys
import time
from pathlib import Path

import numpy as np
import pandas as pd
import pytest

from ddpg.checkpoint import find_checkpoint, list_checkpoints, load_checkpoint
from ddpg.config import ConfigError
from ddpg.job import resume_target, train_run
from ddpg.policy import load_policy

pytestmark = pytest.mark.slow

CHILD = Path(__file__).with_name("train_child.py")
sys.path.insert(0, str(CHILD.parent))
from train_child import config as child_config  # noqa: E402


def deterministic_scalars(run_dir: Path) -> pd.DataFrame:
    """scalars.csv without wall-clock rows (perf/*), which no two runs share."""
    table = pd.read_csv(run_dir / "scalars.csv", dtype={"value": str})
    return table[~table.key.str.startswith("perf/")].reset_index(drop=True)


def actor_weights(run_dir: Path) -> list[np.ndarray]:
    return load_policy(run_dir / "policy").actor.get_weights()


def assert_same_run(a: Path, b: Path) -> None:
    pd.testing.assert_frame_equal(deterministic_scalars(a), deterministic_scalars(b))
    for wa, wb in zip(actor_weights(a), actor_weights(b), strict=True):
        np.testing.assert_array_equal(wa, wb)
    final_a = load_checkpoint(list_checkpoints(a / "checkpoints")[-1])[0]
    final_b = load_checkpoint(list_checkpoints(b / "checkpoints")[-1])[0]
    assert final_a.keys() == final_b.keys()
    for key in final_a:  # critic, targets, optimizers, replay buffer: all bit-identical
        np.testing.assert_array_equal(final_a[key], final_b[key], err_msg=key)


def run_child(run_dir: Path, *extra: str) -> subprocess.Popen:
    return subprocess.Popen([sys.executable, str(CHILD), str(run_dir), *extra])


def wait_for_step(run_dir: Path, step: int, process: subprocess.Popen) -> None:
    deadline = time.monotonic() + 240
    while time.monotonic() < deadline and process.poll() is None:
        try:
            logged = pd.read_csv(run_dir / "scalars.csv").step.max()
        except (OSError, ValueError, pd.errors.EmptyDataError):
            logged = -1
        if logged >= step:
            return
        time.sleep(0.01)
    raise AssertionError(f"child never reached step {step} (exit {process.poll()})")


@pytest.fixture(scope="module")
def reference(tmp_path_factory) -> Path:
    """The uninterrupted run every interrupted one must reproduce."""
    run_dir = tmp_path_factory.mktemp("reference")
    assert run_child(run_dir).wait(timeout=300) == 0
    return run_dir


def test_same_seed_gives_identical_runs_and_other_seeds_differ(reference, tmp_path):
    again = tmp_path / "again"
    train_run(child_config(), again)
    assert_same_run(reference, again)
    other = child_config()
    other.seed = 4
    train_run(other, tmp_path / "other")
    assert not deterministic_scalars(reference).equals(deterministic_scalars(tmp_path / "other"))


@pytest.mark.parametrize("kill_after_step", [250, 700, 1150])
def test_sigkill_at_any_point_then_resume_matches_uninterrupted(
    reference, tmp_path, kill_after_step
):
    child = run_child(tmp_path)
    wait_for_step(tmp_path, kill_after_step, child)
    child.send_signal(signal.SIGKILL)
    child.wait(timeout=60)
    assert child.returncode == -signal.SIGKILL
    assert json.loads((tmp_path / "summary.json").read_text())["status"] == "running"
    assert run_child(tmp_path, "resume").wait(timeout=300) == 0
    assert json.loads((tmp_path / "summary.json").read_text())["status"] == "completed"
    assert_same_run(reference, tmp_path)


def test_sigterm_checkpoints_marks_interrupted_and_resumes_exactly(reference, tmp_path):
    child = run_child(tmp_path)
    wait_for_step(tmp_path, 500, child)
    child.send_signal(signal.SIGTERM)
    assert child.wait(timeout=120) != 0
    summary = json.loads((tmp_path / "summary.json").read_text())
    assert summary["status"] == "interrupted" and "SIGTERM" in summary["error"]
    assert summary["env_steps"] % 200 == 0  # stopped at the end of an episode, checkpointed there
    assert find_checkpoint(tmp_path).name == f"step_{summary['env_steps']:09d}"
    assert run_child(tmp_path, "resume").wait(timeout=300) == 0
    assert_same_run(reference, tmp_path)


def test_damaged_checkpoint_is_named_and_the_previous_one_still_works(reference, tmp_path):
    import shutil

    run_dir = tmp_path / "run"
    shutil.copytree(reference, run_dir)
    newest, previous = list_checkpoints(run_dir / "checkpoints")[::-1][:2]
    arrays = newest / "arrays.npz"
    arrays.write_bytes(arrays.read_bytes()[: arrays.stat().st_size // 2])  # truncated
    with pytest.raises(ConfigError, match=str(arrays)) as error:
        resume_target(run_dir)
    assert previous.name in str(error.value)
    config, resumed_dir, checkpoint = resume_target(previous)
    assert (resumed_dir, checkpoint) == (run_dir, previous)


def test_resume_paths_without_checkpoints_are_rejected(tmp_path):
    with pytest.raises(ConfigError, match="no such directory"):
        resume_target(tmp_path / "missing")
    with pytest.raises(ConfigError, match="holds no checkpoint"):
        resume_target(tmp_path)


def run_cli(repo: Path, *overrides: str) -> subprocess.CompletedProcess:
    """`python -m ddpg.run OVERRIDES` to completion, output captured."""
    command = [sys.executable, "-m", "ddpg.run", *overrides]
    return subprocess.run(command, cwd=repo, capture_output=True, text=True, timeout=300)


def test_cli_sigterm_then_resume_continues_the_same_run_directory(tmp_path, repo):
    run_dir = tmp_path / "run"
    base = [sys.executable, "-m", "ddpg.run"]
    train = [*base, "+experiment=smoke", "trainer.total_steps=1600", "trainer.checkpoint_every=200"]
    child = subprocess.Popen([*train, f"hydra.run.dir={run_dir}"], cwd=repo)
    wait_for_step(run_dir, 400, child)
    child.send_signal(signal.SIGTERM)
    assert child.wait(timeout=120) != 0
    assert json.loads((run_dir / "summary.json").read_text())["status"] == "interrupted"
    done = run_cli(repo, f"resume={run_dir}", f"hydra.run.dir={tmp_path / 'resume-log'}")
    assert done.returncode == 0, done.stderr
    summary = json.loads((run_dir / "summary.json").read_text())
    assert (summary["status"], summary["env_steps"]) == ("completed", 1600)
    scalars = pd.read_csv(run_dir / "scalars.csv")
    assert not scalars.duplicated(["step", "key"]).any()  # no step logged twice
    returns = scalars[scalars.key == "train/episode_return"].step.tolist()
    assert returns == list(range(200, 1601, 200))  # and none missing
    bad = run_cli(repo, f"resume={tmp_path / 'missing'}", f"hydra.run.dir={tmp_path / 'bad'}")
    assert bad.returncode == 2 and "no such directory" in bad.stderr
    assert "Traceback" not in bad.stderr
