"""Sweep plumbing: each job trains in a fresh child process; the sweep root gets one HParams config.

Hydra's basic launcher runs every job of a sweep in one Python process, and each XLA compile
leaves memory mappings behind for the life of that process (~200 per compile, limit 65,530), so
:func:`train_in_child` runs each job's training in ``python -m ddpg.sweep``: a fresh interpreter
that sets TensorFlow's threads before any op, gets the validated config on stdin and writes its
output to ``<run_dir>/train.log``. The launcher's process never imports TensorFlow, so Keras
state, compiled functions, writers and seeds cannot leak from one job to the next, and the same
code serves the joblib and submitit launchers. :class:`HParamsCallback` (``hydra.callbacks``)
writes the sweep's HParams config once, to the sweep root, without TensorFlow.
"""

from __future__ import annotations

import contextlib
import ctypes
import hashlib
import json
import os
import pickle
import signal
import socket
import subprocess
import sys
import threading
import time
from pathlib import Path
from types import FrameType
from typing import Any

from hydra.core.override_parser.overrides_parser import OverridesParser
from hydra.experimental.callback import Callback
from omegaconf import DictConfig, OmegaConf
from tensorboard.compat.proto import event_pb2
from tensorboard.plugins.hparams import summary_v2 as hp
from tensorboard.summary.writer.record_writer import RecordWriter

from ddpg.config import RunConfig
from ddpg.files import write_json_atomic

#: Statuses a job's summary.json ends with; anything else means the child died unrecorded.
FINAL_STATUSES = ("completed", "stopped_early", "diverged", "failed", "interrupted")
#: The `hparams/*` scalars each job logs at its last step (see ddpg.metrics.write_final_metrics).
HPARAM_METRICS = {
    "hparams/final_eval_return": "final eval return",
    "hparams/best_eval_return": "best eval return",
    "hparams/steps_to_solve": "env steps to solve",
}
STOP_GRACE_S = 10.0  # a child stopping on SIGTERM records "interrupted"; then it is killed
NAME_MAX = 200  # job folder names stay well under the usual 255-byte limit


def job_dirname(num: int, override_dirname: str) -> str:
    """A job folder name: `<num>_<overrides>`, one path component whatever the values hold."""
    name = "".join("_" if c == "/" or ord(c) < 32 else c for c in override_dirname)
    if len(name.encode()) > NAME_MAX:  # keep a readable prefix; the hash keeps names distinct
        digest = hashlib.sha1(name.encode()).hexdigest()[:8]
        name = name.encode()[: NAME_MAX - 9].decode(errors="ignore") + "~" + digest
    return f"{num}_{name}" if name else str(num)


OmegaConf.register_new_resolver("ddpg_job_dirname", job_dirname, replace=True)


def train_in_child(config: RunConfig, run_dir: Path) -> dict[str, Any]:
    """Train one job in a fresh `python -m ddpg.sweep` and return its summary.

    The child's summary.json is authoritative; a child that died without recording how it
    ended (killed, segfault, out of memory) gets a "failed" summary naming its exit status.
    SIGINT or SIGTERM here stops the child (it records "interrupted") and is re-raised.
    """
    run_dir = Path(run_dir)
    run_dir.mkdir(parents=True, exist_ok=True)
    with open(run_dir / "train.log", "ab") as log:
        child = subprocess.Popen(
            [sys.executable, "-m", "ddpg.sweep", str(os.getpid())],
            stdin=subprocess.PIPE,
            stdout=log,
            stderr=subprocess.STDOUT,
        )
    previous = _raise_on_sigterm()
    try:
        assert child.stdin is not None
        with contextlib.suppress(BrokenPipeError):  # a child that died at start-up
            child.stdin.write(pickle.dumps((config, str(run_dir))))
            child.stdin.close()
        returncode = child.wait()
    except BaseException:
        _stop(child)
        _record_death(run_dir, child.returncode, interrupted=True)
        raise
    finally:
        if previous is not None:
            signal.signal(signal.SIGTERM, previous)
    return _record_death(run_dir, returncode, interrupted=False)


def _raise_on_sigterm() -> Any:
    """Turn SIGTERM into SystemExit while a child runs, unless someone else handles SIGTERM.

    Submitit, for one, installs its own SIGTERM handler; SLURM signals every process of the job.
    """
    if threading.current_thread() is not threading.main_thread():
        return None
    if signal.getsignal(signal.SIGTERM) is not signal.SIG_DFL:
        return None

    def handler(signum: int, frame: FrameType | None) -> None:
        raise SystemExit(128 + signum)

    return signal.signal(signal.SIGTERM, handler)


def _stop(child: subprocess.Popen[bytes]) -> None:
    """SIGTERM the child, give it time to record "interrupted", then kill it."""
    for stop in (child.terminate, child.kill):
        if child.poll() is not None:
            return
        stop()
        with contextlib.suppress(subprocess.TimeoutExpired):
            child.wait(STOP_GRACE_S)


def _record_death(run_dir: Path, returncode: int | None, interrupted: bool) -> dict[str, Any]:
    """The child's summary; if it ended unrecorded, record why and return that."""
    summary_path = run_dir / "summary.json"
    try:
        summary = json.loads(summary_path.read_text())
    except (OSError, ValueError):  # missing: the child died before train_run wrote one
        summary = {}
    if summary.get("status") in FINAL_STATUSES:
        return summary
    if interrupted:
        status, error = "interrupted", "interrupted by the user"
    elif returncode is not None and returncode < 0:
        name = signal.Signals(-returncode).name
        status, error = "failed", f"job process killed by {name} (see train.log)"
    else:
        status, error = "failed", f"job process exited with code {returncode} (see train.log)"
    summary.update(status=status, error=error)
    write_json_atomic(summary_path, summary)
    return summary


def _child_main(parent_pid: int) -> int:
    """Entry point of the child: train the pickled (config, run_dir) from stdin."""
    _die_with_parent(parent_pid)
    first_signal = True

    def interrupt(signum: int, frame: FrameType | None) -> None:
        nonlocal first_signal  # SIGINT and SIGTERM both arrive on Ctrl-C: interrupt only once
        if first_signal:
            first_signal = False
            raise KeyboardInterrupt

    signal.signal(signal.SIGINT, interrupt)
    signal.signal(signal.SIGTERM, interrupt)
    config, run_dir = pickle.load(sys.stdin.buffer)
    from ddpg.job import train_run
    from ddpg.metrics import write_final_metrics

    try:
        summary = train_run(config, Path(run_dir))
        write_final_metrics(Path(run_dir), summary)
    except KeyboardInterrupt:
        return 130
    except Exception as error:  # train_run recorded it; say it here too, for train.log
        print(f"error: {type(error).__name__}: {error}", file=sys.stderr)
        return 1
    return 0


def _die_with_parent(parent_pid: int) -> None:
    """Ask Linux to SIGTERM this process if the launcher dies, so no job trains orphaned."""
    with contextlib.suppress(OSError, AttributeError):
        pr_set_pdeathsig = 1
        ctypes.CDLL(None, use_errno=True).prctl(pr_set_pdeathsig, int(signal.SIGTERM))
    if os.getppid() != parent_pid:  # the parent died before prctl took effect
        sys.exit(1)


class HParamsCallback(Callback):
    """Writes the HParams config (swept keys + seed, final metrics) to the sweep root, once."""

    def on_multirun_start(self, config: DictConfig, **kwargs: Any) -> None:
        """Called by Hydra in the launching process before any job starts."""
        try:
            hparams = swept_hparams(config)
            sweep_dir = Path(str(config.hydra.sweep.dir))
        except Exception as error:  # an HParams table is not worth failing a sweep for
            print(f"warning: no HParams config for this sweep: {error}", file=sys.stderr)
            return
        metrics = [hp.Metric(tag, display_name=name) for tag, name in HPARAM_METRICS.items()]
        write_summary_event(sweep_dir, hp.hparams_config_pb(hparams, metrics))


def swept_hparams(config: DictConfig) -> list[hp.HParam]:
    """The keys a sweep varies (sweeper params, then command line), plus seed, as HParams.

    Names are params.json keys, as each job logs them: a swept config group such as
    `reward_norm` becomes `reward_norm.name`; keys that are not in the run config (an
    experiment preset) are left out. Discrete domains list the swept values.
    """
    params = config.hydra.sweeper.get("params") or {}
    lines = [f"{key}={value}" for key, value in params.items()]
    lines += list(config.hydra.overrides.task)
    swept: dict[str, list[Any] | None] = {}
    for override in OverridesParser.create().parse_overrides(lines):
        key = override.key_or_group
        swept.pop(key, None)  # a later override of a key replaces an earlier sweep of it
        if override.is_sweep_override() and not override.is_delete():
            discrete = override.is_discrete_sweep()
            swept[key] = list(override.sweep_iterator()) if discrete else None
    swept.setdefault("seed", None)
    hparams = []
    for key, values in swept.items():
        node = OmegaConf.select(config, key, default=None, throw_on_missing=False)
        if node is None:
            continue
        name = f"{key}.name" if isinstance(node, DictConfig) and "name" in node else key
        hparams.append(hp.HParam(name, _domain(values)))
    return hparams


def _domain(values: list[Any] | None) -> hp.Discrete | None:
    if not values:
        return None
    if all(isinstance(v, bool) for v in values):
        return hp.Discrete(values)
    if all(isinstance(v, int | float) and not isinstance(v, bool) for v in values):
        same = all(isinstance(v, int) for v in values)
        return hp.Discrete(values if same else [float(v) for v in values])
    return hp.Discrete([v if isinstance(v, str) else str(v) for v in values])


def write_summary_event(log_dir: Path, summary: Any) -> Path:
    """Write one event file holding `summary` at step 0, with TensorBoard's own record format."""
    log_dir.mkdir(parents=True, exist_ok=True)
    now = time.time()
    path = log_dir / f"events.out.tfevents.{int(now)}.{socket.gethostname()}.{os.getpid()}.hparams"
    records = RecordWriter(open(path, "wb"))  # noqa: SIM115 (closed below)
    try:
        records.write(event_pb2.Event(wall_time=now, file_version="brain.Event:2").SerializeToString())
        records.write(event_pb2.Event(wall_time=now, step=0, summary=summary).SerializeToString())
    finally:
        records.close()
    return path


if __name__ == "__main__":
    sys.exit(_child_main(int(sys.argv[1])))
