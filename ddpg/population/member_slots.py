"""A population's slots changing members while it trains, on the trainer's side (counters,
records, envs, offsets): a fresh member in a freed slot (`reset_member`, `_refill`), population-
based training's change in place (`change_member`, which revives a held member:
ddpg.population.held_members), and the env steps the slots' members trained, those that gave
their slot to another included (`_work`, the progress bar's numbers); what either does to the
components is ddpg.population.slots'. A mixin of ddpg.population.trainer.Trainer, whose state
it reads."""

from __future__ import annotations

from collections.abc import Callable
from pathlib import Path

import numpy as np

from ddpg.algo.seeds import Role, int_seed
from ddpg.config.schema import RunConfig
from ddpg.population.build import Components
from ddpg.population.member_change import MemberChange
from ddpg.population.member_checkpoint import MemberStore
from ddpg.population.member_envs import MemberEnvs
from ddpg.population.member_records import MemberRecords
from ddpg.population.progress import member_steps
from ddpg.population.slots import apply_config, check_fits, copy_components, reset_components
from ddpg.population.train_state import TrainState
from ddpg.storage.metrics import MetricsWriter

#: Called when slot k frees (its member ended): the member to start there, as
#: (config, run dir, its metrics writer), or None to leave it empty.
OnFree = Callable[[int], "tuple[RunConfig, Path, MetricsWriter] | None"]


class MemberSlots:
    """The trainer's slot changes (ddpg.population.trainer.Trainer sets the state)."""

    c: Components
    config: RunConfig
    configs: list[RunConfig]
    store: MemberStore
    records: MemberRecords
    envs: MemberEnvs
    states: list[TrainState]
    tick: int
    offsets: np.ndarray
    freed: list[int]
    on_free: OnFree | None
    upcoming: Callable[[], int] | None  # members `on_free` will still start
    retired_steps: int  # env steps of the members whose slots others took
    held: dict[int, str]  # ddpg.population.held_members
    _finish: Callable[..., None]

    def reset_member(self, k: int, config: RunConfig, run_dir: Path, writer: MetricsWriter) -> None:
        """Slot k starts a fresh member trained under `config` into `run_dir`, logging through
        `writer`: from the weights, Generators and env resets a plain run with its seed starts
        from (ddpg.population.slots), at its own step 0 while the others go on. No recompile:
        only the compiled step's variables change. Its config must share the population's
        shape keys (ValueError otherwise)."""
        check_fits(self.config, config)
        reset_components(self.c, k, config)
        self.retired_steps += self.states[k].step
        self.configs[k] = config  # the store's list too
        self.store.run_dirs[k] = Path(run_dir)
        self.records.reset_member(k, writer, config.trainer.ema_decay, config.env.solved_score)
        self.envs.reset_member(k, int_seed(config.seed, Role.ENV))
        self.offsets[k] = self.tick

    def change_member(self, change: MemberChange) -> None:
        """Population-based training's exploit and explore for one member, in memory: it copies
        `change.source` (networks, targets, Adam state, normalizer statistics, and its replay
        buffer with `change.copy_replay`), then trains under `change.config` (its new runtime
        hyperparameters); no file, no recompile. A held member that copies another (a revival:
        the replay too with `copy_replay`) trains on from a new episode, its step counting on;
        one given nothing to copy ends, diverged."""
        k, source, config = change.target, change.source, change.config
        if k in self.held and (source is None or source == k):  # nothing to revive it from
            self._finish(k, "diverged")
            return
        check_fits(self.config, config)
        held = self.configs[k]
        if source is not None and source != k:
            copy_components(self.c, source, k, change.copy_replay)
            held = self.configs[source]
        apply_config(self.c, k, config, self.configs[k], held)
        self.configs[k] = config
        if self.held.pop(k, None) is not None:  # revived: it trains on from a new episode
            self.envs.new_episode(k)
        if change.scalars:
            self.records.writers[k].scalars(change.scalars, self.states[k].step)

    def _refill(self) -> None:
        """Hand each freed slot, in order, to the member `on_free` gives (None: it stays empty)."""
        freed, self.freed = self.freed, []
        for k in freed:
            new = self.on_free(k) if self.on_free is not None else None
            if new is not None:
                self.reset_member(k, *new)

    def _work(self) -> tuple[int, int]:
        """The env steps every member of this population trained so far (those whose slots
        others took included), and those they will have trained when the members running and
        those still to start (`upcoming`) train their budgets: the progress bar's numbers."""
        budget = self.config.trainer.total_steps
        done, total = member_steps(self.states, budget)
        upcoming = self.upcoming() if self.upcoming is not None else 0
        return self.retired_steps + done, self.retired_steps + total + upcoming * budget
