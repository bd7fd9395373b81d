"""Reward normalization of a population: each member against gymnasium, on hand-made episodes."""

import gymnasium as gym
import numpy as np
import pytest
from gymnasium.wrappers import NormalizeReward
from gymnasium.wrappers.utils import RunningMeanStd

from ddpg.algo.reward_norm import RewardNormalizer
from ddpg.config.schema import RewardNormConfig


def test_none_and_scale_per_member():
    normalizer = RewardNormalizer(
        [RewardNormConfig(name="none"), RewardNormConfig(name="scale", scale=0.1)]
    )
    reward = np.random.default_rng(0).standard_normal((2, 1000)).astype(np.float32)
    out = normalizer.normalize_batch(reward)
    assert out.dtype == np.float32
    np.testing.assert_array_equal(out[0], reward[0])
    np.testing.assert_array_equal(out[1], reward[1] * np.float32(0.1))  # today's float32 product
    np.testing.assert_allclose(out[1], reward[1] * 0.1, rtol=1e-6)
    normalizer.observe(np.arange(2), np.array([1.0, 1.0]), np.array([False, False]))
    np.testing.assert_array_equal(normalizer.normalize_batch(reward), out)  # no statistics


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


class Recorded:
    """gymnasium's NormalizeReward around `env`, recording the raw reward the wrapper receives."""

    def __init__(self, env: gym.Env, gamma: float, seed: int) -> None:
        self.wrapped = NormalizeReward(env, gamma=gamma)
        self.raw: list[float] = []
        inner_step = self.wrapped.env.step

        def recording_step(action):
            out = inner_step(action)
            self.raw.append(float(out[1]))
            return out

        self.wrapped.env.step = recording_step
        self.wrapped.reset(seed=seed)
        self.wrapped.action_space.seed(seed)

    def step(self) -> tuple[float, float, bool]:
        """(raw reward, wrapper's normalized reward, terminated), resetting at episode ends."""
        _, normalized, terminated, truncated, _ = self.wrapped.step(
            self.wrapped.action_space.sample()
        )
        if terminated or truncated:
            self.wrapped.reset()
        return self.raw[-1], float(normalized), bool(terminated)


def drive_against_gymnasium(
    normalizer: RewardNormalizer, envs: dict[int, Recorded], steps: int, members: int
) -> tuple[np.ndarray, np.ndarray]:
    """Step every member's env in lockstep and feed our normalizer their raw rewards.

    Members without an env get reward 1 and never terminate. Returns (ours, the wrappers')
    normalized rewards, [steps, members]; the wrappers' column is NaN where there is no env.
    """
    mine, theirs = np.zeros((steps, members)), np.full((steps, members), np.nan)
    everyone = np.arange(members)
    for t in range(steps):
        raw, terminated = np.ones(members), np.zeros(members, bool)
        for k, env in envs.items():
            raw[k], theirs[t, k], terminated[k] = env.step()
        normalizer.observe(everyone, raw, terminated)
        mine[t] = normalizer.normalize_batch(raw[:, None])[:, 0]
    return mine, theirs


def test_running_matches_gymnasium_per_member_through_terminations_and_truncations():
    # Terminations restart each return; the time limits truncate the other episodes, and there
    # the return must carry on into the next episode, as in the wrapper. Members differ in
    # rewards, episode ends and gamma, and share the population with a `scale` member.
    configs = [
        RewardNormConfig(name="running", gamma=0.9),
        RewardNormConfig(name="scale", scale=0.5),
        RewardNormConfig(name="running", gamma=0.5, epsilon=1e-4),
    ]
    envs = {
        0: Recorded(
            gym.wrappers.TimeLimit(ScriptedEnv([1.0, 2.0, -3.0, 0.5, 4.0, -1.0, 2.5], {3, 9}), 4),
            gamma=0.9,
            seed=0,
        ),
        2: Recorded(
            gym.wrappers.TimeLimit(ScriptedEnv([-2.0, 0.0, 7.0], {2, 5, 20}), 6), gamma=0.5, seed=1
        ),
    }
    envs[2].wrapped.epsilon = 1e-4
    normalizer = RewardNormalizer(configs)
    mine, theirs = drive_against_gymnasium(normalizer, envs, 40, members=3)
    for k in (0, 2):
        assert normalizer.var[k] == pytest.approx(float(envs[k].wrapped.return_rms.var), rel=1e-12)
        np.testing.assert_allclose(mine[:, k], theirs[:, k], rtol=1e-6)
    np.testing.assert_array_equal(mine[:, 1], 0.5)
    assert normalizer.var[0] != pytest.approx(normalizer.var[2], rel=0.1)


def test_running_matches_gymnasium_on_real_envs_in_one_population():
    configs = [
        RewardNormConfig(name="running", gamma=0.99),
        RewardNormConfig(name="running", gamma=0.9),
    ]
    envs = {
        0: Recorded(gym.make("Pendulum-v1"), gamma=0.99, seed=0),
        1: Recorded(gym.make("MountainCarContinuous-v0"), gamma=0.9, seed=1),
    }
    normalizer = RewardNormalizer(configs)
    mine, theirs = drive_against_gymnasium(normalizer, envs, 3000, members=2)
    for k in (0, 1):
        assert normalizer.var[k] == pytest.approx(float(envs[k].wrapped.return_rms.var), rel=1e-9)
    np.testing.assert_allclose(mine, theirs, rtol=1e-5)


def test_running_statistics_equal_gymnasium_running_mean_std_per_member_bit_for_bit():
    # One float64 RunningMeanStd per `running` member, fed that member's discounted return
    # after each of its steps as NormalizeReward feeds it; ours updates all listed members at
    # once, in any order, some members skipped.
    configs = [
        RewardNormConfig(name="running", gamma=0.99),
        RewardNormConfig(name="scale", scale=0.5),
        RewardNormConfig(name="running", gamma=0.5, epsilon=1e-4),
        RewardNormConfig(name="running", gamma=0.9),
    ]
    normalizer = RewardNormalizer(configs)
    reference = {k: RunningMeanStd(shape=()) for k, c in enumerate(configs) if c.name == "running"}
    returns = dict.fromkeys(reference, np.array([0.0]))  # the wrapper's discounted_reward
    rng = np.random.default_rng(5)
    for _ in range(500):
        members = rng.permutation(4)[: rng.integers(1, 5)]
        reward = rng.standard_normal(len(members)) * rng.choice([1e-2, 1.0, 1e3], len(members))
        terminated = rng.random(len(members)) < 0.05
        normalizer.observe(members, reward, terminated)
        for k, r, done in zip(members, reward, terminated, strict=True):
            if k in reference:
                returns[k] = returns[k] * configs[k].gamma * (1 - done) + float(r)
                reference[k].update(returns[k])
        for k, rms in reference.items():
            assert normalizer.discounted_return[k] == returns[k][0]
            assert (normalizer.mean[k], normalizer.var[k]) == (rms.mean, rms.var)
            assert normalizer.count[k] == rms.count
    batch = rng.standard_normal((4, 6)).astype(np.float32)
    out = normalizer.normalize_batch(batch)
    for k, rms in reference.items():
        expected = (batch[k] / np.sqrt(rms.var + configs[k].epsilon)).astype(np.float32)
        np.testing.assert_array_equal(out[k], expected)
    assert normalizer.count[0] != normalizer.count[2]


def _observe_schedule(normalizer: RewardNormalizer, me: int, others: list[int]) -> list[float]:
    """Member `me`'s normalized reward after each step of a schedule of partial member lists.

    `others` (two members, or none when `me` is alone) step too, in varying order around `me`.
    """
    rng = np.random.default_rng(3)
    out = []
    for t in range(60):
        mine = (me, rng.standard_normal(), t % 7 == 0)
        theirs = [(k, r, t % 5 == 0) for k, r in zip(others, rng.standard_normal(2), strict=False)]
        steps = [[*theirs[:1], mine, *theirs[1:]], [mine], theirs[::-1]][t % 3]
        if steps:
            members, reward, terminated = (np.array(column) for column in zip(*steps, strict=True))
            normalizer.observe(members, reward, terminated)
        out.append(float(normalizer.normalize_batch(np.ones((normalizer.num_members, 1)))[me, 0]))
    return out


def test_a_members_statistics_do_not_depend_on_the_population():
    config = RewardNormConfig(name="running", gamma=0.8)
    alone = RewardNormalizer([config])
    among = RewardNormalizer(
        [
            RewardNormConfig(name="running", gamma=0.3),
            RewardNormConfig(name="scale", scale=2.0),
            config,
            RewardNormConfig(name="running"),
        ]
    )
    mine, theirs = _observe_schedule(alone, 0, []), _observe_schedule(among, 2, [3, 0])
    assert mine == theirs
    assert len(set(mine)) > 30  # the statistics moved
    assert alone.member_state(0) == among.member_state(2)


def test_unlisted_members_keep_their_statistics():
    normalizer = RewardNormalizer([RewardNormConfig(name="running")] * 2)
    normalizer.observe(np.arange(2), np.array([1.0, 2.0]), np.array([False, False]))
    state = normalizer.member_state(1)
    normalizer.observe(np.array([0]), np.array([5.0]), np.array([False]))
    assert normalizer.member_state(1) == state
    assert normalizer.member_state(0) != state


def test_running_state_round_trip_continues_identically():
    configs = [RewardNormConfig(name="running", gamma=0.9), RewardNormConfig(name="none")]
    first = RewardNormalizer(configs)
    for r in (1.0, -2.0, 3.0):
        first.observe(np.arange(2), np.array([r, r]), np.array([False, False]))
    second = RewardNormalizer(configs)
    for k in range(2):
        second.load_member_state(k, first.member_state(k))
    assert first.member_state(1) == {}
    for normalizer in (first, second):
        normalizer.observe(np.arange(2), np.array([0.5, 0.5]), np.array([False, False]))
    assert second.member_state(0) == first.member_state(0)
    batch = np.array([[1.0, -2.0], [3.0, 4.0]], np.float32)
    np.testing.assert_array_equal(second.normalize_batch(batch), first.normalize_batch(batch))


def test_episode_return_standardises_discounted_return_to_go_per_member():
    normalizer = RewardNormalizer(
        [
            RewardNormConfig(name="episode_return", gamma=0.5),
            RewardNormConfig(name="running"),
            RewardNormConfig(name="episode_return", gamma=1.0),
        ]
    )
    np.testing.assert_array_equal(normalizer.per_episode, [True, False, True])
    rewards = np.array([0.0, 2.0, 4.0])
    # gamma 0.5: returns-to-go G2 = 4, G1 = 2 + 0.5*4 = 4, G0 = 0 + 0.5*4 = 2
    out = normalizer.normalize_episode(0, rewards)
    g = np.array([2.0, 4.0, 4.0])
    assert out.dtype == np.float32
    np.testing.assert_allclose(out, (g - g.mean()) / g.std(), rtol=1e-5)
    assert out.mean() == pytest.approx(0.0, abs=1e-6)
    g = np.array([6.0, 6.0, 4.0])  # gamma 1
    np.testing.assert_allclose(normalizer.normalize_episode(2, rewards), (g - g.mean()) / g.std())
    np.testing.assert_array_equal(normalizer.normalize_episode(1, rewards), rewards)
    batch = np.array([[1.5], [1.5], [1.5]], np.float32)
    np.testing.assert_array_equal(normalizer.normalize_batch(batch)[[0, 2]], batch[[0, 2]])


def test_episode_return_of_constant_returns_is_zero():
    normalizer = RewardNormalizer([RewardNormConfig(name="episode_return", gamma=0.0)])
    np.testing.assert_allclose(normalizer.normalize_episode(0, np.array([1.0, 1.0])), [0.0, 0.0])
    np.testing.assert_allclose(normalizer.normalize_episode(0, np.array([3.0])), [0.0])


def test_replace_and_copy_member():
    normalizer = RewardNormalizer([RewardNormConfig(name="running", gamma=0.9)] * 2)
    normalizer.observe(np.arange(2), np.array([1.0, -3.0]), np.zeros(2))
    normalizer.copy_member(1, 0)
    assert normalizer.member_state(0) == normalizer.member_state(1)
    kept = normalizer.member_state(0)
    normalizer.replace_member(1, RewardNormConfig(name="scale", scale=2.0))
    assert normalizer.names == ("running", "scale") and normalizer.member_state(1) == {}
    assert normalizer.member_state(0) == kept
    np.testing.assert_array_equal(normalizer.normalize_batch(np.ones((2, 1)))[1], [2.0])
