"""Sweep jobs train in fresh child processes, whatever the launcher.

Hydra's basic launcher runs every job of a sweep in one Python process, and each XLA compile
leaves memory mappings behind for the life of that process (~200 per compile, limit 65,530).
So :func:`train_in_child` trains each job in ``python -m ddpg.sweep``: a fresh interpreter that
gets the validated config on stdin, sets TensorFlow's threads before any op and writes its
output to ``<run_dir>/train.log``. The launching process never imports TensorFlow: Keras state,
compiled functions, writers and seeds cannot leak from one job to the next, with any launcher.
Job folder names are ddpg.job_names'; the sweep's HParams config is ddpg.sweep_hparams'.
"""

from __future__ import annotations

import contextlib
import ctypes
import dataclasses
import json
import os
import signal
import subprocess
import sys
import threading
import traceback
from pathlib import Path
from types import FrameType
from typing import Any

from ddpg.config import ConfigError, RunConfig, from_mapping
from ddpg.files import write_json_atomic

#: Statuses a job's summary.json ends with; anything else means the child died unrecorded.
FINAL_STATUSES = ("completed", "stopped_early", "diverged", "failed", "interrupted")
STOP_GRACE_S = 30.0  # time for a signalled child to finish its episode and checkpoint


def train_in_child(config: RunConfig, run_dir: Path) -> dict[str, Any]:
    """Train one job in a fresh `python -m ddpg.sweep` and return its summary.

    The child's summary.json is authoritative; a child that died without recording how it
    ended (killed, segfault, out of memory) gets a "failed" summary naming its exit status.
    The child has a session of its own, so a terminal's Ctrl-C reaches it once, from here:
    SIGINT or SIGTERM here is passed on (the trainer checkpoints and records "interrupted";
    after STOP_GRACE_S the child is killed) and then re-raised.
    """
    run_dir = Path(run_dir)
    run_dir.mkdir(parents=True, exist_ok=True)
    with open(run_dir / "train.log", "ab") as log:
        child = subprocess.Popen(
            [sys.executable, "-m", "ddpg.sweep", str(os.getpid())],
            stdin=subprocess.PIPE,
            stdout=log,
            stderr=subprocess.STDOUT,
            start_new_session=True,
        )
    previous = _raise_on_sigterm()
    try:
        assert child.stdin is not None
        with contextlib.suppress(BrokenPipeError):  # a child that died at start-up
            job = {"config": dataclasses.asdict(config), "run_dir": str(run_dir)}
            child.stdin.write(json.dumps(job).encode())
            child.stdin.close()
        returncode = child.wait()
    except BaseException as stop:
        _stop(child, signal.SIGINT if isinstance(stop, KeyboardInterrupt) else signal.SIGTERM)
        _finish_summary(run_dir, "interrupted", "interrupted by the user")
        raise
    finally:
        if previous is not None:
            signal.signal(signal.SIGTERM, previous)
    if returncode < 0:
        error = f"job process killed by {signal.Signals(-returncode).name} (see train.log)"
    else:
        error = f"job process exited with code {returncode} (see train.log)"
    return _finish_summary(run_dir, "failed", error)


def _raise_on_sigterm() -> Any:
    """Turn SIGTERM into SystemExit while a child runs, unless something else handles SIGTERM
    (submitit does; SLURM signals every process of a job)."""
    if threading.current_thread() is not threading.main_thread():
        return None
    if signal.getsignal(signal.SIGTERM) is not signal.SIG_DFL:
        return None

    def handler(signum: int, frame: FrameType | None) -> None:
        raise SystemExit(128 + signum)

    return signal.signal(signal.SIGTERM, handler)


def _stop(child: subprocess.Popen[bytes], signum: int) -> None:
    """Pass `signum` on, give the child time to checkpoint and record "interrupted", then kill."""
    for sig in (signum, signal.SIGKILL):
        if child.poll() is not None:
            return
        child.send_signal(sig)
        with contextlib.suppress(subprocess.TimeoutExpired):
            child.wait(STOP_GRACE_S)


def _finish_summary(run_dir: Path, status: str, error: str) -> dict[str, Any]:
    """The job's summary; if it does not say how the job ended, record `status` and `error`."""
    summary_path = run_dir / "summary.json"
    try:
        summary = json.loads(summary_path.read_text())
    except (OSError, ValueError):  # missing: the job died before train_run wrote one
        summary = {}
    if summary.get("status") in FINAL_STATUSES:
        return summary
    summary.update(status=status, error=error)
    write_json_atomic(summary_path, summary)
    return summary


def _child_main(parent_pid: int) -> int:
    """The child: train the (config, run_dir) JSON from stdin; the exit code says how."""
    with contextlib.suppress(OSError, AttributeError):  # Linux: SIGTERM us if the launcher dies
        ctypes.CDLL(None, use_errno=True).prctl(1, int(signal.SIGTERM))  # PR_SET_PDEATHSIG
    if os.getppid() != parent_pid:  # it died before prctl took effect
        return 1
    first_signal = True

    def interrupt(signum: int, frame: FrameType | None) -> None:
        nonlocal first_signal  # the trainer has its own handlers while it trains
        if first_signal:
            first_signal = False
            raise KeyboardInterrupt

    signal.signal(signal.SIGINT, interrupt)
    signal.signal(signal.SIGTERM, interrupt)
    job = json.loads(sys.stdin.buffer.read())
    config, run_dir = from_mapping(RunConfig, job["config"]), Path(job["run_dir"])
    from ddpg.job import params_of, train_run
    from ddpg.tf_startup import import_tensorflow

    import_tensorflow()  # train.log starts with the job's output, not TF's start-up notices
    from ddpg.metrics import write_final_metrics

    try:
        write_final_metrics(run_dir, train_run(config, run_dir))
        return 0
    except BaseException as error:  # recorded here unless train_run did
        if isinstance(error, KeyboardInterrupt):
            status, message, code = "interrupted", "interrupted", 130
        else:
            name = "" if isinstance(error, ConfigError) else f"{type(error).__name__}: "
            status, message, code = "failed", f"{name}{error}", 1
            traceback.print_exc()  # into train.log
        if not (run_dir / "params.json").exists():  # so compare can place the job
            write_json_atomic(run_dir / "params.json", params_of(config))
        _finish_summary(run_dir, status, message)
        return code


if __name__ == "__main__":
    sys.exit(_child_main(int(sys.argv[1])))
