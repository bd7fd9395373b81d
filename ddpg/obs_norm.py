"""Running observation normalization applied by the agent, so the replay buffer stays raw.

`env.obs_norm=running` normalizes o' = (o - mean) / sqrt(var + eps) with gymnasium's
RunningMeanStd (the statistics and formula of gymnasium.wrappers.NormalizeObservation), but
outside the env: transitions are stored raw and normalized when they are used, with the
statistics of that moment, for acting, for each sampled batch and for evaluation alike (as
Stable-Baselines3's VecNormalize does). A wrapper would freeze each stored observation with the
statistics of the step it was seen, and early transitions of a large buffer would stay stale.
`none` and `bounds` (a fixed rescale done by gymnasium's RescaleObservation in ddpg.envs) need
no statistics: `normalize` is then the identity.
"""

from __future__ import annotations

from typing import Any

import numpy as np
from gymnasium.wrappers.utils import RunningMeanStd


class ObsNormalizer:
    """Running mean/variance of observations; `enabled=False` makes every method a no-op."""

    def __init__(self, obs_dim: int, enabled: bool, epsilon: float = 1e-8) -> None:
        self.enabled = enabled
        self.epsilon = epsilon
        self.obs_rms = RunningMeanStd(shape=(obs_dim,))

    def update(self, obs: np.ndarray) -> None:
        """Add one observation [O] the env returned (reset or step) to the statistics."""
        if self.enabled:
            self.obs_rms.update(np.asarray(obs, np.float64)[None])

    def normalize(self, obs: np.ndarray) -> np.ndarray:
        """[..., O] -> the same shape, float32, with the current statistics."""
        if not self.enabled:
            return obs
        rms = self.obs_rms
        return ((obs - rms.mean) / np.sqrt(rms.var + self.epsilon)).astype(np.float32)

    def state(self) -> dict[str, Any]:
        """The statistics as arrays ({} when disabled), for checkpoints and the saved policy."""
        if not self.enabled:
            return {}
        rms = self.obs_rms
        return {"mean": rms.mean.copy(), "var": rms.var.copy(), "count": np.float64(rms.count)}

    def load_state(self, state: dict[str, Any]) -> None:
        """Restore what `state` returned."""
        if self.enabled and state:
            self.obs_rms.mean = np.array(state["mean"], np.float64)
            self.obs_rms.var = np.array(state["var"], np.float64)
            self.obs_rms.count = float(state["count"])
