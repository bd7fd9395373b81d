"""Resume of a folder of runs (a population's or a sweep's): plan each run, step back together
past damaged checkpoints, and train the unfinished runs on as populations.

Members that trained as one population resume from one step and train on together, so each stays
bit-identical to its uninterrupted self (a population of one compiles its matmuls without the
member axis and differs in the last bit). So when a member's newest checkpoint is damaged, it does
not resume alone from its own older checkpoint: every member of its population steps back to the
newest step at which all of their checkpoints verify, and one line says so.
"""

from __future__ import annotations

import sys
from collections.abc import Callable
from pathlib import Path
from typing import Any

from ddpg.config.schema import ConfigError, RunConfig
from ddpg.launch.job import params_of, train_population
from ddpg.launch.resume_plan import DIVERGED, ResumePlan, plan_resume
from ddpg.population.keys import group_jobs
from ddpg.storage.checkpoint import DamagedCheckpoint, list_checkpoints, verify_checkpoint

#: How a population trains: (configs, run dirs) -> each member's summary, in order.
Train = Callable[[list[RunConfig], list[Path]], list[dict[str, Any]]]


def plan_resumes(resume: str | Path, changes: dict[str, Any]) -> list[ResumePlan]:
    """`plan_resume` for each run `resume=` names: one run (a run folder or a checkpoint), or
    every run folder with checkpoints inside it (a population run or a sweep), whose unfinished
    runs resume together from a step at which every one's checkpoint verifies.

    Raises:
        ConfigError: As plan_resume; or runs that resume together share no step at which all of
            their checkpoints verify.
    """
    path = Path(resume)
    if (path / "manifest.json").is_file() or (path / "checkpoints").is_dir():
        return [plan_resume(path, changes)]
    plans = plan_runs(path, changes)
    todo = [p for p in plans if not p.finished]
    for members in group_jobs(_grouping(todo), max_members=max(len(todo), 1)):
        step_back_together(path, [todo[i] for i in members])
    return plans


def plan_runs(resume: str | Path, changes: dict[str, Any]) -> list[ResumePlan]:
    """The plan of each run `resume=` names (a checkpoint, a run folder, or a folder of run
    folders), each run at its newest checkpoint even when that one is damaged, so that it stays
    grouped with the runs it was interrupted with: `step_back_together` then moves the runs
    that train together to a step where all of them verify.

    Raises:
        ConfigError: As plan_resume (a folder with no run folder in it holds no checkpoint).
    """
    path = Path(resume)
    if (path / "manifest.json").is_file():  # a checkpoint the user chose
        return [plan_resume(path, changes)]
    if (path / "checkpoints").is_dir():
        return [_plan_member(path, changes)]
    runs = sorted(p for p in path.glob("*") if (p / "checkpoints").is_dir())
    if not runs:
        return [plan_resume(path, changes)]  # raises the error naming what is missing
    return [_plan_member(run, changes) for run in runs]


def resume_populations(
    plans: list[ResumePlan], max_members: int, train: Train = train_population
) -> list[dict[str, Any]]:
    """Train the unfinished `plans` on, as populations of runs that share their shapes and
    their checkpoint's step (each population by `train(configs, run_dirs)`: here, or in a
    child); returns their summaries in the order of the unfinished plans."""
    todo = [p for p in plans if not p.finished]
    summaries: dict[int, dict[str, Any]] = {}
    for members in group_jobs(_grouping(todo), max_members):
        chosen = [todo[i] for i in members]
        ended = train([p.config for p in chosen], [p.run_dir for p in chosen])
        summaries.update(zip(members, ended, strict=True))
    return [summaries[i] for i in range(len(todo))]


def nothing_to_do(where: Path, plans: list[ResumePlan]) -> str:
    """The line for a resume whose runs are all finished."""
    if all(plan.status == DIVERGED for plan in plans):
        return f"{where} already finished (diverged); nothing to do"
    raise_it = "raise trainer.total_steps to train it further"
    return f"{where} already finished; nothing to do ({raise_it})"


def _grouping(plans: list[ResumePlan]) -> list[dict[str, Any]]:
    """What puts runs in one population: shapes and budget (ddpg.population.keys) and the step."""
    return [params_of(p.config) | {"checkpoint": p.checkpoint.name} for p in plans]


def _plan_member(run: Path, changes: dict[str, Any]) -> ResumePlan:
    """plan_resume of one run of the folder, at its newest checkpoint even when that one is
    damaged (its config then comes from the newest one whose state.json reads), so that it
    stays grouped with the runs it was interrupted with."""
    checkpoints = list_checkpoints(run / "checkpoints")
    for checkpoint in reversed(checkpoints):
        try:
            plan = plan_resume(checkpoint, changes)
        except DamagedCheckpoint:
            continue
        plan.checkpoint = checkpoints[-1]
        plan.config.resume = str(checkpoints[-1])
        return plan
    return plan_resume(run, changes)  # raises, naming the newest checkpoint's damage


def step_back_together(resume: str | Path, members: list[ResumePlan]) -> None:
    """Point `members` (runs that will train as one population, all at one checkpoint step) at
    the newest step, no later than theirs, at which every member's checkpoint verifies; print
    one line if that is an earlier one.

    Raises:
        ConfigError: No such step (named with `resume`, what resume= gave).
    """
    newest = members[0].checkpoint.name
    shared = set.intersection(
        *({c.name for c in list_checkpoints(m.run_dir / "checkpoints")} for m in members)
    )
    damaged: list[DamagedCheckpoint] = []
    for name in sorted((n for n in shared if n <= newest), reverse=True):
        found = [d for m in members if (d := _damage(m.run_dir / "checkpoints" / name))]
        if not found:
            break
        damaged += found
    else:
        raise ConfigError(
            f"resume={resume} is invalid: {_named(damaged)}, and its population "
            f"({len(members)} runs) has no earlier step at which every member's checkpoint "
            "verifies"
        )
    if not damaged:
        return  # the newest step verifies everywhere: nothing to say
    for member in members:
        member.checkpoint = member.run_dir / "checkpoints" / name
        member.config.resume = str(member.checkpoint)
    who = f"{len(members)} runs resume together" if len(members) > 1 else "1 run resumes"
    print(
        f"{_named(damaged)}; {who} from {name}, the newest step at which every member's "
        "checkpoint verifies",
        file=sys.stderr,
    )


def _damage(checkpoint: Path) -> DamagedCheckpoint | None:
    try:
        verify_checkpoint(checkpoint)
    except DamagedCheckpoint as damage:
        return damage
    return None


def _named(damaged: list[DamagedCheckpoint]) -> str:
    """The first damaged file, and how many more there are."""
    first = f"damaged checkpoint file {damaged[0].file}: {damaged[0].problem}"
    more = len(damaged) - 1
    return first + (f" (and {more} more damaged file{'s' * (more > 1)})" if more else "")
