"""Population-based training (Jaderberg et al. 2017) inside one compiled population.

`tune.population` members start from values drawn from the search space (a seeded Optuna
RandomSampler) and train together. Every `tune.pbt.interval` env steps they are ranked by their
latest evaluation (equal evals in an order drawn from the study's Generator, so that no member
index is favoured); each member of the bottom `tune.pbt.fraction` **exploits**: it copies a top
member drawn at random (networks, targets, Adam state, normalizer statistics, in memory:
ddpg.population.slots; its noise and envs stay its own, its replay too unless
`tune.pbt.copy_replay`), then **explores**: each
dimension is resampled with probability `tune.pbt.resample_probability`, else a number is
multiplied by 0.8 or 1.25 and clipped to its range (a categorical keeps its value). Every draw
comes from the study's Generator (seeded by `tune.seed`), in member order, so the same command
gives the same study.

A member whose update goes non-finite is held (`on_diverge`; the trainer keeps it from learning
and evaluating, its env stepping with uniform random actions, its summary still "running")
until the next round, where it ranks last and always exploits: it copies a top member, explores
and trains on from a new episode, its step counting on. Its lineage entry carries `revives`
(the step and error of the divergence) and its summary counts `divergences`. With no round
left before the budget's end, or no finite member to copy, it ends "diverged" as in any run.

Each member's run folder (`<tune.dir>/member<k>/`, the whole run contract) records
`schedule.json` (the values, their overrides and their `pbt/` scalars, in effect from each step
on; `python -m ddpg.run pbt_schedule=...` replays it from scratch), `lineage.json` (which member
it copied at which step, and which divergence a copy revived it from) and, at every round, the
scalars `pbt/<dimension>` in tb/ and scalars.csv (a categorical as the index of its choice). A
search whose dimensions set a key that fixes the population's shapes (network, batch size:
ddpg.population.keys) is refused. How a copy's values change is ddpg.tune.pbt_explore's.

The study snapshots its population with its own state (the Generator, values, latest evals,
the members held since they diverged, schedules, lineage; ddpg.tune.snapshots): rerunning the
same command continues a killed or interrupted study from its newest snapshot, bit-identically;
one killed before its first snapshot starts over; a finished one is refused.
"""

from __future__ import annotations

import math
import shutil
from collections.abc import Callable, Sequence
from pathlib import Path
from typing import Any

import numpy as np
import optuna

from ddpg.config.schema import ConfigError, RunConfig
from ddpg.launch.job import read_summary
from ddpg.population.keys import may_differ
from ddpg.population.member_change import MemberChange
from ddpg.population.snapshot import Snapshots, snapshot_members
from ddpg.storage.files import write_json_atomic
from ddpg.tune.pbt_explore import explore, scalars
from ddpg.tune.snapshots import finish, latest_snapshot, snapshot_dir, snapshot_every
from ddpg.tune.space import SearchSpace, overrides, sample
from ddpg.tune.storage import TuneSettings
from ddpg.tune.study import Log, TrialBuilder
from ddpg.tune.trials import StudyInterrupted, write_trial_records

#: How a member's run ends for good (a study whose members all ended so is finished).
FINAL = ("completed", "stopped_early", "pruned", "diverged", "failed")


def check_pbt(space: SearchSpace, settings: TuneSettings, base: RunConfig) -> None:
    """Refuse what population-based training cannot do, naming the key.

    Raises:
        ConfigError: A dimension sets a shape key; fewer than 2 members; an interval that is
            not a multiple of trainer.eval_every; a study folder that holds a finished study.
    """
    for d in space.dimensions:
        for key in d.targets():
            if not may_differ(key):
                raise ConfigError(
                    f"tune.algorithm=pbt cannot search {key} (dimension {d.name!r}): it sets the "
                    "population's shapes, which every member shares (ddpg.population.keys)"
                )
    if settings.population < 2:
        raise ConfigError(
            f"tune.population={settings.population} is invalid for tune.algorithm=pbt: "
            "expected an integer >= 2"
        )
    every = base.trainer.eval_every
    if interval(settings, base) % every:
        raise ConfigError(
            f"tune.pbt.interval={settings.pbt.interval} is invalid: expected a multiple of "
            f"trainer.eval_every ({every}), so that members are ranked on fresh evaluations"
        )
    members = sorted(Path(settings.dir).glob("member*/schedule.json"))
    if members and latest_snapshot(settings.dir) is None:
        statuses = [read_summary(m.parent / "summary.json").get("status") for m in members]
        if all(status in FINAL for status in statuses):
            raise ConfigError(
                f"tune.dir={settings.dir} holds a finished population-based training study: "
                "choose another tune.dir"
            )


def interval(settings: TuneSettings, base: RunConfig) -> int:
    """Env steps between exploit/explore rounds."""
    return settings.pbt.interval or base.trainer.eval_every


class PopulationBasedTraining:
    """Ranks, copies and explores; the trainer calls `on_eval` and `exploit` (its hooks)."""

    def __init__(
        self,
        settings: TuneSettings,
        space: SearchSpace,
        build: TrialBuilder,
        every: int,
        members: Sequence[tuple[dict[str, Any], RunConfig, Path]],
        log: Log,
    ) -> None:
        """`members`: each one's first values, config and run folder; `every`: the interval."""
        self.space, self.build, self.every, self.log = space, build, every, log
        self.total_steps = members[0][1].trainer.total_steps  # no round at the end: members stop
        self.fraction = settings.pbt.fraction
        self.resample = settings.pbt.resample_probability
        self.copy_replay = settings.pbt.copy_replay  # the source's replay buffer too
        self.rng = np.random.default_rng(settings.seed)
        self.values = [dict(v) for v, _, _ in members]
        self.configs = [c for _, c, _ in members]
        self.run_dirs = [Path(d) for _, _, d in members]
        self.latest: dict[int, float] = {}
        self.diverged: dict[int, dict[str, Any]] = {}  # held members: when and why
        self.schedules = [[self._entry(0, v)] for v in self.values]
        self.lineage: list[list[dict[str, Any]]] = [[] for _ in members]
        for k in range(len(members)):
            self._write(k)

    def on_eval(self, member: int, step: int, mean: float) -> bool:
        """Keep each member's latest eval; never stops a member."""
        self.latest[member] = mean
        return False

    def on_diverge(self, member: int, step: int, why: str) -> bool:
        """Member `member`'s update went non-finite at `step`: True holds it (the trainer keeps
        it out of learning and evaluation) until the next round, where it ranks last and copies
        a top member; False ends it, diverged, when no round is left before the budget's end."""
        next_round = (step // self.every + 1) * self.every
        if next_round >= self.total_steps:
            return False
        self.diverged[member] = {"diverged_at": step, "error": why}
        self.log(
            f"pbt: member {member} diverged at env step {step}; it copies a top member at "
            f"the round of step {next_round}"
        )
        return True

    def rank(self, members: list[int]) -> list[int]:
        """`members` best first by their latest eval. Equal evals (common where many members
        score alike, e.g. MountainCar members that never reach the goal) are ordered by a
        permutation drawn from the study's Generator, so no member index is favoured; it is
        drawn only where two are equal, so a round without ties draws nothing for it."""
        evals = [self.latest[k] for k in members]
        if len(set(evals)) == len(evals):
            return sorted(members, key=lambda k: -self.latest[k])
        tiebreak = self.rng.permutation(len(members))
        order = sorted(range(len(members)), key=lambda i: (-evals[i], tiebreak[i]))
        return [members[i] for i in order]

    def exploit(self, members: np.ndarray, step: int) -> list[MemberChange]:
        """At every interval: the bottom fraction copies the top and explores; a member held
        since it diverged (`on_diverge`) ranks last and always copies, the revival noted in its
        lineage; every member's values are logged as `pbt/<dimension>` at that step."""
        if step % self.every or step >= self.total_steps:
            return []
        listed = [int(k) for k in members]
        held = [k for k in listed if k in self.diverged]
        finite = [
            k
            for k in listed
            if k not in self.diverged and math.isfinite(self.latest.get(k, math.nan))
        ]
        ranked = self.rank(finite) + held  # the held last
        n = max(1, int(len(ranked) * self.fraction)) if len(ranked) >= 2 and finite else 0
        top, bottom = ranked[:n][: len(finite)], set(ranked[len(ranked) - n :]) | set(held)
        changes = []
        for k in sorted(listed):
            if k in bottom and top:
                source = top[int(self.rng.integers(len(top)))]
                values = explore(self.space, self.values[source], self.rng, self.resample)
                try:
                    config, _ = self.build(overrides(self.space, values))
                except ConfigError as error:  # keep the copied member's values
                    self.log(f"pbt: member {k} keeps member {source}'s values ({error})")
                    values, config = dict(self.values[source]), self.configs[source]
                self.values[k], self.configs[k] = values, config
                self.schedules[k].append(self._entry(step, values))
                copy = {"step": step, "source": source, "source_run": self.run_dirs[source].name}
                if self.copy_replay:
                    copy["replay_copied"] = True
                revived = self.diverged.pop(k, None)
                if revived is not None:
                    copy["revives"] = revived  # the divergence it trains on after
                self.lineage[k].append(copy)
                self._write(k)
                own = "diverged" if revived else f"{self.latest[k]:.1f}"
                self.log(
                    f"pbt: step {step}: member {k} ({own}) copies member "
                    f"{source} ({self.latest[source]:.1f}) and explores"
                )
                changes.append(
                    MemberChange(k, source, config, scalars(self.space, values), self.copy_replay)
                )
            else:
                if self.diverged.pop(k, None) is not None:  # nothing to copy: it ends
                    self.log(f"pbt: step {step}: member {k} diverged and has no member to copy")
                values = self.values[k]
                changes.append(MemberChange(k, None, self.configs[k], scalars(self.space, values)))
        return changes

    def state(self) -> dict[str, Any]:
        """What a snapshot keeps to continue the study (JSON-safe)."""
        return {
            "rng": self.rng.bit_generator.state,
            "values": self.values,
            "latest": [[k, v] for k, v in sorted(self.latest.items())],
            "diverged": [[k, v] for k, v in sorted(self.diverged.items())],
            "schedules": self.schedules,
            "lineage": self.lineage,
        }

    def load_state(self, state: dict[str, Any], configs: list[RunConfig]) -> None:
        """Continue from `state` (`state()` at a snapshot), the members under `configs`."""
        self.rng.bit_generator.state = state["rng"]
        self.values = [dict(v) for v in state["values"]]
        self.latest = {int(k): float(v) for k, v in state["latest"]}
        # held members (a snapshot written before they were kept has none)
        self.diverged = {int(k): dict(v) for k, v in state.get("diverged", [])}
        self.schedules, self.lineage = state["schedules"], state["lineage"]
        self.configs = list(configs)
        for k in range(len(self.values)):
            self._write(k)

    def _entry(self, step: int, values: dict[str, Any]) -> dict[str, Any]:
        return {
            "step": step,
            "params": values,
            "overrides": overrides(self.space, values),
            "scalars": scalars(self.space, values),  # what a replay logs (ddpg.launch)
        }

    def _write(self, k: int) -> None:
        folder = self.run_dirs[k]
        folder.mkdir(parents=True, exist_ok=True)
        write_json_atomic(folder / "schedule.json", {"member": k, "schedule": self.schedules[k]})
        write_json_atomic(folder / "lineage.json", {"member": k, "copies": self.lineage[k]})


Train = Callable[..., list[dict[str, Any]]]


def run_pbt(
    settings: TuneSettings,
    space: SearchSpace,
    build: TrialBuilder,
    base: RunConfig,
    base_overrides: list[str],
    log: Log,
    train: Train | None = None,
) -> PopulationBasedTraining:
    """Draw `tune.population` members, write their records and train them with PBT."""
    if train is None:
        from ddpg.launch.job import train_population

        train = train_population
    train_members: Train = train
    check_pbt(space, settings, base)
    snapshot = latest_snapshot(settings.dir)
    if snapshot is None:  # a study killed before its first snapshot starts over
        for folder in Path(settings.dir).glob("member*"):
            shutil.rmtree(folder, ignore_errors=True)
    draft = optuna.create_study(sampler=optuna.samplers.RandomSampler(seed=settings.seed))
    members = []
    for k in range(settings.population):
        trial = draft.ask()
        values = sample(space, trial)
        config, composed = build(overrides(space, values))
        run_dir = Path(settings.dir) / f"member{k:02d}"
        all_overrides = base_overrides + overrides(space, values)
        write_trial_records(run_dir, settings.study, trial, all_overrides, composed)
        members.append((values, config, run_dir))
    every = interval(settings, base)
    pbt = PopulationBasedTraining(settings, space, build, every, members, log)
    log(f"pbt: {len(members)} members, exploit/explore every {every} env steps")
    configs, run_dirs = [c for _, c, _ in members], [d for _, _, d in members]
    snapshots = Snapshots(
        snapshot_dir(settings.dir),
        snapshot_every(base),
        base.trainer.keep_checkpoints,
        lambda: {"pbt": pbt.state()},
        None if snapshot is None else snapshot[0],
    )
    if snapshot is not None:
        pbt.load_state(snapshot[1]["study"]["pbt"], snapshot_members(snapshot[1])[0])
        log(f"pbt: continuing from {snapshot[0]} (loop step {snapshot[1]['tick']})")
    summaries = train_members(
        configs,
        run_dirs,
        pbt.on_eval,
        exploit=pbt.exploit,
        on_diverge=pbt.on_diverge,
        snapshots=snapshots,
    )
    if any(summary.get("status") == "interrupted" for summary in summaries):
        raise StudyInterrupted("training was interrupted")
    finish(settings.dir)
    return pbt
