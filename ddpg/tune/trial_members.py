"""A trial as a member of a study's population (ddpg.tune.study_loop): sampled, composed and
recorded in its run folder before it trains, or failed at once when its config is bad; told how
it ended once its run has.
"""

from __future__ import annotations

from collections.abc import Callable
from pathlib import Path
from typing import Any, Protocol

import optuna
from optuna.trial import TrialState

from ddpg.config.schema import ConfigError, RunConfig
from ddpg.launch.job import read_summary
from ddpg.tune.space import SearchSpace, overrides, sample
from ddpg.tune.storage import TuneSettings
from ddpg.tune.trial_names import trial_dirname
from ddpg.tune.trials import tell_outcome, worker_record, write_rejected, write_trial_records


class TrialBuilder(Protocol):
    """Compose a trial from its overrides: the validated RunConfig and the composed config as a
    plain mapping (for the run's .hydra/config.yaml). Raises ConfigError for a bad value."""

    def __call__(self, trial_overrides: list[str]) -> tuple[RunConfig, dict[str, Any]]: ...


Log = Callable[[str], None]
#: A trial in a slot: the trial, its validated config, its run folder.
Member = tuple[optuna.Trial, RunConfig, Path]


def prepare_member(
    study: optuna.Study,
    settings: TuneSettings,
    space: SearchSpace,
    build: TrialBuilder,
    base_overrides: list[str],
    trial: optuna.Trial,
    log: Log,
) -> Member | None:
    """Sample the trial, compose its config, write its records; None if its config is bad
    (the trial is failed with the message in its summary.json)."""
    values = sample(space, trial)
    trial_overrides = overrides(space, values)
    run_dir = Path(settings.dir) / trial_dirname(trial.number, values)
    trial.set_user_attr("run_dir", str(run_dir))
    trial.set_user_attr("overrides", trial_overrides)
    trial.set_user_attr("worker", worker_record())
    all_overrides = base_overrides + trial_overrides
    try:
        config, composed = build(trial_overrides)
    except ConfigError as error:
        write_trial_records(run_dir, study.study_name, trial, all_overrides, None)
        write_rejected(run_dir, trial_overrides, str(error))
        log(f"tune: trial {trial.number} failed: {error}")
        tell_outcome(study, trial.number, {"status": "failed"}, None)
        return None
    write_trial_records(run_dir, study.study_name, trial, all_overrides, composed)
    return trial, config, run_dir


def tell_ended(members: list[Member], study: optuna.Study, log: Log) -> None:
    """Tell every trial of `members` whose run has ended and that is not told yet."""
    for trial, _, run_dir in members:
        if study.get_trials(deepcopy=False)[trial.number].state != TrialState.RUNNING:
            continue
        summary = read_summary(run_dir / "summary.json")
        if summary.get("status") not in (None, "running"):
            tell_outcome(study, trial.number, summary, log)
