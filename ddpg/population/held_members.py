"""Diverged members held for population-based training, on the trainer's side: a member whose
update went non-finite waits, when `on_diverge` says so, for the next `exploit` (ddpg.tune.pbt)
instead of ending. Until then it acts uniformly at random (its actor is not finite) and is
neither trained, evaluated, checkpointed nor stopped by a stop rule, while its env and step go
on with the others' (rounds, schedule steps and budgets stay aligned); a copy revives it from a
new episode (ddpg.population.member_slots.MemberSlots.change_member; with `tune.pbt.copy_replay`
the source's replay replaces its random transitions, as in any copy), else it ends "diverged".
A mixin of ddpg.population.trainer.Trainer, whose state it reads."""

from __future__ import annotations

from collections.abc import Callable

import numpy as np

from ddpg.population.build import Components
from ddpg.population.train_state import TrainState

#: Called when a member's update went non-finite: (member, env step, why). True holds it until
#: the next `exploit`, which copies another member into it (population-based training); False
#: ends it, "diverged".
OnDiverge = Callable[[int, int, str], bool]


class HeldMembers:
    """The trainer's held members (ddpg.population.trainer.Trainer sets the state)."""

    c: Components
    states: list[TrainState]
    on_diverge: OnDiverge | None
    # Diverged members held for the next `exploit` (member -> why), in a study's snapshots too.
    held: dict[int, str]

    def _hold(self, k: int, why: str) -> bool:
        """Member k's update went non-finite (counted in its `divergences`): whether it is held
        for the next `exploit` (else the trainer ends it, diverged)."""
        state = self.states[k]
        state.divergences += 1
        if self.on_diverge is None or not self.on_diverge(int(k), state.step, why):
            return False
        self.held[int(k)] = why
        return True

    def _held(self) -> np.ndarray:
        """The held members, in order."""
        return np.array(sorted(self.held), int)

    def _live(self, members: np.ndarray) -> np.ndarray:
        """`members` without the held ones."""
        return members[~np.isin(members, self._held())] if self.held else members

    def _act_held(self, actions: np.ndarray) -> None:
        """The held members' actions: uniformly at random, from each one's own Generator."""
        if self.held:
            held = self._held()
            actions[held] = self.c.agent.random_action(held)[held]
