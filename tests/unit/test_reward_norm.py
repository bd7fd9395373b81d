"""Reward normalization variants on hand-made episodes."""

import numpy as np
import pytest
from gymnasium.wrappers.utils import RunningMeanStd

from ddpg.config import RewardNormConfig
from ddpg.reward_norm import (
    EpisodeReturnNormalizer,
    RunningReturnNormalizer,
    ScaleReward,
    make_reward_normalizer,
)


def test_none_and_scale():
    assert make_reward_normalizer(RewardNormConfig(name="none")).normalize_batch(
        np.array([2.0], np.float32)
    ) == pytest.approx([2.0])
    scale = make_reward_normalizer(RewardNormConfig(name="scale", scale=0.1))
    assert isinstance(scale, ScaleReward)
    np.testing.assert_allclose(scale.normalize_batch(np.array([2.0, -4.0])), [0.2, -0.4])


def test_running_divides_by_std_of_discounted_return_like_gymnasium():
    rewards = [1.0, 2.0, 3.0, 0.0, -1.0]
    dones = [False, False, True, False, True]
    normalizer = RunningReturnNormalizer(gamma=0.5)
    reference, g = RunningMeanStd(shape=()), 0.0  # gymnasium's own statistics
    for r, d in zip(rewards, dones, strict=True):
        normalizer.observe(r, d)
        g = 0.5 * g + r
        reference.update(np.array([g]))
        g = 0.0 if d else g
    assert normalizer.var == pytest.approx(float(reference.var))
    out = normalizer.normalize_batch(np.array([1.0], np.float32))
    assert out[0] == pytest.approx(1.0 / np.sqrt(float(reference.var) + 1e-8), rel=1e-6)


def test_episode_return_standardises_discounted_return_to_go():
    normalizer = EpisodeReturnNormalizer(gamma=0.5)
    # returns-to-go: G2 = 4, G1 = 2 + 0.5*4 = 4, G0 = 0 + 0.5*4 = 2 -> mean 10/3
    out = normalizer.normalize_episode(np.array([0.0, 2.0, 4.0]))
    g = np.array([2.0, 4.0, 4.0])
    np.testing.assert_allclose(out, (g - g.mean()) / g.std(), rtol=1e-5)
    assert out.mean() == pytest.approx(0.0, abs=1e-6)
    assert normalizer.per_episode


def test_episode_return_of_constant_returns_is_zero():
    out = EpisodeReturnNormalizer(gamma=0.0).normalize_episode(np.array([1.0, 1.0]))
    np.testing.assert_allclose(out, [0.0, 0.0])
