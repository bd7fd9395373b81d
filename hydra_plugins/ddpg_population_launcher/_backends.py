"""Where populations train: child processes on this machine, or one SLURM job each (submitit).

Both backends call `on_start(i)` when population i starts (SLURM: when it is submitted) and
`on_end(i, summaries)` with each member's summary when it has ended, from the calling (main)
thread, so the launcher's Hydra callbacks never run concurrently; between polls they call
`wait(seconds)` (the launcher shows the populations' progress meanwhile). On Ctrl-C or SIGTERM every
running population is stopped, its unrecorded members are marked "interrupted", and the
exception propagates.
"""

from __future__ import annotations

import signal
import threading
import time
from collections.abc import Callable, Iterator, Mapping
from dataclasses import dataclass, field
from pathlib import Path
from typing import Any

from ddpg.config.schema import RunConfig
from ddpg.launch.sweep import (
    TrainingChild,
    finish_summary,
    progress_path,
    raise_on_sigterm,
    stop_children,
    train_population_in_child,
)

POLL_S = 0.5  # how often finished children are looked for (training takes seconds at least)
SLURM_POLL_S = 5.0  # how often submitit asks SLURM (sacct) about the jobs

#: submitit's parameters common to every cluster; the others are SLURM's (prefix slurm_), which
#: submitit's local cluster ignores.
_GENERIC = (
    "timeout_min",
    "cpus_per_task",
    "gpus_per_node",
    "tasks_per_node",
    "mem_gb",
    "nodes",
    "name",
)

OnStart = Callable[[int], None]
OnEnd = Callable[[int, list[dict[str, Any]]], None]
Wait = Callable[[float], None]


@dataclass
class Population:
    """Members that train together: their configs, their run dirs, the one log file, and what
    their process adds to its environment (hydra.job.env_set)."""

    configs: list[RunConfig]
    run_dirs: list[Path]
    log_path: Path
    env_set: dict[str, str] = field(default_factory=dict)

    @property
    def status_path(self) -> Path:
        """Where its child keeps its progress (beside the log)."""
        return progress_path(self.log_path)


def train_local(
    populations: list[Population],
    n_workers: int,
    on_start: OnStart,
    on_end: OnEnd,
    wait: Wait = time.sleep,
) -> None:
    """Train each population in a fresh child process, at most `n_workers` at once, in order."""
    pending = list(range(len(populations)))
    running: dict[int, TrainingChild] = {}
    previous = raise_on_sigterm()
    previous_int = _interrupt_on_sigint()
    try:
        while pending or running:
            while pending and len(running) < n_workers:
                index = pending.pop(0)
                on_start(index)
                p = populations[index]
                running[index] = TrainingChild(
                    p.configs, p.run_dirs, p.log_path, population=True, env_set=p.env_set
                )
            for index, child in list(running.items()):
                if child.poll() is not None:
                    del running[index]
                    on_end(index, child.finish())
            if running:
                wait(POLL_S)
    except BaseException as stop:
        children = list(running.values())
        stop_children(children, signal.SIGINT if isinstance(stop, KeyboardInterrupt) else None)
        for child in children:
            child.mark_interrupted()
        raise
    finally:
        if previous is not None:
            signal.signal(signal.SIGTERM, previous)
        if previous_int is not None:
            signal.signal(signal.SIGINT, previous_int)


def _interrupt_on_sigint() -> Any:
    """Ctrl-C raises KeyboardInterrupt here even when SIGINT was inherited as ignored (a shell
    without job control starts background commands so): the populations must be stopped and
    recorded either way. Returns the handler to restore (None off the main thread)."""
    if threading.current_thread() is not threading.main_thread():
        return None
    return signal.signal(signal.SIGINT, signal.default_int_handler)


def train_slurm(
    populations: list[Population],
    settings: Mapping[str, Any],
    on_start: OnStart,
    on_end: OnEnd,
    cluster: str = "slurm",
    wait: Wait = time.sleep,
) -> None:
    """Submit each population as one task of a SLURM job array and wait for them all.

    On the node the population trains in a child process
    (ddpg.launch.sweep.train_population_in_child), as it would here. A SLURM job that ends without
    results (timeout, cancel, out of memory, node failure) marks its unrecorded members
    "interrupted" (resume= continues them), one whose code raised on the node "failed", with
    submitit's reason; the log says more. A lone population is a plain SLURM job, not an array
    task: submitit submits an array of one so.

    Args:
        settings: hydra.launcher.slurm: submitit_folder, name, the generic resources
            (timeout_min, cpus_per_task, ...) and SLURM's own (partition, account, setup, ...).
        cluster: submitit's cluster; "local" runs the same path without SLURM (tests).
    """
    import submitit  # only when used: Hydra imports launchers at every start-up

    if not populations:  # every job was rejected or had nothing to train
        return
    settings = dict(settings)
    for p in populations:  # a resumed sweep's: never shown while this one waits in the queue
        p.status_path.unlink(missing_ok=True)
    executor = submitit.AutoExecutor(folder=settings.pop("submitit_folder"), cluster=cluster)
    executor.update_parameters(
        **{k if k in _GENERIC else f"slurm_{k}": value for k, value in settings.items()}
    )
    try:
        jobs = executor.map_array(
            train_population_in_child,
            [p.configs for p in populations],
            [p.run_dirs for p in populations],
            [p.log_path for p in populations],
            [p.env_set for p in populations],
        )
    except submitit.core.utils.FailedJobError as error:  # sbatch refused: nothing was queued
        # ddpg.launch.slurm_check asks SLURM first; this is what it could not foresee.
        reason = str(error).strip().splitlines()[0] if str(error).strip() else repr(error)
        for i, p in enumerate(populations):
            on_start(i)
            summaries = [
                finish_summary(d, "failed", f"sbatch refused: {reason}") for d in p.run_dirs
            ]
            on_end(i, summaries)
        return
    ended: set[int] = set()
    for i in range(len(jobs)):
        on_start(i)
    try:
        for i, job in _as_completed(jobs, wait):
            try:
                summaries = job.result()
            except Exception as error:  # submitit's UncompletedJobError, FailedJobError, ...
                reason = str(error).strip().splitlines()[0] if str(error).strip() else repr(error)
                message = f"SLURM job {job.job_id} ended without results: {reason}"
                # Ended from outside (cancel, time limit, OOM, node failure): resume= continues
                # it. FailedJobError: the launching code itself raised on the node.
                failed = isinstance(error, submitit.core.utils.FailedJobError)
                status = "failed" if failed else "interrupted"
                summaries = [finish_summary(d, status, message) for d in populations[i].run_dirs]
            ended.add(i)
            on_end(i, summaries)
    except BaseException:
        for i, job in enumerate(jobs):
            if i not in ended:
                job.cancel(check=False)  # SLURM signals the node's processes; they checkpoint
                for run_dir in populations[i].run_dirs:
                    finish_summary(run_dir, "interrupted", "interrupted by the user")
        raise


def _as_completed(jobs: list[Any], wait: Wait) -> Iterator[tuple[int, Any]]:
    """(index, job) of each submitit job as it ends; as submitit.helpers.as_completed, asking
    SLURM every SLURM_POLL_S, but waiting through `wait`."""
    pending = list(range(len(jobs)))
    while pending:
        for i in list(pending):
            if jobs[i].done():
                pending.remove(i)
                yield i, jobs[i]
        if pending:
            wait(SLURM_POLL_S)
