"""The agent's actor input noise: its shortcuts (no member has input noise, or none of the
listed members has) give what the general path gives and draw nothing; listed members draw
from their own generators."""

from types import SimpleNamespace

import numpy as np

from ddpg.algo.agent import Agent

K, B, OBS = 3, 5, 4


def _agent(input_noise_std: list[float], seeds: tuple[int, ...] = (0, 1, 2)) -> Agent:
    learner = SimpleNamespace(members=K, action_dim=2)  # _perturb needs no networks
    rngs = [np.random.default_rng(seed) for seed in seeds]
    return Agent(learner, None, None, np.array(input_noise_std), rngs)


def _states(agent: Agent) -> list[dict]:
    return [rng.bit_generator.state for rng in agent.rngs]


def test_no_input_noise_shortcut_equals_the_general_path():
    obs = np.random.default_rng(7).standard_normal((K, B, OBS)).astype(np.float32)
    fast, general = _agent([0.0] * K), _agent([0.0] * K)
    general._any_input_noise = True  # takes the per-member loop
    untouched = _states(_agent([0.0] * K))
    for members in (np.arange(K), np.array([2, 0])):
        for agent in (fast, general):
            np.testing.assert_array_equal(agent._perturb(obs, members), obs)
            np.testing.assert_array_equal(agent._perturb(obs[:, 0], members), obs[:, 0])
    assert _states(fast) == _states(general) == untouched


def test_no_listed_member_with_input_noise_returns_the_observations_and_draws_nothing():
    obs = np.random.default_rng(8).standard_normal((K, OBS)).astype(np.float32)
    agent = _agent([0.3, 0.0, 0.2])
    untouched = _states(_agent([0.3, 0.0, 0.2]))
    np.testing.assert_array_equal(agent._perturb(obs, np.array([1])), obs)
    np.testing.assert_array_equal(agent._perturb(obs, np.array([], int)), obs)
    assert _states(agent) == untouched


def test_listed_members_with_input_noise_draw_from_their_own_generators():
    obs = np.random.default_rng(9).standard_normal((K, B, OBS)).astype(np.float32)
    agent = _agent([0.3, 0.0, 0.2])
    noisy = agent._perturb(obs, np.array([2, 1]))
    assert noisy is not obs and noisy.dtype == np.float32
    np.testing.assert_array_equal(noisy[:2], obs[:2])  # member 0 unlisted, member 1 noiseless
    expected = obs[2] + 0.2 * np.random.default_rng(2).standard_normal((B, OBS))
    np.testing.assert_array_equal(noisy[2], expected.astype(np.float32))
    assert agent.rngs[0].bit_generator.state == np.random.default_rng(0).bit_generator.state
