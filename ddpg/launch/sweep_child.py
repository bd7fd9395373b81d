"""The sweep's training child, ``python -m ddpg.launch.sweep_child <launcher pid>``: a fresh
interpreter that reads its jobs' validated configs from stdin, trains them (one job, or one
population: ddpg.launch.job) and records how each ended in its summary.json, even when training
did not. It dies with the launcher (PR_SET_PDEATHSIG) and stops on the launcher's first SIGINT or
SIGTERM. The launching side, which starts it and waits for it, is ddpg.launch.sweep's.
"""

from __future__ import annotations

import contextlib
import ctypes
import json
import os
import signal
import sys
import traceback
from pathlib import Path
from types import FrameType

from ddpg.config.schema import ConfigError, RunConfig, from_mapping
from ddpg.launch.sweep import finish_summary
from ddpg.storage.files import write_json_atomic


def child_main(parent_pid: int) -> int:
    """The child: train the {"jobs": [(config, run_dir)...], "population", "status"} JSON from
    stdin (status: where a population keeps its progress, or null); the exit code says how."""
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
    # SLURM's time-limit/preemption warning (USR2, which submitit asks for) reaches every process
    # of the job. The launching process answers it and stops us with SIGTERM; by default USR2
    # would kill us at once, before we checkpoint and record how we ended.
    signal.signal(signal.SIGUSR2, signal.SIG_IGN)
    request = json.loads(sys.stdin.buffer.read())
    configs = [from_mapping(RunConfig, job["config"]) for job in request["jobs"]]
    run_dirs = [Path(job["run_dir"]) for job in request["jobs"]]
    from ddpg.algo.tf_startup import import_tensorflow
    from ddpg.launch.job import params_of, train_run

    import_tensorflow()  # the log starts with the jobs' output, not TF's start-up notices
    from ddpg.storage.metrics import write_final_metrics

    try:
        if request["population"]:
            from ddpg.launch.job import train_population

            status = request.get("status")
            summaries = train_population(
                configs, run_dirs, status_path=None if status is None else Path(status)
            )
        else:
            summaries = [train_run(configs[0], run_dirs[0])]
        for run_dir, summary, config in zip(run_dirs, summaries, configs, strict=True):
            write_final_metrics(run_dir, summary, config.trainer.total_steps)
        return 0
    except BaseException as error:  # recorded here unless training did
        if isinstance(error, KeyboardInterrupt):
            status, message, code = "interrupted", "interrupted", 130
        else:
            name = "" if isinstance(error, ConfigError) else f"{type(error).__name__}: "
            status, message, code = "failed", f"{name}{error}", 1
            traceback.print_exc()  # into the log
        for config, run_dir in zip(configs, run_dirs, strict=True):
            if not (run_dir / "params.json").exists():  # so compare can place the job
                write_json_atomic(run_dir / "params.json", params_of(config))
            finish_summary(run_dir, status, message)
        return code


if __name__ == "__main__":
    sys.exit(child_main(int(sys.argv[1])))
