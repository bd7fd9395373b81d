"""Action-noise processes for exploration, in the agent's normalised action space [-1, 1].

All randomness comes from an explicit `numpy.random.Generator`; processes are reset at every
episode start. `sigma` may decay linearly over the run (`final_sigma`, `decay_steps`).
"""

from __future__ import annotations

from collections.abc import Callable
from typing import Any, Protocol

import numpy as np

from ddpg.config import NoiseConfig


class ActionNoise(Protocol):
    """A noise process the agent adds to its deterministic action."""

    def sample(self) -> np.ndarray:
        """Next noise vector, shape [A]."""
        ...

    def reset(self) -> None:
        """Start a new episode."""
        ...

    def set_progress(self, step: int) -> None:
        """Tell the process the current env step (for sigma decay)."""
        ...

    @property
    def scale(self) -> float:
        """Current sigma, for logging."""
        ...

    def state(self) -> dict[str, Any]:
        """Internal state as arrays, for checkpoints."""
        ...

    def load_state(self, state: dict[str, Any]) -> None:
        """Restore what `state` returned."""
        ...


class _DecayingSigma:
    def __init__(self, config: NoiseConfig) -> None:
        self._initial = config.sigma
        self._final = config.sigma if config.final_sigma is None else config.final_sigma
        self._decay_steps = config.decay_steps
        self.sigma = config.sigma

    def set_progress(self, step: int) -> None:
        if self._decay_steps > 0:
            fraction = min(step / self._decay_steps, 1.0)
            self.sigma = self._initial + fraction * (self._final - self._initial)

    @property
    def scale(self) -> float:
        return float(self.sigma)


class GaussianNoise(_DecayingSigma):
    """Independent N(0, sigma^2) noise each step."""

    def __init__(self, config: NoiseConfig, action_dim: int, rng: np.random.Generator) -> None:
        super().__init__(config)
        self._action_dim = action_dim
        self._rng = rng

    def sample(self) -> np.ndarray:
        return self.sigma * self._rng.standard_normal(self._action_dim)

    def reset(self) -> None:
        pass

    def state(self) -> dict[str, Any]:
        return {"sigma": np.float64(self.sigma)}

    def load_state(self, state: dict[str, Any]) -> None:
        self.sigma = float(state["sigma"])


class OrnsteinUhlenbeckNoise(_DecayingSigma):
    """Temporally correlated noise (Uhlenbeck & Ornstein 1930; Lillicrap et al. 2015, sec. 3).

    Euler-Maruyama step: x <- x + theta * (mu - x) * dt + sigma * sqrt(dt) * N(0, 1).
    The discrete process has stationary std sigma * sqrt(dt / (1 - (1 - theta * dt)^2)).
    """

    def __init__(self, config: NoiseConfig, action_dim: int, rng: np.random.Generator) -> None:
        super().__init__(config)
        self.theta = config.theta
        self.mu = config.mu
        self.dt = config.dt
        self._rng = rng
        self.x = np.full(action_dim, self.mu)

    def sample(self) -> np.ndarray:
        drift = self.theta * (self.mu - self.x) * self.dt
        diffusion = self.sigma * np.sqrt(self.dt) * self._rng.standard_normal(self.x.shape)
        self.x = self.x + drift + diffusion
        return self.x.copy()

    def reset(self) -> None:
        self.x = np.full_like(self.x, self.mu)

    def stationary_std(self) -> float:
        """Closed-form std of the stationary discrete-time process."""
        decay = 1.0 - self.theta * self.dt
        return float(self.sigma * np.sqrt(self.dt / (1.0 - decay**2)))

    def state(self) -> dict[str, Any]:
        return {"sigma": np.float64(self.sigma), "x": self.x.copy()}

    def load_state(self, state: dict[str, Any]) -> None:
        self.sigma = float(state["sigma"])
        self.x = np.array(state["x"], dtype=np.float64)


class NoNoise(_DecayingSigma):
    """Zero noise: exploration comes from elsewhere (e.g. the actor's input noise)."""

    def __init__(self, config: NoiseConfig, action_dim: int, rng: np.random.Generator) -> None:
        super().__init__(config)
        self.sigma = 0.0
        self._zeros = np.zeros(action_dim)

    def set_progress(self, step: int) -> None:
        pass

    def sample(self) -> np.ndarray:
        return self._zeros.copy()

    def reset(self) -> None:
        pass

    def state(self) -> dict[str, Any]:
        return {}

    def load_state(self, state: dict[str, Any]) -> None:
        pass


_NOISES: dict[str, Callable[[NoiseConfig, int, np.random.Generator], ActionNoise]] = {
    "ou": OrnsteinUhlenbeckNoise,
    "gaussian": GaussianNoise,
    "none": NoNoise,
}


def make_noise(config: NoiseConfig, action_dim: int, rng: np.random.Generator) -> ActionNoise:
    """Build the noise process named by `config.name`."""
    return _NOISES[config.name](config, action_dim, rng)
