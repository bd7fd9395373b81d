"""Sweep jobs train in fresh child processes, whatever the launcher: one job, or one population.

Hydra's basic launcher runs every job of a sweep in one Python process, and each XLA compile
leaves memory mappings behind for the life of that process (~200 per compile, limit 65,530).
So :func:`train_in_child` trains each job in ``python -m ddpg.launch.sweep_child`` (that module
is the child's side): a fresh interpreter that gets the validated config on stdin, sets
TensorFlow's threads before any op and writes its output to ``<run_dir>/train.log``. The
launching process never imports TensorFlow: Keras state, compiled functions, writers and seeds
cannot leak from one job to the next, with any launcher.
The population launcher (hydra_plugins.ddpg_population_launcher) uses the same child for K jobs
at once (:class:`TrainingChild` with ``population=True``: ``ddpg.launch.job.train_population``),
with one log file for the population, and beside it the population's progress
(:func:`progress_path`), which the launcher shows while it waits. Job folder names are
ddpg.launch.job_names'; the sweep's HParams config is ddpg.launch.sweep_hparams'.
"""

from __future__ import annotations

import contextlib
import dataclasses
import json
import os
import signal
import subprocess
import sys
import threading
import time
from collections.abc import Mapping, Sequence
from pathlib import Path
from types import FrameType
from typing import Any

from ddpg.config.schema import RunConfig
from ddpg.storage.files import write_json_atomic

#: Statuses a job's summary.json ends with; anything else means the child died unrecorded.
FINAL_STATUSES = ("completed", "stopped_early", "pruned", "diverged", "failed", "interrupted")
STOP_GRACE_S = 30.0  # time for a signalled child to finish its episode and checkpoint


def progress_path(log_path: Path) -> Path:
    """Where a population's child keeps its progress (ddpg.population.progress's status file):
    beside its log, `<n>.log` -> `<n>.progress.json`."""
    return Path(log_path).with_suffix(".progress.json")


class TrainingChild:
    """A started `python -m ddpg.launch.sweep_child` training `run_dirs` (one job, or one
    population).

    The child has a session of its own, so a terminal's Ctrl-C reaches it once, from the
    launcher (:func:`stop_children`); it dies with the launcher (PR_SET_PDEATHSIG). The jobs go
    to its stdin from a thread, so starting a population of many configs never blocks. Its
    environment is the launcher's plus `env_set` (the jobs' hydra.job.env_set: Hydra's run_job
    sets it only around the task function, in the launcher's process).
    """

    def __init__(
        self,
        configs: Sequence[RunConfig],
        run_dirs: Sequence[Path],
        log_path: Path,
        population: bool = False,
        env_set: Mapping[str, str] | None = None,
    ) -> None:
        if len(configs) != len(run_dirs) or not configs or (len(configs) > 1 and not population):
            raise ValueError("one run_dir per config; more than one job only as a population")
        self.run_dirs = [Path(run_dir) for run_dir in run_dirs]
        self.log_path = Path(log_path)
        self.population = population
        for run_dir in (*self.run_dirs, self.log_path.parent):
            run_dir.mkdir(parents=True, exist_ok=True)
        status = progress_path(self.log_path) if population else None
        if status is not None:  # a resumed sweep's: never shown as this training's
            status.unlink(missing_ok=True)
        with open(self.log_path, "ab") as log:
            if population:  # which jobs this log belongs to
                log.write(
                    f"population of {len(configs)}: {', '.join(map(str, run_dirs))}\n".encode()
                )
                log.flush()
            self.process = subprocess.Popen(
                [sys.executable, "-m", "ddpg.launch.sweep_child", str(os.getpid())],
                stdin=subprocess.PIPE,
                stdout=log,
                stderr=subprocess.STDOUT,
                start_new_session=True,
                env={**os.environ, **(env_set or {})},
            )
        jobs = [
            {"config": dataclasses.asdict(config), "run_dir": str(run_dir)}
            for config, run_dir in zip(configs, self.run_dirs, strict=True)
        ]
        request = {"jobs": jobs, "population": population, "status": status and str(status)}
        payload = json.dumps(request).encode()
        threading.Thread(target=self._send, args=(payload,), daemon=True).start()

    def _send(self, payload: bytes) -> None:
        stdin = self.process.stdin
        assert stdin is not None
        with contextlib.suppress(BrokenPipeError, OSError):  # a child that died at start-up
            stdin.write(payload)
            stdin.close()

    def poll(self) -> int | None:
        """The child's exit status, or None while it runs."""
        return self.process.poll()

    def finish(self) -> list[dict[str, Any]]:
        """Each job's summary once the child has exited. summary.json is authoritative: a job
        the child recorded (finished, diverged, ...) keeps its record. One it did not record is
        "interrupted" when a signal killed the child (SIGKILL, the OOM killer: `resume=`
        continues it from its last checkpoint) and "failed" when the child exited by itself;
        the error names the signal or exit status and the log."""
        returncode = self.process.wait()
        who = "population" if self.population else "job"
        log = self.log_path.name if self.log_path.parent in self.run_dirs else str(self.log_path)
        if returncode < 0:
            status = "interrupted"
            error = f"{who} process killed by {signal.Signals(-returncode).name} (see {log})"
        else:
            status, error = "failed", f"{who} process exited with code {returncode} (see {log})"
        return [finish_summary(run_dir, status, error) for run_dir in self.run_dirs]

    def mark_interrupted(self) -> list[dict[str, Any]]:
        """Record "interrupted" for the jobs the stopped child left without a final status."""
        return [finish_summary(d, "interrupted", "interrupted by the user") for d in self.run_dirs]


def train_in_child(config: RunConfig, run_dir: Path) -> dict[str, Any]:
    """Train one job in a fresh `python -m ddpg.launch.sweep_child` and return its summary.

    SIGINT or SIGTERM here is passed on (the trainer checkpoints and records "interrupted";
    after STOP_GRACE_S the child is killed) and then re-raised. See :class:`TrainingChild`.
    """
    run_dir = Path(run_dir)
    return _run_to_end(TrainingChild([config], [run_dir], run_dir / "train.log"))[0]


def train_population_in_child(
    configs: Sequence[RunConfig],
    run_dirs: Sequence[Path],
    log_path: Path,
    env_set: Mapping[str, str] | None = None,
) -> list[dict[str, Any]]:
    """Train `configs` as one population in a fresh child (`ddpg.launch.job.train_population`),
    with `env_set` added to its environment, and return each member's summary, in order;
    signals as :func:`train_in_child`."""
    return _run_to_end(TrainingChild(configs, run_dirs, log_path, True, env_set))


def _run_to_end(child: TrainingChild) -> list[dict[str, Any]]:
    previous = raise_on_sigterm()
    try:
        child.process.wait()
    except BaseException as stop:
        stop_children([child], signal.SIGINT if isinstance(stop, KeyboardInterrupt) else None)
        child.mark_interrupted()
        raise
    finally:
        if previous is not None:
            signal.signal(signal.SIGTERM, previous)
    return child.finish()


def raise_on_sigterm() -> Any:
    """Turn SIGTERM into SystemExit while children run, unless something else handles SIGTERM
    (submitit does; SLURM signals every process of a job). Returns the handler to restore."""
    if threading.current_thread() is not threading.main_thread():
        return None
    if signal.getsignal(signal.SIGTERM) is not signal.SIG_DFL:
        return None

    def handler(signum: int, frame: FrameType | None) -> None:
        raise SystemExit(128 + signum)

    return signal.signal(signal.SIGTERM, handler)


def stop_children(children: Sequence[TrainingChild], signum: int | None = None) -> None:
    """Pass `signum` (SIGTERM if None) to every child, give them STOP_GRACE_S together to
    checkpoint and record "interrupted", then kill the ones still running."""
    for sig in (signum or signal.SIGTERM, signal.SIGKILL):
        running = [c.process for c in children if c.poll() is None]
        for process in running:
            with contextlib.suppress(ProcessLookupError):
                process.send_signal(sig)
        deadline = time.monotonic() + STOP_GRACE_S
        for process in running:
            with contextlib.suppress(subprocess.TimeoutExpired):
                process.wait(max(0.0, deadline - time.monotonic()))


def finish_summary(run_dir: Path, status: str, error: str) -> dict[str, Any]:
    """The job's summary; if it does not say how the job ended, record `status` and `error`."""
    summary_path = Path(run_dir) / "summary.json"
    try:
        summary = json.loads(summary_path.read_text())
    except (OSError, ValueError):  # missing: the job died before train_run wrote one
        summary = {}
    if summary.get("status") in FINAL_STATUSES:
        return summary
    summary.update(status=status, error=error)
    write_json_atomic(summary_path, summary)
    return summary
