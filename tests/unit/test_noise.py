"""Noise processes: OU stationary statistics against the closed form, resets, decay."""

import numpy as np
import pytest

from ddpg.config import NoiseConfig
from ddpg.noise import GaussianNoise, NoNoise, OrnsteinUhlenbeckNoise, make_noise


def test_ou_empirical_stationary_std_matches_closed_form():
    config = NoiseConfig(name="ou", sigma=0.3, theta=0.15, dt=0.1)
    noise = OrnsteinUhlenbeckNoise(config, action_dim=1, rng=np.random.default_rng(0))
    expected = 0.3 * np.sqrt(0.1 / (1 - (1 - 0.15 * 0.1) ** 2))
    assert noise.stationary_std() == pytest.approx(expected)
    samples = np.array([noise.sample()[0] for _ in range(300_000)])[5_000:]  # skip burn-in
    assert samples.std() == pytest.approx(expected, rel=0.05)
    assert abs(samples.mean()) < 0.1 * expected


def test_ou_reset_returns_to_mu_and_same_seed_repeats():
    config = NoiseConfig(name="ou", sigma=0.5, mu=0.2, dt=0.01)
    a = OrnsteinUhlenbeckNoise(config, 2, np.random.default_rng(7))
    b = OrnsteinUhlenbeckNoise(config, 2, np.random.default_rng(7))
    np.testing.assert_array_equal([a.sample() for _ in range(5)], [b.sample() for _ in range(5)])
    a.reset()
    np.testing.assert_array_equal(a.x, [0.2, 0.2])


def test_gaussian_std_and_linear_decay():
    config = NoiseConfig(name="gaussian", sigma=0.4, final_sigma=0.1, decay_steps=100)
    noise = GaussianNoise(config, 1, np.random.default_rng(0))
    samples = np.array([noise.sample()[0] for _ in range(50_000)])
    assert samples.std() == pytest.approx(0.4, rel=0.03)
    noise.set_progress(50)
    assert noise.scale == pytest.approx(0.25)
    noise.set_progress(1000)
    assert noise.scale == pytest.approx(0.1)


def test_make_noise_builds_each_option():
    rng = np.random.default_rng(0)
    assert isinstance(make_noise(NoiseConfig(name="none"), 2, rng), NoNoise)
    assert not make_noise(NoiseConfig(name="none"), 2, rng).sample().any()
    assert isinstance(make_noise(NoiseConfig(name="ou"), 2, rng), OrnsteinUhlenbeckNoise)
