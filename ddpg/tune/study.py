"""An Optuna study whose trials are runs: batches of asked trials trained as populations.

Each batch of `tune.population` asked trials is split by shape (ddpg.population.keys) into
populations; every member reports each periodic eval with `trial.report`, and a member the
pruner stops is told PRUNED at once and frozen (its slot stays empty until its population ends:
the trainer cannot start a new member mid-run). How each run ended becomes the trial's state
(:func:`ddpg.tune.trials.tell_outcome`); a run that was stopped unfinished is failed and its
parameters asked again. No Hydra here: ``ddpg.tune`` passes in how a trial is composed.
"""

from __future__ import annotations

import math
from collections.abc import Callable
from pathlib import Path
from typing import TYPE_CHECKING, Any, Protocol

import optuna
from optuna.trial import TrialState
from tqdm import tqdm

from ddpg.config.schema import ConfigError, RunConfig
from ddpg.launch.job import params_of, read_summary
from ddpg.population.keys import group_jobs
from ddpg.tune.space import SearchSpace, overrides, sample
from ddpg.tune.storage import TuneSettings
from ddpg.tune.trial_names import trial_dirname
from ddpg.tune.trials import (
    StudyInterrupted,
    counted_trials,
    recover_stale,
    tell_outcome,
    worker_record,
    write_rejected,
    write_trial_records,
)

if TYPE_CHECKING:
    from ddpg.population.trainer import OnEval


class TrialBuilder(Protocol):
    """Compose a trial from its overrides: the validated RunConfig and the composed config as a
    plain mapping (for the run's .hydra/config.yaml). Raises ConfigError for a bad value."""

    def __call__(self, trial_overrides: list[str]) -> tuple[RunConfig, dict[str, Any]]: ...


Train = Callable[[list[RunConfig], list[Path], "OnEval | None"], list[dict[str, Any]]]
Log = Callable[[str], None]


def run_study(
    study: optuna.Study,
    settings: TuneSettings,
    space: SearchSpace,
    build: TrialBuilder,
    base_overrides: list[str],
    train: Train | None = None,
    log: Log = tqdm.write,
) -> None:
    """Ask, train and tell trials until the study has `settings.n_trials`. `log` gets the
    study's lines; the default writes them above the training's progress bar, never into it.

    Raises:
        StudyInterrupted: SIGINT/SIGTERM stopped training (or Ctrl-C came between
            populations); the unfinished trials were failed and their parameters re-queued.
    """
    if train is None:
        from ddpg.launch.job import train_population

        train = train_population
    recover_stale(study, log)
    while (todo := settings.n_trials - len(counted_trials(study))) > 0:
        asked: list[optuna.Trial] = []
        try:
            for _ in range(min(settings.population, todo)):
                asked.append(study.ask())
            members = [
                _prepare(study, settings, space, build, base_overrides, t, log) for t in asked
            ]
            ready = [m for m in members if m is not None]
            params = [params_of(config) for _, config, _ in ready]
            for population in group_jobs(params, settings.population):
                _train_population([ready[i] for i in population], study, train, log)
        except (KeyboardInterrupt, StudyInterrupted):  # settle the whole batch, trained or not
            for trial in asked:
                run_dir = Path(str(trial.user_attrs.get("run_dir", "")))
                summary = read_summary(run_dir / "summary.json") if run_dir.name else {}
                tell_outcome(study, trial.number, summary, log)
            raise StudyInterrupted("interrupted") from None


Member = tuple[optuna.Trial, RunConfig, Path]


def _prepare(
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


def _train_population(members: list[Member], study: optuna.Study, train: Train, log: Log) -> None:
    """Train `members` as one population, reporting evals and telling each trial how it ended."""
    trials = [trial for trial, _, _ in members]
    names = ", ".join(str(t.number) for t in trials)
    log(f"tune: training trials {names} as one population")

    def on_eval(member: int, step: int, mean: float) -> bool:
        trial = trials[member]
        trial.report(mean, step)
        if math.isfinite(mean) and trial.should_prune():
            study.tell(trial, state=TrialState.PRUNED)
            log(f"tune: trial {trial.number} pruned at env step {step} (eval {mean:.1f})")
            return True
        return False

    try:
        train([c for _, c, _ in members], [d for _, _, d in members], on_eval)
    except Exception as error:  # every member is recorded (failed); the study goes on
        log(f"tune: the population of trials {names} failed: {type(error).__name__}: {error}")
    interrupted = False
    for trial, _, run_dir in members:
        summary = read_summary(run_dir / "summary.json")
        interrupted |= summary.get("status") == "interrupted"
        tell_outcome(study, trial.number, summary, log)
    if interrupted:
        raise StudyInterrupted("training was interrupted")
