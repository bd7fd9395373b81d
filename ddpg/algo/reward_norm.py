"""Reward normalization of each population member; the env's raw reward is logged as the score.

Member k follows configs[k]. `none` and `scale` act on each sampled batch; `running` divides by
the running std of the discounted return exactly as gymnasium's NormalizeReward does (the
statistics of gymnasium's RunningMeanStd, updated every env step by gymnasium's own
`update_mean_var_count_from_moments`, applied to all members at once); `episode_return` (the
MountainCar seed's method) rewrites a finished episode's rewards.
"""

from __future__ import annotations

from collections.abc import Sequence
from typing import Any

import numpy as np
from gymnasium.wrappers.utils import update_mean_var_count_from_moments

from ddpg.config.schema import RewardNormConfig


class RewardNormalizer:
    """Turns the raw env rewards of K members into the rewards their critics learn from.

    scale: r' = scale * r (`none` is scale 1).
    running: r' = r / sqrt(Var[G] + eps), G the running discounted return
        G <- gamma * (1 - d) * G + r. The semantics of gymnasium.wrappers.NormalizeReward: G
        restarts only at true termination (d = terminated), so a time-limit truncation carries G
        into the next episode, and Var[G] is tracked with gymnasium's RunningMeanStd update
        (`gymnasium.wrappers.utils.update_mean_var_count_from_moments`) over every env step.
        Applied when a batch is sampled, so older transitions are rescaled by the current
        statistics.
    episode_return: each reward of a finished episode becomes its standardised discounted
        return-to-go, G_t = sum_j gamma^j r_{t+j}; r'_t = (G_t - mean(G)) / (std(G) + eps). An
        episode of one step (std 0) maps to 0.
    """

    def __init__(self, configs: Sequence[RewardNormConfig]) -> None:
        if not configs:
            raise ValueError("need at least one reward_norm config")
        self._configure(list(configs))

    def _configure(self, configs: list[RewardNormConfig]) -> None:
        """Every member as `configs` say, with fresh statistics."""
        self.configs = configs
        self.names = tuple(config.name for config in configs)
        self.num_members = len(configs)
        names = np.array(self.names)
        #: Members whose rewards can only be normalized once their episode is over; the trainer
        #: holds those episodes' transitions back and stores them at their end.
        self.per_episode = names == "episode_return"  # [K]
        self._running = names == "running"  # [K]
        self._running_members = np.flatnonzero(self._running)
        self._any_running = bool(self._running.any())
        self._all_running = bool(self._running.all())
        # Exact in float64 for a float32 reward, so r * scale rounds once, like a float32 product.
        scales = [np.float32(c.scale) if c.name == "scale" else 1.0 for c in configs]
        self._scale = np.array(scales, np.float64)[:, None]  # [K, 1]
        self._any_scale = bool((names == "scale").any())
        self.gamma = np.array([c.gamma for c in configs])  # [K]
        self.epsilon = np.array([c.epsilon for c in configs])
        self.discounted_return = np.zeros(self.num_members)  # [K] G
        # gymnasium's RunningMeanStd(shape=()) per member: mean 0, var 1, count 1e-4.
        self.mean = np.zeros(self.num_members)
        self.var = np.ones(self.num_members)
        self.count = np.full(self.num_members, 1e-4)
        self._std = np.ones((self.num_members, 1))  # [K, 1] sqrt(Var[G] + eps), 1 if not running
        self._set_std()

    def _set_std(self) -> None:
        running = self._running_members
        self._std[running, 0] = np.sqrt(self.var[running] + self.epsilon[running])

    def replace_member(self, k: int, config: RewardNormConfig) -> None:
        """Member k normalizes as `config` says, from fresh statistics; the others keep theirs."""
        kept = {j: self.member_state(j) for j in range(self.num_members) if j != k}
        configs = list(self.configs)
        configs[k] = config
        self._configure(configs)
        for j, state in kept.items():
            self.load_member_state(j, state)

    def copy_member(self, source: int, target: int) -> None:
        """Member `target` takes `source`'s statistics (population-based training's exploit);
        only where both normalize the same way."""
        if self.names[source] == self.names[target]:
            self.load_member_state(target, self.member_state(source))

    def observe(self, members: np.ndarray, reward: np.ndarray, terminated: np.ndarray) -> None:
        """Update statistics with one env step of the listed members (distinct indices).

        reward [M] raw; terminated [M] a true end, not a time limit.
        """
        if not self._any_running:
            return
        if not self._all_running:
            keep = self._running[members]
            members, reward, terminated = members[keep], reward[keep], terminated[keep]
        returns = self.discounted_return[members] * self.gamma[members] * (1 - terminated) + reward
        self.discounted_return[members] = returns
        # gymnasium's RunningMeanStd.update on a batch of one per member (batch mean G, batch var
        # 0, batch count 1), elementwise over the members.
        mean, var, count = update_mean_var_count_from_moments(
            self.mean[members], self.var[members], self.count[members], returns, 0.0, 1
        )
        self.mean[members] = mean
        self.var[members] = var
        self.count[members] = count
        self._std[members, 0] = np.sqrt(var + self.epsilon[members])

    def normalize_batch(self, reward: np.ndarray) -> np.ndarray:
        """Rewards of sampled batches [K, B] as each member's critic should see them, float32."""
        if self._any_scale:
            reward = reward * self._scale
        if self._any_running:
            reward = reward / self._std
        return np.asarray(reward, np.float32)

    def normalize_episode(self, k: int, rewards: np.ndarray) -> np.ndarray:
        """Rewards of member k's finished episode [T], before they are stored, float32."""
        if not self.per_episode[k]:
            return np.asarray(rewards, np.float32)
        gamma = float(self.gamma[k])
        returns = np.zeros(len(rewards), np.float64)
        values = np.asarray(rewards).tolist()  # Python floats: the float64 sums, faster
        running = 0.0
        for t in range(len(values) - 1, -1, -1):
            running = values[t] + gamma * running
            returns[t] = running
        centred = returns - returns.mean()
        return (centred / (returns.std() + self.epsilon[k])).astype(np.float32)

    def member_state(self, k: int) -> dict[str, Any]:
        """Member k's statistics as arrays ({} unless `running`), for checkpoints."""
        if not self._running[k]:
            return {}
        return {
            "discounted_return": np.float64(self.discounted_return[k]),
            "mean": np.float64(self.mean[k]),
            "var": np.float64(self.var[k]),
            "count": np.float64(self.count[k]),
        }

    def load_member_state(self, k: int, state: dict[str, Any]) -> None:
        """Restore what `member_state(k)` returned."""
        if not self._running[k]:
            return
        for name in ("discounted_return", "mean", "var", "count"):
            getattr(self, name)[k] = float(state[name])
        self._set_std()
