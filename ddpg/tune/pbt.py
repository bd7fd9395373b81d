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
ddpg.population.keys) is refused. Who copies whom, and the records that say so, are
ddpg.tune.pbt_exploit's; how a copy's values change is ddpg.tune.pbt_explore's.

The study snapshots its population with its own state (the Generator, values, latest evals,
the members held since they diverged, schedules, lineage; ddpg.tune.snapshots): rerunning the
same command continues a killed or interrupted study from its newest snapshot, bit-identically;
one killed before its first snapshot starts over; a finished one is refused.
"""

from __future__ import annotations

import shutil
from collections.abc import Callable
from pathlib import Path
from typing import Any

import optuna

from ddpg.config.schema import ConfigError, RunConfig
from ddpg.launch.job import read_summary
from ddpg.population.keys import may_differ
from ddpg.population.snapshot import Snapshots, snapshot_members
from ddpg.tune.pbt_exploit import PopulationBasedTraining
from ddpg.tune.snapshots import finish, latest_snapshot, snapshot_dir, snapshot_every
from ddpg.tune.space import SearchSpace, overrides, sample
from ddpg.tune.storage import TuneSettings
from ddpg.tune.trial_members import Log, TrialBuilder
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
