"""Acting: the policy plus exploration noise, clipped to [-1, 1]; updates go to the learner."""

from __future__ import annotations

from collections.abc import Sequence

import numpy as np

from ddpg.learner import Learner
from ddpg.noise import ActionNoise
from ddpg.obs_norm import ObsNormalizer
from ddpg.replay import Batch


class Agent:
    """Chooses actions in the normalised space and hands replay batches to the learner.

    Every observation it is given is raw: it normalizes with the current statistics of
    `obs_normalizer` (identity unless env.obs_norm=running) before the networks see it, whether
    acting, evaluating or learning from a replay batch. The actor's input noise
    (network.input_noise_std) is drawn here, from the run's Generator, on top of the normalized
    observation, both when acting for exploration and for the observations the actor sees in its
    update.
    """

    def __init__(
        self,
        learner: Learner,
        noise: ActionNoise,
        obs_normalizer: ObsNormalizer,
        input_noise_std: float,
        rng: np.random.Generator,
    ) -> None:
        self.learner = learner
        self.noise = noise
        self.obs_normalizer = obs_normalizer
        self.input_noise_std = input_noise_std
        self.rng = rng
        self.action_dim = learner.action_dim

    def _perturb(self, obs: np.ndarray) -> np.ndarray:
        if self.input_noise_std == 0.0:
            return obs
        noise = self.input_noise_std * self.rng.standard_normal(obs.shape)
        return (obs + noise).astype(np.float32)

    def policy_action(self, obs: np.ndarray, explore: bool) -> np.ndarray:
        """mu(obs) [A] for a raw observation; with `explore`, the actor sees its input noise."""
        obs = self.obs_normalizer.normalize(obs)
        return self.learner.act(self._perturb(obs) if explore else obs)

    def explore(self, policy_action: np.ndarray) -> np.ndarray:
        """clip(mu(s) + noise, -1, 1): the action sent to the env while training."""
        return np.clip(policy_action + self.noise.sample(), -1.0, 1.0).astype(np.float32)

    def random_action(self) -> np.ndarray:
        """Uniform in [-1, 1]^A, for warm-up."""
        return self.rng.uniform(-1.0, 1.0, self.action_dim).astype(np.float32)

    def update_and_act(
        self, batches: Sequence[Batch], next_obs: np.ndarray
    ) -> tuple[np.ndarray, np.ndarray]:
        """Update on raw `batches`, then return mu(next_obs) (with input noise) and the metrics."""
        normalize = self.obs_normalizer.normalize
        batches = [
            b._replace(obs=normalize(b.obs), next_obs=normalize(b.next_obs)) for b in batches
        ]
        actor_obs = [self._perturb(batch.obs) for batch in batches]
        return self.learner.train_and_act(batches, actor_obs, self._perturb(normalize(next_obs)))
