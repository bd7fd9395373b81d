"""ObsNormalizer against gymnasium's NormalizeObservation on the same observation stream."""

import gymnasium as gym
import numpy as np
from gymnasium.wrappers import NormalizeObservation

from ddpg.obs_norm import ObsNormalizer


def test_matches_gymnasium_normalize_observation():
    env = NormalizeObservation(gym.make("Pendulum-v1"))
    ours = ObsNormalizer(3, enabled=True)
    env.action_space.seed(0)
    normalized, _ = env.reset(seed=0)
    ours.update(env.unwrapped._get_obs())
    for _ in range(500):
        np.testing.assert_allclose(
            ours.normalize(env.unwrapped._get_obs()), normalized, rtol=1e-5, atol=1e-5
        )
        normalized, _, terminated, truncated, _ = env.step(env.action_space.sample())
        ours.update(env.unwrapped._get_obs())
        if terminated or truncated:
            normalized, _ = env.reset()
            ours.update(env.unwrapped._get_obs())
    assert ours.obs_rms.count == env.obs_rms.count


def test_state_round_trip_and_disabled_identity():
    first = ObsNormalizer(2, enabled=True)
    for obs in ([1.0, 2.0], [3.0, -1.0], [0.5, 0.5]):
        first.update(np.array(obs))
    second = ObsNormalizer(2, enabled=True)
    second.load_state(first.state())
    x = np.array([[2.0, 0.0], [1.0, 1.0]])
    np.testing.assert_array_equal(second.normalize(x), first.normalize(x))
    off = ObsNormalizer(2, enabled=False)
    off.update(np.array([5.0, 5.0]))
    assert off.normalize(x) is x and off.state() == {}
