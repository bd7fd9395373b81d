"""An Optuna study whose trials are runs: batches of asked trials trained as populations.

Each batch of `tune.population` asked trials is split by shape (ddpg.population_keys) into
populations; every member reports each periodic eval with `trial.report`, and a member the
pruner stops is told PRUNED at once and frozen (its slot stays empty until its population ends:
the trainer cannot start a new member mid-run). How each run ended becomes the trial's state
(:func:`ddpg.tune_trials.tell_outcome`); a run that was stopped unfinished is failed and its
parameters asked again. No Hydra here: ``ddpg.tune`` passes in how a trial is composed.
"""

from __future__ import annotations

import json
import math
import tempfile
from collections.abc import Callable
from dataclasses import dataclass
from pathlib import Path
from typing import TYPE_CHECKING, Any, Protocol

import optuna
from optuna.storages import JournalStorage
from optuna.storages.journal import JournalFileBackend
from optuna.trial import TrialState

from ddpg.config import ConfigError, RunConfig
from ddpg.job import params_of, read_summary
from ddpg.population_keys import group_jobs
from ddpg.structured import check
from ddpg.tune_space import SearchSpace, overrides, sample, trial_dirname
from ddpg.tune_trials import (
    StudyInterrupted,
    counted_trials,
    recover_stale,
    tell_outcome,
    worker_record,
    write_rejected,
    write_trial_records,
)

if TYPE_CHECKING:
    from ddpg.trainer import OnEval

SAMPLERS = ("tpe", "random")
PRUNERS = ("median", "halving", "none")


@dataclass
class TuneSettings:
    """The `tune:` node of conf/tune.yaml."""

    study: str = "study"
    dir: str = "outputs/tune/study"  # one run folder per trial
    storage: str = "outputs/tune/study/journal.log"  # Optuna's journal file
    n_trials: int = 64  # the study's trials in all (runs stopped unfinished and retried excepted)
    population: int = 16  # trials asked per batch, the most that train in one process at once
    sampler: str = "tpe"
    pruner: str = "median"
    seed: int = 0  # the sampler's
    startup_trials: int = 10  # random trials before TPE; complete trials before median prunes
    warmup_evals: int | None = None  # evals before any pruning; None: a third (as the zoo)

    def __post_init__(self) -> None:
        check(bool(self.study), "tune.study", self.study, "a study name")
        check(self.n_trials >= 1, "tune.n_trials", self.n_trials, "an integer >= 1")
        check(self.population >= 1, "tune.population", self.population, "an integer >= 1")
        check(self.sampler in SAMPLERS, "tune.sampler", self.sampler, " or ".join(SAMPLERS))
        check(self.pruner in PRUNERS, "tune.pruner", self.pruner, ", ".join(PRUNERS))
        check(self.startup_trials >= 0, "tune.startup_trials", self.startup_trials, ">= 0")
        if self.warmup_evals is not None:
            check(self.warmup_evals >= 0, "tune.warmup_evals", self.warmup_evals, ">= 0")


class TrialBuilder(Protocol):
    """Compose a trial from its overrides: the validated RunConfig and the composed config as a
    plain mapping (for the run's .hydra/config.yaml). Raises ConfigError for a bad value."""

    def __call__(self, trial_overrides: list[str]) -> tuple[RunConfig, dict[str, Any]]: ...


Train = Callable[[list[RunConfig], list[Path], "OnEval | None"], list[dict[str, Any]]]
Log = Callable[[str], None]


def make_sampler(settings: TuneSettings, n_existing: int) -> optuna.samplers.BaseSampler:
    """The seeded sampler. Its seed moves on by the trials the study already has, so a resumed
    random search does not draw the first batch's parameters again."""
    seed = settings.seed + n_existing
    if settings.sampler == "random":
        return optuna.samplers.RandomSampler(seed=seed)
    return optuna.samplers.TPESampler(seed=seed, n_startup_trials=settings.startup_trials)


def make_pruner(settings: TuneSettings, base: RunConfig) -> optuna.pruners.BasePruner:
    """median: below the median of complete trials at the same step, after `warmup_evals`;
    halving: asynchronous successive halving from that step on (rungs x4); none: never."""
    every, total = base.trainer.eval_every, base.trainer.total_steps
    evals = settings.warmup_evals
    warmup = every * (evals if evals is not None else (total // every) // 3)
    if settings.pruner == "median":
        return optuna.pruners.MedianPruner(settings.startup_trials, n_warmup_steps=warmup)
    if settings.pruner == "halving":
        return optuna.pruners.SuccessiveHalvingPruner(min_resource=max(warmup, every))
    return optuna.pruners.NopPruner()


def base_params(config: RunConfig, space: SearchSpace) -> dict[str, Any]:
    """The params every trial of a study shares: those of `config` that no dimension sets (a
    group dimension such as `noise` covers every `noise.*` key), less the progress bar."""
    targets = space.targets()
    return {
        key: value
        for key, value in params_of(config).items()
        if key != "trainer.progress"
        and not any(key == t or key.startswith(f"{t}.") for t in targets)
    }


def open_study(
    settings: TuneSettings, base: dict[str, Any], pruner_base: RunConfig
) -> optuna.Study:
    """Create the study in its journal file, or load it to continue.

    `base` is what every trial shares (the run params no dimension sets); a study continues
    only with the same `base`, so its trials stay comparable.

    Raises:
        ConfigError: The storage or trial folder is not writable, the file is not an Optuna
            journal, or the study was started with a different base config (naming the key).
    """
    storage_path = Path(settings.storage)
    _check_writable(storage_path.parent, "tune.storage", settings.storage)
    _check_writable(Path(settings.dir), "tune.dir", settings.dir)
    try:
        storage = JournalStorage(JournalFileBackend(str(storage_path)))
        existing = {s.study_name: s.n_trials for s in optuna.get_all_study_summaries(storage)}
        study = optuna.create_study(
            storage=storage,
            study_name=settings.study,
            direction="maximize",
            load_if_exists=True,
            sampler=make_sampler(settings, existing.get(settings.study, 0)),
            pruner=make_pruner(settings, pruner_base),
        )
    except (OSError, ValueError, KeyError, TypeError) as error:
        raise ConfigError(
            f"tune.storage={settings.storage} cannot be read as an Optuna journal: {error}"
        ) from None
    saved = study.user_attrs.get("base")
    if saved is None:
        study.set_user_attr("base", base)
        return study
    for key in sorted(set(saved) | set(base)):
        if json.dumps(saved.get(key), sort_keys=True) != json.dumps(base.get(key), sort_keys=True):
            raise ConfigError(
                f"{key}={base.get(key)!r} differs from {saved.get(key)!r}, the value study "
                f"{settings.study!r} in {settings.storage} started with: rerun with it, or "
                "start another study (tune.study=NAME)"
            )
    return study


def _check_writable(folder: Path, key: str, value: str) -> None:
    try:
        folder.mkdir(parents=True, exist_ok=True)
        with tempfile.TemporaryFile(dir=folder):
            pass
    except OSError as error:
        raise ConfigError(f"{key}={value} is not writable: {error.strerror or error}") from None


def run_study(
    study: optuna.Study,
    settings: TuneSettings,
    space: SearchSpace,
    build: TrialBuilder,
    base_overrides: list[str],
    train: Train | None = None,
    log: Log = print,
) -> None:
    """Ask, train and tell trials until the study has `settings.n_trials`.

    Raises:
        StudyInterrupted: SIGINT/SIGTERM stopped training (or Ctrl-C came between
            populations); the unfinished trials were failed and their parameters re-queued.
    """
    if train is None:
        from ddpg.job import train_population

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
        except KeyboardInterrupt:  # Ctrl-C outside training: nothing of this batch is lost
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
