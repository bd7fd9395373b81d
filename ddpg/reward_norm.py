"""Reward normalization variants; the env's raw reward is what gets logged as the score.

`none` and `scale` act on each sampled batch; `running` divides by the running std of the
discounted return (as gymnasium's NormalizeReward does) with statistics updated every env step;
`episode_return` (the MountainCar seed's method) rewrites a finished episode's rewards.
"""

from __future__ import annotations

from typing import Any, Protocol

import numpy as np

from ddpg.config import RewardNormConfig


class RewardNormalizer(Protocol):
    """Turns raw env rewards into the rewards the critic learns from."""

    #: True when rewards can only be normalized once their episode is over; the trainer then
    #: holds the episode's transitions back and stores them at its end.
    per_episode: bool

    def observe(self, reward: float, done: bool) -> None:
        """Update statistics with one env step (done: terminated or truncated)."""
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

    def observe(self, reward: float, done: bool) -> None:
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
    """r' = r / sqrt(Var[G] + eps), G the running discounted return G <- gamma * G + r.

    The variance is tracked with Chan et al.'s parallel update over every env step, and G is reset
    at episode ends, as in gymnasium.wrappers.NormalizeReward. Applied when a batch is sampled, so
    older transitions are rescaled by the current statistics.
    """

    per_episode = False

    def __init__(self, gamma: float, epsilon: float = 1e-8) -> None:
        self.gamma = gamma
        self.epsilon = epsilon
        self.discounted_return = 0.0
        self.mean = 0.0
        self.var = 1.0
        self.count = 1e-4  # gymnasium's prior count, so the first updates are not unstable

    def observe(self, reward: float, done: bool) -> None:
        self.discounted_return = self.gamma * self.discounted_return + reward
        delta = self.discounted_return - self.mean
        total = self.count + 1
        self.mean += delta / total
        self.var = (self.var * self.count + delta**2 * self.count / total) / total
        self.count = total
        if done:
            self.discounted_return = 0.0

    def normalize_batch(self, reward: np.ndarray) -> np.ndarray:
        return (reward / np.sqrt(self.var + self.epsilon)).astype(np.float32)

    def normalize_episode(self, rewards: np.ndarray) -> np.ndarray:
        return rewards

    def state(self) -> dict[str, Any]:
        return {
            "discounted_return": np.float64(self.discounted_return),
            "mean": np.float64(self.mean),
            "var": np.float64(self.var),
            "count": np.float64(self.count),
        }

    def load_state(self, state: dict[str, Any]) -> None:
        for name in ("discounted_return", "mean", "var", "count"):
            setattr(self, name, float(state[name]))


class EpisodeReturnNormalizer:
    """Replace each reward by its standardised discounted return-to-go within the episode.

    G_t = sum_k gamma^k r_{t+k}; r'_t = (G_t - mean(G)) / (std(G) + eps). An episode of one step
    (std 0) maps to 0.
    """

    per_episode = True

    def __init__(self, gamma: float, epsilon: float = 1e-8) -> None:
        self.gamma = gamma
        self.epsilon = epsilon

    def observe(self, reward: float, done: bool) -> None:
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
