"""Uniform experience replay: a fixed-size numpy ring buffer returning typed batches."""

from __future__ import annotations

from typing import NamedTuple

import numpy as np


class Batch(NamedTuple):
    """A minibatch of transitions; B is the batch size, O and A the obs and action sizes."""

    obs: np.ndarray  # [B, O]
    action: np.ndarray  # [B, A]
    reward: np.ndarray  # [B]
    next_obs: np.ndarray  # [B, O]
    terminated: np.ndarray  # [B], 1.0 only at true termination, never at truncation


class ReplayBuffer:
    """Ring buffer of transitions; the oldest are overwritten once `capacity` is reached."""

    def __init__(self, capacity: int, obs_dim: int, action_dim: int) -> None:
        self.capacity = capacity
        self.obs = np.zeros((capacity, obs_dim), np.float32)
        self.action = np.zeros((capacity, action_dim), np.float32)
        self.reward = np.zeros(capacity, np.float32)
        self.next_obs = np.zeros((capacity, obs_dim), np.float32)
        self.terminated = np.zeros(capacity, np.float32)
        self.position = 0  # next slot to write
        self.size = 0

    def __len__(self) -> int:
        return self.size

    def add(
        self,
        obs: np.ndarray,
        action: np.ndarray,
        reward: float,
        next_obs: np.ndarray,
        terminated: bool,
    ) -> int:
        """Store one transition and return the slot it went to."""
        slot = self.position
        self.obs[slot] = obs
        self.action[slot] = action
        self.reward[slot] = reward
        self.next_obs[slot] = next_obs
        self.terminated[slot] = terminated
        self.position = (slot + 1) % self.capacity
        self.size = min(self.size + 1, self.capacity)
        return slot

    def sample(self, batch_size: int, rng: np.random.Generator) -> Batch:
        """Draw `batch_size` transitions uniformly, with replacement."""
        index = rng.integers(0, self.size, size=batch_size)
        return Batch(
            self.obs[index],
            self.action[index],
            self.reward[index],
            self.next_obs[index],
            self.terminated[index],
        )

    def state(self) -> dict[str, np.ndarray]:
        """The stored part of the buffer plus its cursor, for checkpoints."""
        n = self.size
        return {
            "obs": self.obs[:n],
            "action": self.action[:n],
            "reward": self.reward[:n],
            "next_obs": self.next_obs[:n],
            "terminated": self.terminated[:n],
            "position": np.array(self.position, np.int64),
        }

    def load_state(self, state: dict[str, np.ndarray]) -> None:
        """Restore what `state` returned into a buffer of the same capacity and shapes."""
        n = len(state["reward"])
        if n > self.capacity:
            raise ValueError(
                f"checkpoint holds {n} transitions, buffer capacity is {self.capacity}"
            )
        for name in ("obs", "action", "reward", "next_obs", "terminated"):
            getattr(self, name)[:n] = state[name]
        self.size = n
        self.position = int(state["position"])
