"""Child processes the integration tests start: waiting on what a child writes while it runs,
and stopping it on cue."""

from __future__ import annotations

import signal
import subprocess
import time
from collections.abc import Callable
from pathlib import Path

import pandas as pd


def wait_for_step(run_dir: Path, step: int, process: subprocess.Popen) -> None:
    """Return once scalars.csv holds `step` (the child flushes at episode ends)."""
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


def sigkill_at_step(process: subprocess.Popen, run_dir: Path, step: int, who: str) -> None:
    """SIGKILL `process` (`who`, for the failure) once `run_dir`'s scalars.csv holds `step`,
    and reap it; fails if it finished first."""
    wait_for_step(run_dir, step, process)
    assert process.poll() is None, f"{who} finished before it could be killed"
    process.send_signal(signal.SIGKILL)
    process.wait(timeout=60)


def wait_while_running(
    process: subprocess.Popen[str],
    done: Callable[[], bool],
    timeout: float,
    poll_s: float,
    message: str | None = None,
) -> None:
    """Poll `done` every `poll_s` seconds until it holds; fails with `message` (by default the
    process's output) if the process ends or `timeout` passes first."""
    deadline = time.monotonic() + timeout
    while not done():
        assert process.poll() is None and time.monotonic() < deadline, (
            process.communicate()[0] if message is None else message
        )
        time.sleep(poll_s)
