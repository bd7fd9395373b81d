"""ddpg.launch.sweep's child processes without training: what a child that dies, exits or will not
stop leaves in its jobs' summaries (a stand-in `python` that never reads its jobs)."""

from __future__ import annotations

import json
import stat
import sys
import time
from pathlib import Path

import pytest

from ddpg.config.schema import RunConfig
from ddpg.launch import sweep


def fake_python(tmp_path: Path, monkeypatch: pytest.MonkeyPatch, body: str) -> None:
    script = tmp_path / "python"
    script.write_text(f"#!/bin/sh\n{body}\n")
    script.chmod(script.stat().st_mode | stat.S_IEXEC)
    monkeypatch.setattr(sys, "executable", str(script))


def read(run_dir: Path) -> dict:
    return json.loads((run_dir / "summary.json").read_text())


def test_a_population_killed_by_a_signal_leaves_its_members_interrupted(tmp_path, monkeypatch):
    """Interrupted, not failed: `resume=` continues them (SIGKILL, the OOM killer)."""
    fake_python(tmp_path, monkeypatch, "kill -9 $$")
    run_dirs = [tmp_path / "a", tmp_path / "b"]
    log = tmp_path / "populations" / "0.log"

    found = sweep.train_population_in_child([RunConfig(), RunConfig(seed=1)], run_dirs, log)

    error = f"population process killed by SIGKILL (see {log})"
    assert found == [{"status": "interrupted", "error": error}] * 2
    assert [read(d) for d in run_dirs] == found
    assert log.read_text().splitlines()[0] == f"population of 2: {run_dirs[0]}, {run_dirs[1]}"


def test_an_exit_code_fails_the_unrecorded_and_a_recorded_end_is_kept(tmp_path, monkeypatch):
    fake_python(tmp_path, monkeypatch, "exit 3")
    done, lost = tmp_path / "done", tmp_path / "lost"
    done.mkdir()
    (done / "summary.json").write_text(json.dumps({"status": "completed", "final": 1.0}))

    child = sweep.TrainingChild([RunConfig()] * 2, [done, lost], tmp_path / "p.log", True)
    while child.poll() is None:
        time.sleep(0.05)

    assert child.finish() == [
        {"status": "completed", "final": 1.0},
        {
            "status": "failed",
            "error": f"population process exited with code 3 (see {tmp_path / 'p.log'})",
        },
    ]


def test_a_single_job_names_its_own_train_log(tmp_path, monkeypatch):
    fake_python(tmp_path, monkeypatch, "exit 1")
    summary = sweep.train_in_child(RunConfig(), tmp_path / "job")
    assert summary["error"] == "job process exited with code 1 (see train.log)"
    assert (tmp_path / "job" / "train.log").exists()


def test_children_that_ignore_the_signal_are_killed_after_the_grace(tmp_path, monkeypatch):
    fake_python(tmp_path, monkeypatch, "trap '' TERM INT\nwhile true; do sleep 0.1; done")
    monkeypatch.setattr(sweep, "STOP_GRACE_S", 0.5)
    children = [
        sweep.TrainingChild([RunConfig()], [tmp_path / name], tmp_path / f"{name}.log")
        for name in ("a", "b")
    ]
    time.sleep(0.3)  # the shells have set their traps

    started = time.monotonic()
    sweep.stop_children(children)

    assert time.monotonic() - started < 5  # one grace for all, not one each
    assert [child.poll() for child in children] == [-9, -9]
    assert [c.mark_interrupted()[0]["status"] for c in children] == ["interrupted"] * 2


def test_more_than_one_job_needs_a_population(tmp_path: Path) -> None:
    with pytest.raises(ValueError, match="one run_dir per config"):
        sweep.TrainingChild([RunConfig()] * 2, [tmp_path / "a", tmp_path / "b"], tmp_path / "l")
    with pytest.raises(ValueError, match="one run_dir per config"):
        sweep.TrainingChild([RunConfig()], [], tmp_path / "l", population=True)


def test_the_child_gets_its_env_set(tmp_path, monkeypatch):
    """hydra.job.env_set reaches the training process, added to the launcher's environment."""
    fake_python(tmp_path, monkeypatch, f'echo "$DDPG_TEST_A $HOME" > {tmp_path}/env.txt')
    monkeypatch.setenv("HOME", "/home/here")
    child = sweep.TrainingChild(
        [RunConfig()], [tmp_path / "job"], tmp_path / "job.log", env_set={"DDPG_TEST_A": "1"}
    )
    child.finish()
    assert (tmp_path / "env.txt").read_text() == "1 /home/here\n"
