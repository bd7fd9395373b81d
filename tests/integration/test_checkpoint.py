"""Determinism, checkpoints and exact resume after SIGKILL or SIGTERM, damaged checkpoints.

"The same run" means bit-identical: scalars.csv, every TensorBoard scalar event (read with
TensorBoard's own loader, each (tag, step, value) exactly once), the saved policy and the whole
final checkpoint. Wall-clock scalars (perf/*) are the one exception.
"""

import dataclasses
import json
import re
import shutil
import signal
import subprocess
import sys
from pathlib import Path

import numpy as np
import pandas as pd
import pytest
from tensorboard.backend.event_processing.event_file_loader import EventFileLoader
from tensorboard.util import tensor_util

from ddpg.config.schema import ConfigError
from ddpg.evaluation.policy import load_policy
from ddpg.launch.job import train_run
from ddpg.launch.resume_plan import resume_target
from ddpg.storage.checkpoint import (
    find_checkpoint,
    list_checkpoints,
    load_checkpoint,
    read_checkpoint_state,
)
from ddpg.storage.metrics import SCALAR_KEYS

pytestmark = pytest.mark.slow

CHILD = Path(__file__).with_name("train_child.py")
sys.path.insert(0, str(CHILD.parent))
from processes import sigkill_at_step, wait_for_step  # noqa: E402
from train_child import config as child_config  # noqa: E402

#: Scalar tags two runs of the same seed must share; perf/* measures wall-clock time.
DETERMINISTIC_TAGS = frozenset(k for k in SCALAR_KEYS if not k.startswith("perf/"))


def deterministic_scalars(run_dir: Path) -> pd.DataFrame:
    """scalars.csv without wall-clock rows (perf/*), which no two runs share."""
    table = pd.read_csv(run_dir / "scalars.csv", dtype={"value": str})
    return table[~table.key.str.startswith("perf/")].reset_index(drop=True)


def tensorboard_scalars(run_dir: Path) -> list[tuple[str, int, float]]:
    """Every (tag, step, value) of a deterministic scalar in run_dir/tb, from every event file.

    Read record by record: TensorBoard's EventAccumulator would silently drop events that a
    restart logs again, which is exactly what these tests must see.
    """
    found = []
    for path in sorted((run_dir / "tb").glob("events.out.tfevents.*")):
        for event in EventFileLoader(str(path)).Load():
            for value in event.summary.value:
                if value.tag in DETERMINISTIC_TAGS:
                    number = float(tensor_util.make_ndarray(value.tensor))
                    found.append((value.tag, event.step, number))
    return found


def actor_weights(run_dir: Path) -> list[np.ndarray]:
    return load_policy(run_dir / "policy").actor.get_weights()


def assert_same_run(a: Path, b: Path) -> None:
    pd.testing.assert_frame_equal(deterministic_scalars(a), deterministic_scalars(b))
    events_a, events_b = tensorboard_scalars(a), tensorboard_scalars(b)
    assert len({(tag, step) for tag, step, _ in events_b}) == len(events_b)  # none twice
    assert sorted(events_a) == sorted(events_b)  # and none missing or different
    for wa, wb in zip(actor_weights(a), actor_weights(b), strict=True):
        np.testing.assert_array_equal(wa, wb)
    final_a = load_checkpoint(list_checkpoints(a / "checkpoints")[-1])[0]
    final_b = load_checkpoint(list_checkpoints(b / "checkpoints")[-1])[0]
    assert final_a.keys() == final_b.keys()
    for key in final_a:  # critic, targets, optimizers, replay buffer: all bit-identical
        np.testing.assert_array_equal(final_a[key], final_b[key], err_msg=key)


def run_child(run_dir: Path, *extra: str) -> subprocess.Popen:
    return subprocess.Popen([sys.executable, str(CHILD), str(run_dir), *extra])


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
    assert sorted(tensorboard_scalars(reference)) != sorted(tensorboard_scalars(tmp_path / "other"))


# Checkpoints fall at 400, 800 and 1200; the logs reach 600 (or 1000) at an episode end that
# takes no checkpoint, so the kill lands while the logs hold rows past the last checkpoint.
# 1000 is a whole episode, an evaluation and the final save away from the child's exit.
@pytest.mark.parametrize(("kill_after_step", "last_checkpoint"), [(600, 400), (1000, 800)])
def test_sigkill_between_checkpoints_then_resume_matches_uninterrupted(
    reference, tmp_path, kill_after_step, last_checkpoint
):
    child = run_child(tmp_path)
    sigkill_at_step(child, tmp_path, kill_after_step, "the child")
    assert child.returncode == -signal.SIGKILL  # killed, not exited on its own
    assert json.loads((tmp_path / "summary.json").read_text())["status"] == "running"
    # What the resume starts from: the last checkpoint, and logs that run past it.
    checkpoint_step = read_checkpoint_state(find_checkpoint(tmp_path))["train"]["step"]
    assert checkpoint_step == last_checkpoint
    logged = pd.read_csv(tmp_path / "scalars.csv", on_bad_lines="skip")
    assert logged.step.max() > checkpoint_step, "nothing for rewind_logs to drop"
    assert "eval/return_mean" in set(logged[logged.step > checkpoint_step].key)
    assert max(step for _, step, _ in tensorboard_scalars(tmp_path)) > checkpoint_step

    assert run_child(tmp_path, "resume").wait(timeout=300) == 0
    assert json.loads((tmp_path / "summary.json").read_text())["status"] == "completed"
    assert_same_run(reference, tmp_path)
    assert not list((tmp_path / "checkpoints").glob(".tmp-*"))  # no staging folder outlives a save


def test_sigterm_checkpoints_marks_interrupted_and_resumes_exactly(reference, tmp_path):
    child = run_child(tmp_path)
    wait_for_step(tmp_path, 500, child)
    child.send_signal(signal.SIGTERM)
    assert child.wait(timeout=120) != 0
    summary = json.loads((tmp_path / "summary.json").read_text())
    assert summary["status"] == "interrupted" and "SIGTERM" in summary["error"]
    assert find_checkpoint(tmp_path).name == f"step_{summary['env_steps']:09d}"
    assert run_child(tmp_path, "resume").wait(timeout=300) == 0
    assert_same_run(reference, tmp_path)


def test_damaged_checkpoint_is_named_and_the_previous_one_still_works(reference, tmp_path):
    run_dir = tmp_path / "run"
    shutil.copytree(reference, run_dir)
    newest, previous = list_checkpoints(run_dir / "checkpoints")[::-1][:2]
    summary = (run_dir / "summary.json").read_bytes()
    arrays = newest / "arrays.npz"
    arrays.write_bytes(arrays.read_bytes()[: arrays.stat().st_size // 2])  # truncated
    # resume_target reads state.json alone, so damaged arrays pass it unseen ...
    config, resumed_dir, checkpoint = resume_target(run_dir)
    assert (resumed_dir, checkpoint) == (run_dir, newest)
    assert config == dataclasses.replace(child_config(), resume=str(newest))
    # ... and training's one full load names them before it writes anything.
    with pytest.raises(ConfigError, match=re.escape(str(arrays))) as error:
        train_run(config, run_dir)
    assert previous.name in str(error.value) and "\n" not in str(error.value)
    assert (run_dir / "summary.json").read_bytes() == summary
    state = newest / "state.json"
    state.write_text(state.read_text()[:-20])  # truncated
    with pytest.raises(ConfigError, match=re.escape(str(state))) as error:
        resume_target(run_dir)
    assert previous.name in str(error.value) and "\n" not in str(error.value)
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
