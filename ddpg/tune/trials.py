"""A trial's records and fate: its run folder's extra files, its state from how its run ended,
and trials left RUNNING by a worker that died.

How a run's summary.json status becomes the trial's state (:func:`tell_outcome`):

- ``completed``, ``stopped_early``: COMPLETE, valued by the final eval return.
- ``diverged``: COMPLETE, valued by its last eval before divergence (the rule compare scores
  it by: an outcome of its setting), or FAIL if it diverged before its first eval.
- ``pruned``: PRUNED (told when the pruner stopped it; Optuna keeps the last report as value).
- ``failed``: FAIL (a bad config or a crash; asking it again would fail again).
- ``running`` (the worker was killed), ``interrupted`` (SIGINT/SIGTERM) or no summary: FAIL,
  its parameters enqueued as a new trial (user attribute ``retry_of``) and its run folder's
  summary marked ``failed`` with a note (a folder that never trained is removed). Such a
  retried trial does not count toward ``tune.n_trials``.
"""

from __future__ import annotations

import json
import math
import os
import shutil
import socket
from pathlib import Path
from typing import Any

import optuna
import yaml
from optuna.trial import FrozenTrial, TrialState

from ddpg.launch.job import read_summary
from ddpg.storage.files import write_json_atomic

FINISHED = (TrialState.COMPLETE, TrialState.PRUNED, TrialState.FAIL)
VALUED = ("completed", "stopped_early", "diverged")


class StudyInterrupted(Exception):
    """SIGINT or SIGTERM stopped the study; its unfinished trials are re-queued."""


def worker_record() -> dict[str, Any]:
    """Who trains a trial: host, pid and the process's start time (pids are reused)."""
    return {"host": socket.gethostname(), "pid": os.getpid(), "start": _start_time(os.getpid())}


def _start_time(pid: int) -> str | None:
    try:  # field 22 of /proc/<pid>/stat; the command name (field 2) may hold spaces
        return Path(f"/proc/{pid}/stat").read_text().rsplit(")", 1)[1].split()[19]
    except (OSError, IndexError):
        return None


def is_dead(worker: Any) -> bool:
    """Whether the worker that owns a RUNNING trial is known to be gone (this host only)."""
    if not isinstance(worker, dict) or worker.get("host") != socket.gethostname():
        return not isinstance(worker, dict)  # no record: killed between ask and record
    pid = int(worker.get("pid", -1))
    try:
        os.kill(pid, 0)
    except ProcessLookupError:
        return True
    except (PermissionError, OverflowError, ValueError):
        return False
    start = worker.get("start")
    return start is not None and _start_time(pid) not in (None, start)


def counted_trials(study: optuna.Study) -> list[FrozenTrial]:
    """The trials that count toward `tune.n_trials`: finished or running, less the failed ones
    whose parameters were asked again."""
    trials = study.get_trials(deepcopy=False)
    retried = {t.user_attrs.get("retry_of") for t in trials}
    return [
        t
        for t in trials
        if t.state == TrialState.RUNNING
        or (t.state in FINISHED and not (t.state == TrialState.FAIL and t.number in retried))
    ]


def recover_stale(study: optuna.Study, log: Any = print) -> None:
    """Settle the RUNNING trials whose worker on this host died: from their run's summary.json
    if it finished, else failed and asked again. Trials of live workers are left alone."""
    for trial in study.get_trials(deepcopy=False, states=(TrialState.RUNNING,)):
        worker = trial.user_attrs.get("worker")
        if not is_dead(worker):
            log(f"tune: trial {trial.number} is running in another process: {worker}")
            continue
        run_dir = trial.user_attrs.get("run_dir")
        summary = read_summary(Path(run_dir) / "summary.json") if run_dir else {}
        tell_outcome(study, trial.number, summary, log)


def tell_outcome(
    study: optuna.Study, number: int, summary: dict[str, Any], log: Any = print
) -> TrialState:
    """Tell trial `number` how its run ended (module docstring); a finished trial is left as is."""
    trial = study.get_trials(deepcopy=False)[number]
    if trial.state != TrialState.RUNNING:
        return trial.state
    status, final = summary.get("status"), summary.get("final_eval_return")
    if status == "pruned":
        study.tell(number, state=TrialState.PRUNED)
    elif status in VALUED and final is not None and math.isfinite(final):
        study.tell(number, float(final))
    elif status in (*VALUED, "failed"):
        study.tell(number, state=TrialState.FAIL)
    else:
        _mark_unfinished(trial, status)
        study.tell(number, state=TrialState.FAIL)
        study.enqueue_trial(trial.params, user_attrs={"retry_of": number})
        if log:
            log(
                f"tune: trial {number} stopped unfinished ({status or 'never trained'}); "
                "its parameters are asked again"
            )
        return TrialState.FAIL
    state = study.get_trials(deepcopy=False)[number].state
    if log:
        value = f" {final:.1f}" if state == TrialState.COMPLETE else ""
        log(f"tune: trial {number} {state.name.lower()}{value} ({status})")
    return state


def _mark_unfinished(trial: FrozenTrial, status: str | None) -> None:
    """Record in the run's summary.json that this run will not finish (status failed); a
    folder that never trained (only tune's records in it) is removed instead: no run."""
    run_dir = Path(str(trial.user_attrs.get("run_dir", "")))
    if not trial.user_attrs.get("run_dir") or not run_dir.is_dir():
        return
    if {p.name for p in run_dir.iterdir()} <= {"trial.json", ".hydra"}:
        shutil.rmtree(run_dir)
        return
    summary = read_summary(run_dir / "summary.json")
    note = (
        f"stopped unfinished ({status or 'never trained'}): Optuna trial {trial.number} failed "
        "and its parameters were asked again as a new trial"
    )
    write_json_atomic(run_dir / "summary.json", summary | {"status": "failed", "error": note})


def write_trial_records(
    run_dir: Path,
    study_name: str,
    trial: optuna.Trial,
    all_overrides: list[str],
    composed: dict[str, Any] | None,
) -> None:
    """trial.json (study, trial number, parameters, overrides) and Hydra's record of the run
    (.hydra/overrides.yaml, .hydra/config.yaml), as `python -m ddpg.run` would write it."""
    (run_dir / ".hydra").mkdir(parents=True, exist_ok=True)
    record = {
        "study": study_name,
        "trial": trial.number,
        "params": trial.params,
        "overrides": all_overrides,
    }
    write_json_atomic(run_dir / "trial.json", record)
    (run_dir / ".hydra" / "overrides.yaml").write_text(yaml.safe_dump(all_overrides))
    if composed is not None:
        (run_dir / ".hydra" / "config.yaml").write_text(yaml.safe_dump(composed, sort_keys=False))


def write_rejected(run_dir: Path, trial_overrides: list[str], error: str) -> None:
    """A trial whose config was rejected: its overrides as params.json, status failed."""
    params = {}
    for item in trial_overrides:
        key, _, value = item.partition("=")
        params[key] = yaml.safe_load(value)
    write_json_atomic(run_dir / "params.json", json.loads(json.dumps(params, default=str)))
    write_json_atomic(run_dir / "summary.json", {"status": "failed", "error": error})
