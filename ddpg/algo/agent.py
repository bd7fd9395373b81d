"""Acting for a population: policies plus exploration noise, clipped to [-1, 1]; updates go to
the learner. Every array is [K, ...], one row per member; `members` index arrays say which
members act (a finished or diverged member takes no step and draws no random number).
"""

from __future__ import annotations

from collections.abc import Sequence

import numpy as np

from ddpg.algo.learner import Learner
from ddpg.algo.noise import ActionNoise
from ddpg.algo.obs_norm import ObsNormalizer
from ddpg.algo.replay import Batch


class Agent:
    """Chooses actions in the normalised space and hands replay batches to the learner.

    Every observation it is given is raw: it normalizes with the current statistics of
    `obs_normalizer` (identity for members without env.obs_norm=running) before the networks see
    it, whether acting, evaluating or learning from a replay batch. The actor's input noise
    (network.input_noise_std, per member) is drawn here, from the member's own Generator, on top
    of the normalized observation, when acting for exploration and for the observations the
    actor sees in its update.
    """

    def __init__(
        self,
        learner: Learner,
        noise: ActionNoise,
        obs_normalizer: ObsNormalizer,
        input_noise_std: np.ndarray,
        rngs: Sequence[np.random.Generator],
    ) -> None:
        self.learner = learner
        self.noise = noise
        self.obs_normalizer = obs_normalizer
        self.input_noise_std = np.asarray(input_noise_std, np.float64)  # [K]
        self._any_input_noise = bool((self.input_noise_std > 0).any())
        self.rngs = list(rngs)
        self.members = learner.members
        self.action_dim = learner.action_dim

    def set_input_noise(self, k: int, std: float) -> None:
        """Member k's actor input noise scale (network.input_noise_std)."""
        self.input_noise_std[k] = std
        self._any_input_noise = bool((self.input_noise_std > 0).any())

    def _perturb(self, obs: np.ndarray, members: np.ndarray) -> np.ndarray:
        """obs [K, ..., O] plus each listed member's input noise, from its own Generator."""
        if not self._any_input_noise:
            return obs
        noisy = [k for k in members if self.input_noise_std[k] > 0.0]
        if not noisy:
            return obs
        obs = np.array(obs, np.float32)
        for k in noisy:
            obs[k] += self.input_noise_std[k] * self.rngs[k].standard_normal(obs[k].shape)
        return obs

    def policy_action(self, obs: np.ndarray, members: np.ndarray, explore: bool) -> np.ndarray:
        """mu(obs) [K, A] for raw observations [K, O]; with `explore`, the listed members' actors
        see their input noise."""
        obs = self.obs_normalizer.normalize(obs)
        return self.learner.act(self._perturb(obs, members) if explore else obs)

    def explore(self, policy_action: np.ndarray, members: np.ndarray) -> np.ndarray:
        """clip(mu(s) + noise, -1, 1) for the listed members: the actions sent to their envs."""
        noisy = policy_action + self.noise.sample(members)
        return np.clip(noisy, -1.0, 1.0, out=noisy).astype(np.float32)

    def random_action(self, members: np.ndarray) -> np.ndarray:
        """Uniform in [-1, 1]^A for the listed members (warm-up), zeros elsewhere."""
        actions = np.zeros((self.members, self.action_dim), np.float32)
        for k in members:
            actions[k] = self.rngs[k].uniform(-1.0, 1.0, self.action_dim)
        return actions

    def update_and_act(
        self,
        batches: Sequence[Batch],
        learners: np.ndarray,
        acting: np.ndarray,
        next_obs: np.ndarray,
    ) -> tuple[np.ndarray, np.ndarray]:
        """Update the `learners` on raw `batches`; return mu(next_obs) [K, A] (the `acting`
        members with input noise) and the metrics [K, 3]."""
        normalize = self.obs_normalizer.normalize
        batches = [
            b._replace(obs=normalize(b.obs), next_obs=normalize(b.next_obs)) for b in batches
        ]
        actor_obs = [self._perturb(batch.obs, learners) for batch in batches]
        update = np.zeros(self.members, bool)
        update[learners] = True  # (bool -> 1.0 / 0.0 in the packed input)
        next_obs = self._perturb(normalize(next_obs), acting)
        return self.learner.train_and_act(batches, actor_obs, update, next_obs)
