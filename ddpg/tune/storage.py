"""Where a study lives and how it samples: its settings, journal file, sampler and pruner.

The study is an Optuna journal file (``tune.storage``), so it survives its process: opening
it again continues it, and several processes may share it (the journal locks). A study
continues only with the same base config and dimensions of the same kind, which
:func:`open_study` records in the study's user attributes on creation.
"""

from __future__ import annotations

import contextlib
import json
import tempfile
from dataclasses import dataclass, field
from pathlib import Path
from typing import Any

import optuna
from optuna.storages import JournalStorage
from optuna.storages.journal import JournalFileBackend

from ddpg.config.schema import ConfigError, RunConfig
from ddpg.config.structured import check
from ddpg.launch.job import params_of
from ddpg.tune.space import SearchSpace

ALGORITHMS = ("optuna", "pbt")
SAMPLERS = ("tpe", "random")
PRUNERS = ("median", "halving", "none")


@dataclass
class PbtSettings:
    """The `tune.pbt:` node: population-based training's schedule (ddpg.tune.pbt)."""

    interval: int | None = None  # env steps between exploit/explore; None: trainer.eval_every
    fraction: float = 0.25  # the bottom fraction copies the top fraction
    resample_probability: float = 0.25  # explore: resample a value rather than perturb it
    copy_replay: bool = False  # exploit copies the source's replay buffer too

    def __post_init__(self) -> None:
        if self.interval is not None:
            check(self.interval >= 1, "tune.pbt.interval", self.interval, "an integer >= 1")
        check(0 < self.fraction <= 0.5, "tune.pbt.fraction", self.fraction, "in (0, 0.5]")
        p = self.resample_probability
        check(0 <= p <= 1, "tune.pbt.resample_probability", p, "in [0, 1]")


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
    algorithm: str = "optuna"  # optuna (sampler + pruner) | pbt (population-based training)
    pbt: PbtSettings = field(default_factory=PbtSettings)

    def __post_init__(self) -> None:
        check(
            self.algorithm in ALGORITHMS, "tune.algorithm", self.algorithm, " or ".join(ALGORITHMS)
        )
        check(bool(self.study), "tune.study", self.study, "a study name")
        check(self.n_trials >= 1, "tune.n_trials", self.n_trials, "an integer >= 1")
        check(self.population >= 1, "tune.population", self.population, "an integer >= 1")
        check(self.sampler in SAMPLERS, "tune.sampler", self.sampler, " or ".join(SAMPLERS))
        check(self.pruner in PRUNERS, "tune.pruner", self.pruner, ", ".join(PRUNERS))
        check(self.startup_trials >= 0, "tune.startup_trials", self.startup_trials, ">= 0")
        if self.warmup_evals is not None:
            check(self.warmup_evals >= 0, "tune.warmup_evals", self.warmup_evals, ">= 0")


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
    settings: TuneSettings, base: dict[str, Any], pruner_base: RunConfig, space: SearchSpace
) -> optuna.Study:
    """Create the study in its journal file, or load it to continue.

    `base` is what every trial shares (the run params no dimension sets); a study continues
    only with the same `base`, so its trials stay comparable, and with dimensions of the same
    kind (type, log scale, choices: Optuna refuses to change them; ranges may change).

    Raises:
        ConfigError: The storage or trial folder is not writable, the file is not an Optuna
            journal, or the study was started with a different base config or a dimension of
            another kind (naming the key or dimension).
    """
    made: list[Path] = []  # the folders made here, removed again if the study cannot open
    try:
        made += _make_writable(Path(settings.storage).parent, "tune.storage", settings.storage)
        made += _make_writable(Path(settings.dir), "tune.dir", settings.dir)
        return _open_study(settings, base, pruner_base, space)
    except ConfigError:
        for folder in sorted(made, key=lambda f: len(f.parts), reverse=True):  # deepest first
            with contextlib.suppress(OSError):
                folder.rmdir()  # only while empty
        raise


def _open_study(
    settings: TuneSettings, base: dict[str, Any], pruner_base: RunConfig, space: SearchSpace
) -> optuna.Study:
    storage_path = Path(settings.storage)
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
    kinds = {d.name: [d.type, d.log, list(d.choices)] for d in space.dimensions}
    saved_kinds = study.user_attrs.get("dimensions", {})
    for name in sorted(set(kinds) & set(saved_kinds)):
        if json.dumps(kinds[name]) != json.dumps(saved_kinds[name]):
            raise ConfigError(
                f"search dimension {name!r} is a different distribution (type, log, choices) "
                f"from the one study {settings.study!r} started with: {saved_kinds[name]}"
            )
    study.set_user_attr("dimensions", saved_kinds | kinds)
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


def _make_writable(folder: Path, key: str, value: str) -> list[Path]:
    """Make `folder` and check that a file can be written in it; the folders made."""
    new = [f for f in (folder.absolute(), *folder.absolute().parents) if not f.exists()]
    try:
        folder.mkdir(parents=True, exist_ok=True)
        with tempfile.TemporaryFile(dir=folder):
            pass
    except OSError as error:
        for made in new:  # deepest first
            with contextlib.suppress(OSError):
                made.rmdir()
        raise ConfigError(f"{key}={value} is not writable: {error.strerror or error}") from None
    return new
