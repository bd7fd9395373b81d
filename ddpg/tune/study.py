"""An Optuna study whose trials are runs: batches of asked trials trained as populations.

Each batch of `tune.population` asked trials is split by shape (ddpg.population.keys) into
populations; every member reports each periodic eval with `trial.report`, and a member the
pruner stops is told PRUNED at once and frozen. A slot whose trial ended (pruned, completed,
diverged) takes the next trial at once, while the study wants more: every trial that has ended
by then is told first (so the sampler and the pruner know it), then the next one is asked and
started in the freed slot at its own step 0 (ddpg.population.trainer.Trainer.reset_member).
A trial asked for a slot whose shape it does not share waits for a population of its own.
Asks and tells follow the training's deterministic order, so the same command gives the same
study. How each run ended becomes the trial's state (:func:`ddpg.tune.trials.tell_outcome`);
a run that was stopped unfinished is failed and its parameters asked again. No Hydra here:
``ddpg.tune`` passes in how a trial is composed.
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
from ddpg.population.keys import group_jobs, mismatched_keys
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


NextMember = Callable[[int], "tuple[RunConfig, Path] | None"]
Train = Callable[
    [list[RunConfig], list[Path], "OnEval | None", "NextMember | None"], list[dict[str, Any]]
]
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

        def train(
            configs: list[RunConfig],
            run_dirs: list[Path],
            on_eval: OnEval | None,
            next_member: NextMember | None,
        ) -> list[dict[str, Any]]:
            population = configs[0]
            return train_population(
                configs,
                run_dirs,
                on_eval,
                next_member=next_member,
                upcoming=lambda: upcoming(population),  # the progress bar's total counts them
            )

    train_members: Train = train
    recover_stale(study, log)
    asked: list[optuna.Trial] = []
    pending: list[Member] = []  # asked for a slot of another shape: wait for their own

    def todo() -> int:
        return settings.n_trials - len(counted_trials(study))

    def ask() -> Member | None:
        trial = study.ask()
        asked.append(trial)
        return _prepare(study, settings, space, build, base_overrides, trial, log)

    def upcoming(population: RunConfig) -> int:
        """Trials still to start in a freed slot of `population`'s shape (at most)."""
        waiting = sum(not _mismatched(population, member[1]) for member in pending)
        return max(todo(), 0) + waiting

    def next_trial(population: RunConfig) -> Member | None:
        """The next trial for a freed slot of `population`'s shape, if the study wants one."""
        for i, waiting in enumerate(pending):
            if not _mismatched(population, waiting[1]):
                return pending.pop(i)
        while todo() > 0:
            member = ask()
            if member is None:  # its config was rejected (told FAIL): ask again
                continue
            if not _mismatched(population, member[1]):
                return member
            pending.append(member)
            return None
        return None

    try:
        while pending or todo() > 0:
            members, pending[:] = list(pending), []
            for _ in range(min(settings.population - len(members), todo())):
                if (prepared := ask()) is not None:
                    members.append(prepared)
            params = [params_of(config) for _, config, _ in members]
            for population in group_jobs(params, settings.population):
                group = [members[i] for i in population]
                _train_population(group, study, train_members, log, next_trial)
    except (KeyboardInterrupt, StudyInterrupted):  # settle every asked trial, trained or not
        for trial in asked:
            run_dir = Path(str(trial.user_attrs.get("run_dir", "")))
            summary = read_summary(run_dir / "summary.json") if run_dir.name else {}
            tell_outcome(study, trial.number, summary, log)
        raise StudyInterrupted("interrupted") from None


def _mismatched(population: RunConfig, config: RunConfig) -> bool:
    return bool(mismatched_keys([params_of(population), params_of(config)]))


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


def _train_population(
    members: list[Member],
    study: optuna.Study,
    train: Train,
    log: Log,
    next_trial: Callable[[RunConfig], Member | None],
) -> None:
    """Train `members` as one population, reporting evals, refilling freed slots with
    `next_trial` and telling each trial how it ended."""
    slots = [trial for trial, _, _ in members]  # the trial each slot trains now
    trained = list(members)
    names = ", ".join(str(t.number) for t in slots)
    log(f"tune: training trials {names} as one population")

    def on_eval(member: int, step: int, mean: float) -> bool:
        trial = slots[member]
        trial.report(mean, step)
        if math.isfinite(mean) and trial.should_prune():
            study.tell(trial, state=TrialState.PRUNED)
            log(f"tune: trial {trial.number} pruned at env step {step} (eval {mean:.1f})")
            return True
        return False

    def next_member(k: int) -> tuple[RunConfig, Path] | None:
        _tell_ended(trained, study, log)
        member = next_trial(members[0][1])
        if member is None:
            return None
        trial, config, run_dir = member
        slots[k] = trial
        trained.append(member)
        log(f"tune: trial {trial.number} starts in the slot of trial {slots_ended[k]}")
        slots_ended[k] = trial.number
        return config, run_dir

    slots_ended = [t.number for t in slots]
    try:
        train([c for _, c, _ in members], [d for _, _, d in members], on_eval, next_member)
    except Exception as error:  # every member is recorded (failed); the study goes on
        log(f"tune: the population of trials {names} failed: {type(error).__name__}: {error}")
    interrupted = False
    for trial, _, run_dir in trained:
        summary = read_summary(run_dir / "summary.json")
        interrupted |= summary.get("status") == "interrupted"
        tell_outcome(study, trial.number, summary, log)
    if interrupted:
        raise StudyInterrupted("training was interrupted")


def _tell_ended(members: list[Member], study: optuna.Study, log: Log) -> None:
    """Tell every trial of `members` whose run has ended and that is not told yet."""
    for trial, _, run_dir in members:
        if study.get_trials(deepcopy=False)[trial.number].state != TrialState.RUNNING:
            continue
        summary = read_summary(run_dir / "summary.json")
        if summary.get("status") not in (None, "running"):
            tell_outcome(study, trial.number, summary, log)
