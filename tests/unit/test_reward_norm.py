"""Reward normalization variants on hand-made episodes."""

import gymnasium as gym
import numpy as np
import pytest
from gymnasium.wrappers import NormalizeReward

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


class ScriptedEnv(gym.Env):
    """Rewards from a fixed list; terminates where told, else the TimeLimit truncates."""

    observation_space = gym.spaces.Box(-1.0, 1.0, (1,), np.float32)
    action_space = gym.spaces.Box(-1.0, 1.0, (1,), np.float32)

    def __init__(self, rewards: list[float], terminal_steps: set[int]) -> None:
        self.rewards, self.terminal_steps, self.t = rewards, terminal_steps, 0

    def reset(self, *, seed=None, options=None):
        super().reset(seed=seed)
        return np.zeros(1, np.float32), {}

    def step(self, action):
        reward = self.rewards[self.t % len(self.rewards)]
        self.t += 1
        return np.zeros(1, np.float32), reward, self.t in self.terminal_steps, False, {}


def drive_against_gymnasium(env: gym.Env, steps: int, gamma: float, seed: int = 0):
    """Feed our normalizer the raw rewards of `env` while gymnasium's NormalizeReward wraps it.

    Returns (our normalized rewards, the wrapper's normalized rewards, our variance, its variance).
    """
    wrapped = NormalizeReward(env, gamma=gamma)
    raw_seen: list[float] = []
    inner_step = wrapped.env.step

    def recording_step(action):  # the raw reward, as the wrapper receives it
        out = inner_step(action)
        raw_seen.append(float(out[1]))
        return out

    wrapped.env.step = recording_step
    ours = RunningReturnNormalizer(gamma=gamma)
    mine, theirs = [], []
    wrapped.reset(seed=seed)
    wrapped.action_space.seed(seed)
    for _ in range(steps):
        _, normalized, terminated, truncated, _ = wrapped.step(wrapped.action_space.sample())
        ours.observe(raw_seen[-1], terminated)
        theirs.append(float(normalized))
        mine.append(float(ours.normalize_batch(np.array([raw_seen[-1]]))[0]))
        if terminated or truncated:
            wrapped.reset()
    return np.array(mine), np.array(theirs), ours.var, float(wrapped.return_rms.var)


def test_running_matches_gymnasium_normalize_reward_through_terminations_and_truncations():
    # Terminations at steps 3 and 9 restart the return; the 4-step time limit truncates the
    # others, and there the return must carry on into the next episode, as in the wrapper.
    rewards = [1.0, 2.0, -3.0, 0.5, 4.0, -1.0, 2.5]
    env = gym.wrappers.TimeLimit(ScriptedEnv(rewards, {3, 9}), max_episode_steps=4)
    mine, theirs, var, reference_var = drive_against_gymnasium(env, 40, gamma=0.9)
    assert var == pytest.approx(reference_var, rel=1e-12)
    np.testing.assert_allclose(mine, theirs, rtol=1e-6)


@pytest.mark.parametrize("env_id", ["Pendulum-v1", "MountainCarContinuous-v0"])
def test_running_matches_gymnasium_normalize_reward_on_real_envs(env_id):
    mine, theirs, var, reference_var = drive_against_gymnasium(gym.make(env_id), 3000, 0.99)
    assert var == pytest.approx(reference_var, rel=1e-9)
    np.testing.assert_allclose(mine, theirs, rtol=1e-5)


def test_running_state_round_trip_continues_identically():
    first = RunningReturnNormalizer(gamma=0.9)
    for r in (1.0, -2.0, 3.0):
        first.observe(r, False)
    second = RunningReturnNormalizer(gamma=0.9)
    second.load_state(first.state())
    for normalizer in (first, second):
        normalizer.observe(0.5, False)
    assert second.state() == first.state()


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
