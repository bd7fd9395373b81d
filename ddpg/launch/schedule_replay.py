"""Replay a population-based training member's schedule as one run from scratch (`pbt_schedule=`).

A PBT member's `schedule.json` (ddpg.tune.pbt) lists the Hydra overrides in effect from each step
on. A replay composes the run once per entry (the command line plus that entry's overrides),
trains from its own seed's fresh weights under the step-0 config, and at each evaluation makes
the entry in effect its runtime hyperparameters (`Trainer.change_member`, copying nothing),
logging the same `pbt/<dimension>` scalars. So it answers whether the schedule, not the weights
the member inherited, carries the result. Everything here is checked before a folder is used.
"""

from __future__ import annotations

import dataclasses
import json
from collections.abc import Callable, Sequence
from dataclasses import dataclass
from pathlib import Path
from typing import Any

import hydra
import numpy as np
from hydra.core.override_parser.overrides_parser import OverridesParser
from hydra.errors import HydraException
from omegaconf.errors import OmegaConfBaseException

from ddpg.config.schema import ConfigError, RunConfig, flatten
from ddpg.launch.job_outcome import to_run_config
from ddpg.population.keys import MEMBER_KEYS, mismatched_keys
from ddpg.population.member_change import MemberChange
from ddpg.storage.files import write_json_atomic

#: What a schedule may set: a member's own settings, its seed aside (a replay has its own).
SCHEDULE_KEYS = tuple(key for key in MEMBER_KEYS if key != "seed")


@dataclass(frozen=True)
class ScheduleEntry:
    """The overrides in effect from env step `step` on, and the `pbt/` scalars they log."""

    step: int
    overrides: tuple[str, ...]
    params: dict[str, Any]
    scalars: dict[str, float]


def plan_replay(config: RunConfig, task: Sequence[str]) -> tuple[RunConfig, ScheduleReplay]:
    """For `python -m ddpg.run pbt_schedule=...` (`task`: its command-line overrides): the
    step-0 config to train and the hook that switches to the later ones.

    A sweep's job never gets here: ddpg.launch.job_outcome.check_sweep_job refuses it.

    Raises:
        ConfigError: Anything read_schedule, check_schedule or replay_configs refuse.
    """
    path = str(config.pbt_schedule)
    entries = read_schedule(path)
    check_schedule(path, entries, task)
    configs = replay_configs(config, entries, _compose, task)
    return configs[0], ScheduleReplay(entries, configs)


def _compose(overrides: list[str]) -> RunConfig:
    """The run config `python -m ddpg.run <overrides>` composes (inside its Hydra app)."""
    try:
        cfg = hydra.compose(config_name="config", overrides=overrides)
    except (HydraException, OmegaConfBaseException) as error:
        raise ConfigError(str(error).strip().splitlines()[0]) from None
    return to_run_config(cfg)


def read_schedule(path: str | Path) -> list[ScheduleEntry]:
    """Parse a schedule.json: entries from step 0, steps increasing, overrides as strings.

    Raises:
        ConfigError: Naming the file: missing, unreadable, not JSON, or not a schedule.
    """
    try:
        data = json.loads(Path(path).read_text())
    except (OSError, UnicodeDecodeError, ValueError) as error:
        reason = error.strerror if isinstance(error, OSError) else "not valid JSON"
        raise ConfigError(f"pbt_schedule={path} cannot be read: {reason}") from None
    entries = data.get("schedule") if isinstance(data, dict) else None
    if not isinstance(entries, list) or not entries:
        raise _not_a_schedule(path, "expected an object with a non-empty list 'schedule'")
    parsed = [_entry(path, i, entry) for i, entry in enumerate(entries)]
    steps = [entry.step for entry in parsed]
    if steps[0] != 0 or any(b <= a for a, b in zip(steps, steps[1:], strict=False)):
        raise _not_a_schedule(path, f"steps {steps} must start at 0 and increase")
    return parsed


def _entry(path: str | Path, i: int, entry: Any) -> ScheduleEntry:
    if not isinstance(entry, dict):
        raise _not_a_schedule(path, f"entry {i} is not an object")
    step, overrides = entry.get("step"), entry.get("overrides")
    params, scalars = entry.get("params", {}), entry.get("scalars")
    if not isinstance(step, int) or isinstance(step, bool) or step < 0:
        raise _not_a_schedule(path, f"entry {i} has no integer 'step' >= 0")
    if not isinstance(overrides, list) or not all(isinstance(o, str) for o in overrides):
        raise _not_a_schedule(path, f"entry {i} has no list of strings 'overrides'")
    if not isinstance(params, dict):
        raise _not_a_schedule(path, f"entry {i}'s 'params' is not an object")
    if scalars is None:  # a schedule written before PBT recorded them: its numbers
        scalars = {f"pbt/{name}": value for name, value in params.items() if _number(value)}
    if not isinstance(scalars, dict) or not all(_number(v) for v in scalars.values()):
        raise _not_a_schedule(path, f"entry {i}'s 'scalars' are not numbers")
    floats = {str(key): float(value) for key, value in scalars.items()}
    return ScheduleEntry(step, tuple(overrides), dict(params), floats)


def _number(value: Any) -> bool:
    return isinstance(value, int | float) and not isinstance(value, bool)


def _not_a_schedule(path: str | Path, why: str) -> ConfigError:
    return ConfigError(f"pbt_schedule={path} is not a PBT schedule.json: {why}")


def override_keys(overrides: Sequence[str]) -> list[str]:
    """The key or group each Hydra override sets (`+experiment=x` -> `experiment`).

    Raises:
        ConfigError: An override Hydra cannot parse.
    """
    try:
        return [o.key_or_group for o in OverridesParser.create().parse_overrides(list(overrides))]
    except HydraException as error:
        raise ConfigError(str(error).strip().splitlines()[0]) from None


def check_schedule(path: str | Path, entries: Sequence[ScheduleEntry], user: Sequence[str]) -> None:
    """Refuse a schedule that sets a key a member may not set alone (a shape, the budget:
    ddpg.population.keys) or one the command line (`user`, its overrides) sets too.

    Raises:
        ConfigError: Naming the key and the file.
    """
    mine = [k for k in override_keys(user) if not k.startswith(("hydra.", "hydra/"))]
    for entry in entries:
        try:
            keys = override_keys(entry.overrides)
        except ConfigError as error:
            raise _not_a_schedule(path, f"step {entry.step}: {error}") from None
        for key in keys:
            if not _covered(key, SCHEDULE_KEYS):
                raise ConfigError(
                    f"pbt_schedule={path} sets {key} (step {entry.step}): a replay changes only "
                    f"a member's own settings ({', '.join(SCHEDULE_KEYS)}), never a shape or "
                    "the budget (ddpg.population.keys)"
                )
            clash = [k for k in mine if _covered(key, (k,)) or _covered(k, (key,))]
            if clash:
                raise ConfigError(
                    f"{clash[0]} is set both on the command line and by pbt_schedule={path} "
                    f"(step {entry.step}: {key}): drop it from the command line"
                )


def _covered(key: str, roots: Sequence[str]) -> bool:
    return any(key == root or key.startswith(f"{root}.") for root in roots)


def replay_configs(
    config: RunConfig,
    entries: Sequence[ScheduleEntry],
    compose: Callable[[list[str]], RunConfig],
    user: Sequence[str],
) -> list[RunConfig]:
    """Each entry's config: `compose(user + overrides)`, checked to fit one run's schedule.

    Raises:
        ConfigError: `config` also resumes or is a population; a composed config changes a
            shape; a step that is not an evaluation step (a multiple of trainer.eval_every).
    """
    path = config.pbt_schedule
    for key, value, bad in (
        ("resume", config.resume, config.resume is not None),
        ("population.size", config.population.size, config.population.size > 1),
    ):
        if bad:
            raise ConfigError(
                f"pbt_schedule cannot be combined with {key}={value}: a replay trains one run "
                "from scratch"
            )
    configs = [compose([*user, *entry.overrides]) for entry in entries]
    every = configs[0].trainer.eval_every
    for entry, composed in zip(entries, configs, strict=True):
        if entry.step % every:
            raise ConfigError(
                f"pbt_schedule={path} changes at step {entry.step}, which is not a multiple of "
                f"trainer.eval_every={every}: a replay switches at evaluations, as PBT does"
            )
        params = [flatten(dataclasses.asdict(c)) for c in (configs[0], composed)]
        mismatched = mismatched_keys(params)
        if mismatched:
            raise ConfigError(
                f"pbt_schedule={path} changes {', '.join(mismatched)} at step {entry.step}: "
                "a replay keeps the shapes it started with (ddpg.population.keys)"
            )
    return configs


class ScheduleReplay:
    """The trainer's `exploit` hook for one run: at each evaluation before the budget's end, the
    entry in effect becomes its runtime hyperparameters and its `pbt/` scalars are logged, as a
    PBT member logs them at each round."""

    def __init__(self, entries: Sequence[ScheduleEntry], configs: Sequence[RunConfig]) -> None:
        self.entries, self.configs = list(entries), list(configs)
        self.total_steps = configs[0].trainer.total_steps

    def exploit(self, members: np.ndarray, step: int) -> list[MemberChange]:
        """Member 0 trains on under the entry in effect at `step`; copies nothing."""
        if step >= self.total_steps or 0 not in members:
            return []
        current = max(i for i, entry in enumerate(self.entries) if entry.step <= step)
        return [MemberChange(0, None, self.configs[current], self.entries[current].scalars)]

    def write(self, run_dir: Path) -> None:
        """The replay's own schedule.json: the entries it applies (those before the budget's
        end), in the PBT member's format, and the file it replays."""
        applied = [e for e in self.entries if e.step < self.total_steps]
        schedule = [
            {
                "step": e.step,
                "params": e.params,
                "overrides": list(e.overrides),
                "scalars": e.scalars,
            }
            for e in applied
        ]
        record = {"replay_of": str(self.configs[0].pbt_schedule), "schedule": schedule}
        write_json_atomic(Path(run_dir) / "schedule.json", record)
