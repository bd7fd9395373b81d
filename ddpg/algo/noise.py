"""Action noise for exploration, one process per population member, in the action space [-1, 1].

Member k follows configs[k] (`ou`, `gaussian` or `none`) and draws only from its own
`numpy.random.Generator`, in the same order and amount as a lone member would, so its noise does
not depend on who else is in the population. Processes are reset at every episode start.
`sigma` may decay linearly over the run (`final_sigma`, `decay_steps`).
"""

from __future__ import annotations

from collections.abc import Sequence
from typing import Any

import numpy as np

from ddpg.config.schema import NoiseConfig


class ActionNoise:
    """Noise of K members as [K, A] arrays; A is the action size.

    gaussian: independent N(0, sigma^2) each step.
    ou: Ornstein-Uhlenbeck noise (Uhlenbeck & Ornstein 1930; Lillicrap et al. 2015, sec. 3),
        temporally correlated, by the Euler-Maruyama step
        x <- x + theta * (mu - x) * dt + sigma * sqrt(dt) * N(0, 1),
        whose stationary std is sigma * sqrt(dt / (1 - (1 - theta * dt)^2)).
    none: zero, drawing nothing; exploration comes from elsewhere (e.g. the actor's input noise).
    """

    def __init__(
        self,
        configs: Sequence[NoiseConfig],
        action_dim: int,
        rngs: Sequence[np.random.Generator],
    ) -> None:
        if len(configs) != len(rngs) or not configs:
            raise ValueError(f"need one rng per noise config, got {len(rngs)} for {len(configs)}")
        self.action_dim = action_dim
        self.configs = list(configs)
        self.num_members = k = len(configs)
        self._rngs = list(rngs)
        self._initial, self._final = np.zeros(k), np.zeros(k)  # sigma at step 0 and at the end
        self._steps = np.zeros(k)  # decay_steps
        self.sigma = np.zeros(k)  # [K]
        self._theta, self._mu, self._dt = np.zeros((k, 1)), np.zeros((k, 1)), np.zeros((k, 1))
        self.x = np.zeros((k, action_dim))  # [K, A] OU state
        self._normal = np.zeros((k, action_dim))  # [K, A] this step's N(0, 1)
        for member, config in enumerate(self.configs):
            self._set_member(member, config)
        self._derive()

    def _set_member(self, k: int, config: NoiseConfig) -> None:
        """Member k's process as `config` says, at its episode start; the others untouched."""
        self.configs[k] = config
        self._initial[k] = 0.0 if config.name == "none" else config.sigma
        self._final[k] = config.sigma if config.final_sigma is None else config.final_sigma
        self._steps[k] = config.decay_steps
        self.sigma[k] = self._initial[k]
        self._theta[k, 0], self._mu[k, 0], self._dt[k, 0] = config.theta, config.mu, config.dt
        self.x[k] = self._mu[k, 0]
        self._normal[k] = 0.0  # a member that stops drawing leaves zeros, as a fresh one has

    def _derive(self) -> None:
        """What the sampling reads across members: who draws, who is OU, who decays."""
        self.names = tuple(config.name for config in self.configs)
        self._ou = np.array([name == "ou" for name in self.names])  # [K]
        self._draws = [name != "none" for name in self.names]  # [K]
        self._all_ou = bool(self._ou.all())
        self._any_ou = bool(self._ou.any())
        self._decaying = np.flatnonzero((self._steps > 0) & np.array(self._draws))
        self._decay_from = self._initial[self._decaying]
        self._decay_span = self._final[self._decaying] - self._decay_from
        self._decay_steps = self._steps[self._decaying]
        self._sqrt_dt = np.sqrt(self._dt)
        self._draw_calls = [
            (rng.standard_normal, row)
            for rng, row, draws in zip(self._rngs, self._normal, self._draws, strict=True)
            if draws
        ]
        self._set_diffusion()

    def _set_diffusion(self) -> None:
        self._sigma = self.sigma[:, None]  # [K, 1]
        self._diffusion = self._sigma * self._sqrt_dt

    def sample(self, members: np.ndarray) -> np.ndarray:
        """Next noise [K, A] of the listed members (distinct indices); other rows are 0."""
        normal = self._normal
        everyone = len(members) == self.num_members
        if everyone:
            for standard_normal, row in self._draw_calls:
                standard_normal(out=row)
        else:
            normal.fill(0.0)
            for k in members.tolist():
                if self._draws[k]:
                    self._rngs[k].standard_normal(out=normal[k])
        if not self._any_ou:
            return self._sigma * normal
        x = self.x
        stepped = x + self._theta * (self._mu - x) * self._dt + self._diffusion * normal
        if everyone and self._all_ou:
            self.x = stepped
            return stepped.copy()
        if everyone:
            ou = self._ou[:, None]
        else:
            ou = np.zeros((self.num_members, 1), bool)
            ou[members, 0] = self._ou[members]
        np.copyto(x, stepped, where=ou)
        noise = self._sigma * normal
        np.copyto(noise, x, where=ou)
        return noise

    def reset(self, members: np.ndarray) -> None:
        """Start a new episode for the listed members: their OU state returns to mu."""
        self.x[members] = self._mu[members]

    def replace_member(self, k: int, config: NoiseConfig) -> None:
        """Member k becomes a fresh process of `config` (its Generator is the caller's to reset);
        the other members' processes go on where they are."""
        self._set_member(k, config)
        self._derive()

    def set_progress(self, step: int | np.ndarray) -> None:
        """Tell the processes the current env step (one for all, or each member's [K]): sigma
        decays linearly to final_sigma."""
        if len(self._decaying):
            steps = np.broadcast_to(np.asarray(step, np.float64), (self.num_members,))
            fraction = np.minimum(steps[self._decaying] / self._decay_steps, 1.0)
            self.sigma[self._decaying] = self._decay_from + fraction * self._decay_span
            self._set_diffusion()

    @property
    def scale(self) -> np.ndarray:
        """Current sigma per member [K] (0 for `none`), for logging."""
        return self.sigma.copy()

    def stationary_std(self, k: int) -> float:
        """Closed-form std of member k's stationary noise (for `ou`, the discrete process)."""
        sigma = float(self.sigma[k])
        if self.names[k] != "ou":
            return sigma
        theta, dt = float(self._theta[k, 0]), float(self._dt[k, 0])
        decay = 1.0 - theta * dt
        return float(sigma * np.sqrt(dt / (1.0 - decay**2)))

    def member_state(self, k: int) -> dict[str, Any]:
        """Member k's state as arrays ({} for `none`), for checkpoints."""
        name = self.names[k]
        if name == "none":
            return {}
        state: dict[str, Any] = {"sigma": np.float64(self.sigma[k])}
        if name == "ou":
            state["x"] = self.x[k].copy()
        return state

    def load_member_state(self, k: int, state: dict[str, Any]) -> None:
        """Restore what `member_state(k)` returned."""
        name = self.names[k]
        if name == "none":
            return
        self.sigma[k] = float(state["sigma"])
        if name == "ou":
            self.x[k] = np.asarray(state["x"], np.float64)
        self._set_diffusion()
