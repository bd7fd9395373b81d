"""Sweep plumbing: each job trains in a fresh child process; job folder names; one HParams config.

Hydra's basic launcher runs every job of a sweep in one Python process, and each XLA compile
leaves memory mappings behind for the life of that process (~200 per compile, limit 65,530).
So :func:`train_in_child` trains each job in ``python -m ddpg.sweep``: a fresh interpreter that
gets the validated config on stdin, sets TensorFlow's threads before any op and writes its
output to ``<run_dir>/train.log``. The launching process never imports TensorFlow: Keras state,
compiled functions, writers and seeds cannot leak from one job to the next, with any launcher.
:class:`HParamsCallback` (``hydra.callbacks``) writes the sweep's HParams config into each job's
tb/, and the ``ddpg_job_dirname`` resolver names job folders after the swept values.
"""

from __future__ import annotations

import contextlib
import ctypes
import dataclasses
import hashlib
import json
import math
import os
import signal
import socket
import subprocess
import sys
import threading
import time
import traceback
from collections.abc import Sequence
from pathlib import Path
from types import FrameType
from typing import Any

from hydra.core.override_parser.overrides_parser import OverridesParser
from hydra.experimental.callback import Callback
from hydra.types import RunMode
from omegaconf import DictConfig, OmegaConf
from tensorboard.compat.proto import event_pb2
from tensorboard.plugins.hparams import summary_v2 as hp
from tensorboard.summary.writer.record_writer import RecordWriter

from ddpg.config import ConfigError, RunConfig, from_mapping
from ddpg.files import write_json_atomic
from ddpg.structured import field_type

#: Statuses a job's summary.json ends with; anything else means the child died unrecorded.
FINAL_STATUSES = ("completed", "stopped_early", "diverged", "failed", "interrupted")
#: The `hparams/*` scalars each job logs at its last step (see ddpg.metrics.write_final_metrics).
HPARAM_METRICS = {
    "hparams/final_eval_return": "final eval return",
    "hparams/best_eval_return": "best eval return",
    "hparams/steps_to_solve": "env steps to solve",
}
STOP_GRACE_S = 30.0  # time for a signalled child to finish its episode and checkpoint
NAME_MAX = 200  # job folder names stay well under the usual 255-byte limit
_swept_by_dir: dict[str, set[str]] = {}


def swept_keys(config: DictConfig) -> dict[str, list[Any] | None]:
    """The keys a sweep varies -> their values (None where a sweeper samples a range).

    Sweeper params first, then the command line, merged as Hydra's basic sweeper does (a later
    plain value of a key ends its sweep). Keys are as overridden: `reward_norm`, `agent.tau`.
    """
    params = config.hydra.sweeper.get("params") or {}
    lines = [f"{key}={value}" for key, value in params.items()]
    swept: dict[str, list[Any] | None] = {}
    for override in OverridesParser.create().parse_overrides(
        lines + list(config.hydra.overrides.task)
    ):
        swept.pop(override.key_or_group, None)
        if override.is_sweep_override() and not override.is_delete():
            values = list(override.sweep_iterator()) if override.is_discrete_sweep() else None
            swept[override.key_or_group] = values
    return swept


def job_dirname(num: int, task: Sequence[str], sweep_dir: str) -> str:
    """A job's folder name: `<num>_<key=value,...>` for the keys the sweep varies.

    The swept keys come from the sweep's multirun.yaml, which Hydra writes before any job
    starts (without one, every override is shown). The name is one safe path component: "/"
    becomes "_", and a long name is cut to NAME_MAX bytes plus a hash that keeps it unique.
    """
    if sweep_dir not in _swept_by_dir:
        with contextlib.suppress(Exception):  # no record of the sweep: show every override
            multirun = OmegaConf.load(Path(sweep_dir) / "multirun.yaml")
            assert isinstance(multirun, DictConfig)
            _swept_by_dir[sweep_dir] = set(swept_keys(multirun))
    swept = _swept_by_dir.get(sweep_dir)
    shown = sorted(
        f"{o.get_key_element()}={o.get_value_element_as_str()}"
        for o in OverridesParser.create().parse_overrides(list(task))
        if swept is None or o.key_or_group in swept
    )
    name = "".join("_" if c == "/" or ord(c) < 32 else c for c in ",".join(shown))
    if len(name.encode()) > NAME_MAX:
        digest = hashlib.sha1(name.encode()).hexdigest()[:8]
        name = name.encode()[: NAME_MAX - 9].decode(errors="ignore") + "~" + digest
    return f"{num}_{name}" if name else str(num)


OmegaConf.register_new_resolver("ddpg_job_dirname", job_dirname, replace=True)


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


class HParamsCallback(Callback):
    """Writes the sweep's HParams config (swept keys + seed, final metrics) into each job's tb/.

    TensorBoard lists every folder holding an event file as a run, so a config in the sweep root
    showed up as an empty run named "."; its HParams dashboard takes the config from whichever
    run holds one (all copies are the same), so each job that logged to tb/ carries it.
    """

    def on_job_end(self, config: DictConfig, job_return: Any, **kwargs: Any) -> None:
        """Called by Hydra in the job's process after each job; single runs need no config."""
        if config.hydra.mode != RunMode.MULTIRUN:
            return
        tb_dir = Path(str(config.hydra.runtime.output_dir)) / "tb"
        if not tb_dir.is_dir():  # rejected before training (or resumed elsewhere): no run here
            return
        try:  # the sweep as launched: its keys and values, written before any job started
            multirun = OmegaConf.load(Path(str(config.hydra.sweep.dir)) / "multirun.yaml")
            assert isinstance(multirun, DictConfig)
            hparams = swept_hparams(multirun)
        except Exception as error:  # an HParams table is not worth failing a job for
            print(f"warning: no HParams config for this sweep: {error}", file=sys.stderr)
            return
        metrics = [hp.Metric(tag, display_name=name) for tag, name in HPARAM_METRICS.items()]
        write_summary_event(tb_dir, hp.hparams_config_pb(hparams, metrics))


def swept_hparams(config: DictConfig) -> list[hp.HParam]:
    """The swept keys plus seed as HParams, named and typed as each job logs them.

    A swept config group such as `reward_norm` becomes `reward_norm.name`; keys that are not
    in the run config (an experiment preset) are left out. Domains list the swept values (for
    an unswept seed, its one value), as ddpg.metrics logs them: integers as strings.
    """
    swept = swept_keys(config)
    if "seed" not in swept:
        swept["seed"] = [OmegaConf.select(config, "seed", default=None)]
    hparams = []
    for key, values in swept.items():
        node = OmegaConf.select(config, key, default=None, throw_on_missing=False)
        if node is None:
            continue
        name = f"{key}.name" if isinstance(node, DictConfig) and "name" in node else key
        hparams.append(hp.HParam(name, _domain(values, field_type(RunConfig, name))))
    return hparams


def _domain(values: list[Any] | None, declared: Any) -> hp.Discrete | None:
    """A discrete domain of `values` in the type each job logs for the key (ddpg.metrics'
    _hparam_value of the value as declared): bools, floats, else strings (integers included,
    which the HParams table would print as 1.0000)."""
    if not values or any(v is None for v in values):
        return None
    kind = next((t for t in (int, float) if declared in (t, t | None)), None)
    if kind is not None:  # 1 for a float setting is logged as 1.0; a bad value stays as given
        with contextlib.suppress(TypeError, ValueError):
            values = [kind(v) for v in values]
    if all(isinstance(v, bool) for v in values):
        return hp.Discrete(values)
    if all(isinstance(v, float) and math.isfinite(v) for v in values):
        return hp.Discrete(values)
    return hp.Discrete([str(v) for v in values])


def write_summary_event(log_dir: Path, summary: Any) -> Path:
    """Write one event file holding `summary` at step 0 in TensorBoard's record format (no TF)."""
    log_dir.mkdir(parents=True, exist_ok=True)
    now = time.time()
    path = log_dir / f"events.out.tfevents.{int(now)}.{socket.gethostname()}.{os.getpid()}.hparams"
    with open(path, "wb") as f:
        records = RecordWriter(f)
        records.write(
            event_pb2.Event(wall_time=now, file_version="brain.Event:2").SerializeToString()
        )
        records.write(event_pb2.Event(wall_time=now, step=0, summary=summary).SerializeToString())
    return path


if __name__ == "__main__":
    sys.exit(_child_main(int(sys.argv[1])))
