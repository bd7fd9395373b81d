"""The loop of an Optuna study (ddpg.tune.study): batches of trials asked, split by shape
into populations, trained with freed slots refilled, every trial told how it ended. Its state
is explicit (the trials waiting for a population of their shape, the batch's populations still
to train, the population in training: each slot's trial and every trial it trained), so that a
snapshot can keep it by trial numbers and a continuation put it back from the journal. How a
trial is prepared for its slot and told once it ended is ddpg.tune.trial_members's.
"""

from __future__ import annotations

import math
from collections.abc import Callable
from dataclasses import dataclass
from pathlib import Path
from typing import Any

import optuna
from optuna.trial import TrialState

from ddpg.config.schema import RunConfig
from ddpg.launch.job import params_of, read_summary
from ddpg.population.keys import group_jobs, mismatched_keys
from ddpg.population.snapshot import Snapshots
from ddpg.tune.snapshots import StudySnapshots, journal_mark, sampler_state
from ddpg.tune.space import SearchSpace
from ddpg.tune.storage import TuneSettings
from ddpg.tune.trial_members import Log, Member, TrialBuilder, prepare_member, tell_ended
from ddpg.tune.trials import StudyInterrupted, counted_trials, tell_outcome

NextMember = Callable[[int], "tuple[RunConfig, Path] | None"]
#: (configs, run dirs, on_eval, next_member[, snapshots]) -> summaries
Train = Callable[..., list[dict[str, Any]]]


@dataclass
class _Population:
    """A population in training: the config its shape comes from, the member each slot trains
    now, and every member it trained (told once its run ended)."""

    shape: Member
    slots: list[Member]
    trained: list[Member]


class StudyLoop:
    """The study's loop, its state explicit so that a snapshot can keep it: trials asked for a
    slot of another shape (`pending`), the populations of the batch still to train (`queue`),
    and the population in training."""

    def __init__(
        self,
        study: optuna.Study,
        settings: TuneSettings,
        space: SearchSpace,
        build: TrialBuilder,
        base_overrides: list[str],
        train: Train,
        log: Log,
        snapshots: StudySnapshots | None,
    ) -> None:
        self.study, self.settings, self.space, self.build = study, settings, space, build
        self.base_overrides, self.train, self.log = base_overrides, train, log
        self.snapshots = snapshots
        self.asked: list[optuna.Trial] = []
        self.pending: list[Member] = []
        self.queue: list[list[Member]] = []
        self.population: _Population | None = None
        self.restore_from: Path | None = None  # the snapshot the population continues from

    def todo(self) -> int:
        return self.settings.n_trials - len(counted_trials(self.study))

    def ask(self) -> Member | None:
        trial = self.study.ask()
        self.asked.append(trial)
        return prepare_member(
            self.study, self.settings, self.space, self.build, self.base_overrides, trial, self.log
        )

    def upcoming(self, population: RunConfig) -> int:
        """Trials still to start in a freed slot of `population`'s shape (at most)."""
        waiting = sum(not _mismatched(population, member[1]) for member in self.pending)
        return max(self.todo(), 0) + waiting

    def next_trial(self, population: RunConfig) -> Member | None:
        """The next trial for a freed slot of `population`'s shape, if the study wants one."""
        for i, waiting in enumerate(self.pending):
            if not _mismatched(population, waiting[1]):
                return self.pending.pop(i)
        while self.todo() > 0:
            member = self.ask()
            if member is None:  # its config was rejected (told FAIL): ask again
                continue
            if not _mismatched(population, member[1]):
                return member
            self.pending.append(member)
            return None
        return None

    def run(self) -> None:
        while True:
            if self.population is None:
                if not self.queue:
                    if not (self.pending or self.todo() > 0):
                        return
                    self.queue = self._batch()
                    continue
                group = self.queue.pop(0)
                self.population = _Population(group[0], list(group), list(group))
            self._train_population(self.population)
            self.population = None

    def _batch(self) -> list[list[Member]]:
        """Ask a batch of trials; their populations, by shape."""
        members, self.pending = list(self.pending), []
        for _ in range(min(self.settings.population - len(members), self.todo())):
            if (prepared := self.ask()) is not None:
                members.append(prepared)
        params = [params_of(config) for _, config, _ in members]
        return [[members[i] for i in p] for p in group_jobs(params, self.settings.population)]

    def state(self) -> dict[str, Any]:
        """The loop's state by trial numbers (the journal holds the rest), JSON-safe."""
        pop = self.population
        numbers = lambda members: [t.number for t, _, _ in members]  # noqa: E731
        return {
            "trials": len(self.study.get_trials(deepcopy=False)),
            "pending": numbers(self.pending),
            "queue": [numbers(group) for group in self.queue],
            "population": None
            if pop is None
            else {
                "shape": pop.shape[0].number,
                "slots": numbers(pop.slots),
                "trained": numbers(pop.trained),
            },
        }

    def restore(self, state: dict[str, Any]) -> None:
        """Continue from `state()` (the journal cut back to that moment)."""
        member = self._member
        self.pending = [member(n) for n in state["pending"]]
        self.queue = [[member(n) for n in group] for group in state["queue"]]
        pop = state["population"]
        if pop is not None:
            trained = {n: member(n) for n in pop["trained"]}
            shape = trained.get(pop["shape"]) or member(pop["shape"])
            self.population = _Population(
                shape, [trained[n] for n in pop["slots"]], list(trained.values())
            )

    def _member(self, number: int) -> Member:
        frozen = self.study.get_trials(deepcopy=False)[number]
        trial = optuna.Trial(self.study, frozen._trial_id)
        config, _ = self.build(list(frozen.user_attrs["overrides"]))
        return trial, config, Path(frozen.user_attrs["run_dir"])

    def snapshot_state(self) -> dict[str, Any]:
        """What a snapshot keeps of the study: the loop, the journal's length, the sampler."""
        assert self.snapshots is not None
        return {
            "optuna": self.state(),
            "journal": journal_mark(self.snapshots.storage),
            "sampler": sampler_state(self.study.sampler),
        }

    def _train_population(self, pop: _Population) -> None:
        """Train `pop`, reporting evals, refilling freed slots with the next trials and telling
        each trial how it ended."""
        study, log = self.study, self.log
        names = ", ".join(str(t.number) for t, _, _ in pop.slots)
        log(f"tune: training trials {names} as one population")

        def on_eval(member: int, step: int, mean: float) -> bool:
            trial = pop.slots[member][0]
            trial.report(mean, step)
            if math.isfinite(mean) and trial.should_prune():
                study.tell(trial, state=TrialState.PRUNED)
                log(f"tune: trial {trial.number} pruned at env step {step} (eval {mean:.1f})")
                return True
            return False

        def next_member(k: int) -> tuple[RunConfig, Path] | None:
            tell_ended(pop.trained, study, log)
            member = self.next_trial(pop.shape[1])
            if member is None:
                return None
            ended = pop.slots[k][0].number
            pop.slots[k] = member
            pop.trained.append(member)
            log(f"tune: trial {member[0].number} starts in the slot of trial {ended}")
            return member[1], member[2]

        configs, run_dirs = [c for _, c, _ in pop.slots], [d for _, _, d in pop.slots]
        try:
            if self.snapshots is None:
                self.train(configs, run_dirs, on_eval, next_member)
            else:
                s = self.snapshots
                spec = Snapshots(s.directory, s.every, s.keep, self.snapshot_state)
                spec.restore_from, self.restore_from = self.restore_from, None
                self.train(configs, run_dirs, on_eval, next_member, spec)
        except Exception as error:  # every member is recorded (failed); the study goes on
            log(f"tune: the population of trials {names} failed: {type(error).__name__}: {error}")
        summaries = [read_summary(run_dir / "summary.json") for _, _, run_dir in pop.trained]
        interrupted = any(summary.get("status") == "interrupted" for summary in summaries)
        if interrupted and self.snapshots is not None:  # the newest snapshot continues it
            raise StudyInterrupted("training was interrupted")
        for (trial, _, _), summary in zip(pop.trained, summaries, strict=True):
            tell_outcome(study, trial.number, summary, log)
        if interrupted:
            raise StudyInterrupted("training was interrupted")


def _mismatched(population: RunConfig, config: RunConfig) -> bool:
    return bool(mismatched_keys([params_of(population), params_of(config)]))
