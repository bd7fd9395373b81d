"""Running observation normalization of each population member, so the replay buffer stays raw.

`env.obs_norm=running` normalizes o' = (o - mean) / sqrt(var + eps) with gymnasium's
RunningMeanStd statistics (the statistics and formula of gymnasium.wrappers.NormalizeObservation;
each update is gymnasium's own `update_mean_var_count_from_moments`, applied to all members at
once), but outside the env: transitions are stored raw and normalized when they are used, with the
statistics of that moment, for acting, for each sampled batch and for evaluation alike (as
Stable-Baselines3's VecNormalize does). A wrapper would freeze each stored observation with the
statistics of the step it was seen, and early transitions of a large buffer would stay stale.
`none` and `bounds` (a fixed rescale done by gymnasium's RescaleObservation in ddpg.envs.make) need
no statistics: a disabled member's observations pass through unchanged (as float32).
"""

from __future__ import annotations

from collections.abc import Sequence
from typing import Any

import numpy as np
from gymnasium.wrappers.utils import update_mean_var_count_from_moments


class ObsNormalizer:
    """Running mean/variance of the observations of K members; disabled members keep none."""

    def __init__(self, obs_dim: int, enabled: Sequence[bool], epsilon: float = 1e-8) -> None:
        if not len(enabled):
            raise ValueError("need at least one member")
        self.enabled = np.array(enabled, bool)  # [K]
        self.epsilon = epsilon
        self.num_members = len(self.enabled)
        self._count_enabled()
        # gymnasium's RunningMeanStd(shape=(O,)) per member: mean 0, var 1, count 1e-4.
        self.mean = np.zeros((self.num_members, obs_dim))  # [K, O]
        self.var = np.ones((self.num_members, obs_dim))
        self.count = np.full(self.num_members, 1e-4)  # [K]
        # sqrt(var + eps), and 1 for a disabled member (whose mean stays 0): normalize() is then
        # the identity on its rows without a mask.
        self._std = np.ones((self.num_members, obs_dim))
        self._set_std(np.flatnonzero(self.enabled))

    def _count_enabled(self) -> None:
        self._all_enabled = bool(self.enabled.all())
        self._any_enabled = bool(self.enabled.any())

    def reset_member(self, k: int, enabled: bool) -> None:
        """Member k starts over: fresh statistics, normalizing only if `enabled`."""
        self.enabled[k] = enabled
        self._count_enabled()
        self.mean[k], self.var[k], self.count[k], self._std[k] = 0.0, 1.0, 1e-4, 1.0
        if enabled:
            self._set_std(np.array([k]))

    def copy_member(self, source: int, target: int) -> None:
        """Member `target` takes `source`'s statistics and whether it normalizes (population-based
        training's exploit: the copied networks expect the inputs they learned on)."""
        self.enabled[target] = self.enabled[source]
        self._count_enabled()
        for array in (self.mean, self.var, self.count, self._std):
            array[target] = array[source]

    def _set_std(self, members: np.ndarray) -> None:
        self._std[members] = np.sqrt(self.var[members] + self.epsilon)

    def update(self, members: np.ndarray, obs: np.ndarray) -> None:
        """Add one observation [M, O] the env returned (reset or step) per listed member."""
        if not self._any_enabled:
            return
        if not self._all_enabled:
            keep = self.enabled[members]
            members, obs = members[keep], obs[keep]
        # gymnasium's RunningMeanStd.update on a batch of one per member (batch mean o, batch var
        # 0, batch count 1), elementwise over the members; count [M, 1] broadcasts against [M, O].
        mean, var, count = update_mean_var_count_from_moments(
            self.mean[members], self.var[members], self.count[members, None], obs, 0.0, 1
        )
        self.mean[members] = mean
        self.var[members] = var
        self.count[members] = count[:, 0]
        self._std[members] = np.sqrt(var + self.epsilon)

    def normalize(self, obs: np.ndarray) -> np.ndarray:
        """[K, ..., O] -> the same shape, float32, each member with its current statistics."""
        if not self._any_enabled:
            return np.asarray(obs, np.float32)
        shape = (self.num_members,) + (1,) * (obs.ndim - 2) + (obs.shape[-1],)
        mean, std = self.mean.reshape(shape), self._std.reshape(shape)
        return ((obs - mean) / std).astype(np.float32)

    def normalize_member(self, k: int, obs: np.ndarray) -> np.ndarray:
        """Member k's observations [..., O] -> the same shape, float32."""
        if not self.enabled[k]:
            return np.asarray(obs, np.float32)
        return ((obs - self.mean[k]) / self._std[k]).astype(np.float32)

    def member_state(self, k: int) -> dict[str, Any]:
        """Member k's statistics as arrays ({} when disabled), for checkpoints and the policy."""
        if not self.enabled[k]:
            return {}
        return {
            "mean": self.mean[k].copy(),
            "var": self.var[k].copy(),
            "count": np.float64(self.count[k]),
        }

    def load_member_state(self, k: int, state: dict[str, Any]) -> None:
        """Restore what `member_state(k)` returned."""
        if self.enabled[k] and state:
            self.mean[k] = np.asarray(state["mean"], np.float64)
            self.var[k] = np.asarray(state["var"], np.float64)
            self.count[k] = float(state["count"])
            self._set_std(np.array([k]))
