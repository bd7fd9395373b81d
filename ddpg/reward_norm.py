"""Reward normalization variants; the env's raw reward is what gets logged as the score.

`none` and `scale` act on each sampled batch; `running` divides by the running std of the
discounted return exactly as gymnasium's NormalizeReward does (its statistics are gymnasium's own
RunningMeanStd), updated every env step; `episode_return` (the MountainCar seed's method) rewrites
a finished episode's rewards.
"""

from __future__ import annotations

from typing import Any, Protocol

import numpy as np
from gymnasium.wrappers.utils import RunningMeanStd

from ddpg.config import RewardNormConfig


class RewardNormalizer(Protocol):
    """Turns raw env rewards into the rewards the critic learns from."""

    #: True when rewards can only be normalized once their episode is over; the trainer then
    #: holds the episode's transitions back and stores them at its end.
    per_episode: bool

    def observe(self, reward: float, terminated: bool) -> None:
        """Update statistics with one env step (terminated: a true end, not a time limit)."""
        ...

    def normalize_batch(self, reward: np.ndarray) -> np.ndarray:
        """Rewards of a sampled batch [B] as the critic should see them."""
        ...

    def normalize_episode(self, rewards: np.ndarray) -> np.ndarray:
        """Rewards of a whole finished episode [T], before they are stored."""
        ...

    def state(self) -> dict[str, Any]:
        """Statistics as arrays, for checkpoints."""
        ...

    def load_state(self, state: dict[str, Any]) -> None:
        """Restore what `state` returned."""
        ...


class ScaleReward:
    """r' = scale * r (scale 1 is `none`)."""

    per_episode = False

    def __init__(self, scale: float = 1.0) -> None:
        self.scale = scale

    def observe(self, reward: float, terminated: bool) -> None:
        pass

    def normalize_batch(self, reward: np.ndarray) -> np.ndarray:
        return reward * np.float32(self.scale)

    def normalize_episode(self, rewards: np.ndarray) -> np.ndarray:
        return rewards

    def state(self) -> dict[str, Any]:
        return {}

    def load_state(self, state: dict[str, Any]) -> None:
        pass


class RunningReturnNormalizer:
    """r' = r / sqrt(Var[G] + eps), G the running discounted return G <- gamma * (1 - d) * G + r.

    The semantics of gymnasium.wrappers.NormalizeReward: G restarts only at true termination
    (d = terminated), so a time-limit truncation carries G into the next episode, and Var[G] is
    tracked by gymnasium's RunningMeanStd over every env step. Applied when a batch is sampled,
    so older transitions are rescaled by the current statistics.
    """

    per_episode = False

    def __init__(self, gamma: float, epsilon: float = 1e-8) -> None:
        self.gamma = gamma
        self.epsilon = epsilon
        self.discounted_return = 0.0
        self.return_rms = RunningMeanStd(shape=())

    @property
    def var(self) -> float:
        """Current variance estimate of the discounted return."""
        return float(self.return_rms.var)

    def observe(self, reward: float, terminated: bool) -> None:
        self.discounted_return = self.discounted_return * self.gamma * (1 - terminated) + reward
        self.return_rms.update(np.array([self.discounted_return]))

    def normalize_batch(self, reward: np.ndarray) -> np.ndarray:
        return (reward / np.sqrt(self.return_rms.var + self.epsilon)).astype(np.float32)

    def normalize_episode(self, rewards: np.ndarray) -> np.ndarray:
        return rewards

    def state(self) -> dict[str, Any]:
        rms = self.return_rms
        return {
            "discounted_return": np.float64(self.discounted_return),
            "mean": np.float64(rms.mean),
            "var": np.float64(rms.var),
            "count": np.float64(rms.count),
        }

    def load_state(self, state: dict[str, Any]) -> None:
        self.discounted_return = float(state["discounted_return"])
        rms = self.return_rms
        rms.mean, rms.var = np.float64(state["mean"]), np.float64(state["var"])
        rms.count = float(state["count"])


class EpisodeReturnNormalizer:
    """Replace each reward by its standardised discounted return-to-go within the episode.

    G_t = sum_k gamma^k r_{t+k}; r'_t = (G_t - mean(G)) / (std(G) + eps). An episode of one step
    (std 0) maps to 0.
    """

    per_episode = True

    def __init__(self, gamma: float, epsilon: float = 1e-8) -> None:
        self.gamma = gamma
        self.epsilon = epsilon

    def observe(self, reward: float, terminated: bool) -> None:
        pass

    def normalize_batch(self, reward: np.ndarray) -> np.ndarray:
        return reward

    def normalize_episode(self, rewards: np.ndarray) -> np.ndarray:
        returns = np.zeros(len(rewards), np.float64)
        running = 0.0
        for t in range(len(rewards) - 1, -1, -1):
            running = rewards[t] + self.gamma * running
            returns[t] = running
        centred = returns - returns.mean()
        return (centred / (returns.std() + self.epsilon)).astype(np.float32)

    def state(self) -> dict[str, Any]:
        return {}

    def load_state(self, state: dict[str, Any]) -> None:
        pass


def make_reward_normalizer(config: RewardNormConfig) -> RewardNormalizer:
    """Build the variant named by `config.name`."""
    if config.name == "none":
        return ScaleReward(1.0)
    if config.name == "scale":
        return ScaleReward(config.scale)
    if config.name == "running":
        return RunningReturnNormalizer(config.gamma, config.epsilon)
    return EpisodeReturnNormalizer(config.gamma, config.epsilon)
