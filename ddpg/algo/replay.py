"""Uniform experience replay: one numpy ring buffer per population member, sampled as one batch.

The K members' rings live side by side in flat arrays (member k owns rows k*C .. k*C + C - 1,
C the capacity), so storing a step for every member, or gathering every member's batch, is one
fancy index per array. One extra all-zero row at the end is what unlisted members "sample".
"""

from __future__ import annotations

from collections.abc import Sequence
from typing import NamedTuple

import numpy as np


class Batch(NamedTuple):
    """Minibatches of transitions; K members, B the batch size, O and A the obs and action sizes."""

    obs: np.ndarray  # [K, B, O]
    action: np.ndarray  # [K, B, A]
    reward: np.ndarray  # [K, B]
    next_obs: np.ndarray  # [K, B, O]
    terminated: np.ndarray  # [K, B], 1.0 only at true termination, never at truncation


_FIELDS = ("obs", "action", "reward", "next_obs", "terminated")


class ReplayBuffer:
    """K ring buffers of transitions; a member's oldest are overwritten once it holds `capacity`.

    Methods take `members`, an int array of distinct member indices, and data whose first axis
    follows it (row i belongs to member members[i]).
    """

    def __init__(self, capacity: int, members: int, obs_dim: int, action_dim: int) -> None:
        if capacity < 1 or members < 1:
            raise ValueError(f"capacity and members must be >= 1, got {capacity}, {members}")
        self.capacity = capacity
        self.num_members = members
        rows = members * capacity + 1  # the last row stays zero
        self._obs = np.zeros((rows, obs_dim), np.float32)
        self._action = np.zeros((rows, action_dim), np.float32)
        self._reward = np.zeros(rows, np.float32)
        self._next_obs = np.zeros((rows, obs_dim), np.float32)
        self._terminated = np.zeros(rows, np.float32)
        self._zero_row = rows - 1
        # [K, C, ...] views of the same storage, for inspection and checkpoints.
        self.obs = self._obs[:-1].reshape(members, capacity, obs_dim)
        self.action = self._action[:-1].reshape(members, capacity, action_dim)
        self.reward = self._reward[:-1].reshape(members, capacity)
        self.next_obs = self._next_obs[:-1].reshape(members, capacity, obs_dim)
        self.terminated = self._terminated[:-1].reshape(members, capacity)
        self._offsets = np.arange(members, dtype=np.int64)[:, None] * capacity  # [K, 1]
        self._rows = np.zeros((members, 0), np.int64)  # [K, B], reused across samples
        self.positions = np.zeros(members, np.int64)  # [K] next slot to write
        self.sizes = np.zeros(members, np.int64)  # [K] transitions stored

    def add(
        self,
        members: np.ndarray,
        obs: np.ndarray,
        action: np.ndarray,
        reward: np.ndarray,
        next_obs: np.ndarray,
        terminated: np.ndarray,
    ) -> None:
        """Store one transition for each listed member: obs [M, O], action [M, A], reward [M]..."""
        if len(members) == 1:  # basic indexing: several times cheaper than fancy for one row
            k = int(members[0])
            slot = int(self.positions[k])
            row = k * self.capacity + slot
            self._obs[row] = obs[0]
            self._action[row] = action[0]
            self._reward[row] = reward[0]
            self._next_obs[row] = next_obs[0]
            self._terminated[row] = terminated[0]
            self.positions[k] = (slot + 1) % self.capacity
            if self.sizes[k] < self.capacity:
                self.sizes[k] += 1
            return
        slots = self.positions[members]
        rows = members * self.capacity + slots
        self._obs[rows] = obs
        self._action[rows] = action
        self._reward[rows] = reward
        self._next_obs[rows] = next_obs
        self._terminated[rows] = terminated
        self.positions[members] = (slots + 1) % self.capacity
        self.sizes[members] = np.minimum(self.sizes[members] + 1, self.capacity)

    def add_episode(
        self,
        member: int,
        obs: np.ndarray,
        action: np.ndarray,
        reward: np.ndarray,
        next_obs: np.ndarray,
        terminated: np.ndarray,
    ) -> None:
        """Store T transitions of one member (obs [T, O]...), as T single `add`s would."""
        steps = len(reward)
        kept = min(steps, self.capacity)  # an episode longer than the ring keeps its tail
        first = steps - kept
        slots = (self.positions[member] + np.arange(first, steps)) % self.capacity
        rows = member * self.capacity + slots
        self._obs[rows] = obs[first:]
        self._action[rows] = action[first:]
        self._reward[rows] = reward[first:]
        self._next_obs[rows] = next_obs[first:]
        self._terminated[rows] = terminated[first:]
        self.positions[member] = (self.positions[member] + steps) % self.capacity
        self.sizes[member] = min(self.sizes[member] + steps, self.capacity)

    def sample(
        self, batch_size: int, rngs: Sequence[np.random.Generator], members: np.ndarray
    ) -> Batch:
        """Draw `batch_size` transitions per listed member, uniformly with replacement.

        Member k's indices are `rngs[k].integers(0, sizes[k], size=batch_size)`, so it draws
        exactly what a lone buffer would; rows of unlisted members are zeros.
        """
        if len(members) == self.num_members == 1:  # a lone member: no offset, no copy
            rows = rngs[0].integers(0, int(self.sizes[0]), size=batch_size)[None]
        else:
            rows = self._draw_rows(batch_size, rngs, members)
        # take() gathers rows several times faster than fancy indexing at large K.
        return Batch(
            self._obs.take(rows, axis=0),
            self._action.take(rows, axis=0),
            self._reward.take(rows),
            self._next_obs.take(rows, axis=0),
            self._terminated.take(rows),
        )

    def _draw_rows(
        self, batch_size: int, rngs: Sequence[np.random.Generator], members: np.ndarray
    ) -> np.ndarray:
        """Storage rows [K, B] to gather: each listed member's draws, else the zero row."""
        rows = self._rows
        if rows.shape[1] != batch_size:
            rows = self._rows = np.zeros((self.num_members, batch_size), np.int64)
        sizes = self.sizes.tolist()
        for k in members.tolist():
            rows[k] = rngs[k].integers(0, sizes[k], size=batch_size)
        rows += self._offsets
        # No separate branch for "everyone listed": it saved only 3-7% of sample().
        unlisted = np.ones(self.num_members, bool)
        unlisted[members] = False
        rows[unlisted] = self._zero_row
        return rows

    def clear_member(self, k: int) -> None:
        """Empty member k's ring (a fresh member takes its slot); the others keep theirs."""
        for name in _FIELDS:
            getattr(self, name)[k] = 0
        self.sizes[k] = self.positions[k] = 0

    def copy_member(self, source: int, target: int) -> None:
        """Member `target`'s ring becomes a copy of member `source`'s: its transitions, size and
        write position (population-based training's exploit, when it copies replay too)."""
        # Rows past a member's size are zero (rings fill from row 0; `clear_member` zeroes), so
        # copying the rows either one holds makes the whole rings equal.
        n = int(max(self.sizes[source], self.sizes[target]))
        for name in _FIELDS:
            array = getattr(self, name)
            array[target, :n] = array[source, :n]
        self.sizes[target] = self.sizes[source]
        self.positions[target] = self.positions[source]

    def member_state(self, k: int) -> dict[str, np.ndarray]:
        """Member k's stored transitions (views) plus its cursor, for checkpoints."""
        n = int(self.sizes[k])
        state = {name: getattr(self, name)[k, :n] for name in _FIELDS}
        state["position"] = np.array(self.positions[k], np.int64)
        return state

    def load_member_state(self, k: int, state: dict[str, np.ndarray]) -> None:
        """Restore what `member_state` returned into member k (same capacity and shapes)."""
        n = len(state["reward"])
        if n > self.capacity:
            raise ValueError(
                f"checkpoint holds {n} transitions, buffer capacity is {self.capacity}"
            )
        for name in _FIELDS:
            getattr(self, name)[k, :n] = state[name]
        self.sizes[k] = n
        self.positions[k] = int(state["position"])
