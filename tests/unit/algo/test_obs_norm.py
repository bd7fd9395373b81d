"""ObsNormalizer of a population against gymnasium's NormalizeObservation, one env per member."""

import gymnasium as gym
import numpy as np
from gymnasium.wrappers import NormalizeObservation
from gymnasium.wrappers.utils import RunningMeanStd

from ddpg.algo.obs_norm import ObsNormalizer


def test_matches_gymnasium_normalize_observation_per_member():
    # Members 0 and 2 normalize, with their own envs, seeds and episode lengths (so their
    # resets, and the updates they bring, come at different steps); member 1 does not.
    limits, seeds = (200, 200, 70), (0, 1, 2)
    envs = [
        NormalizeObservation(gym.make("Pendulum-v1", max_episode_steps=limit)) for limit in limits
    ]
    ours = ObsNormalizer(3, enabled=[True, False, True])
    wrapped = np.zeros((3, 3), np.float32)  # what each wrapper returned last
    raw = np.zeros((3, 3))
    for k, (env, seed) in enumerate(zip(envs, seeds, strict=True)):
        env.action_space.seed(seed)
        wrapped[k], _ = env.reset(seed=seed)
        raw[k] = env.unwrapped._get_obs()
    ours.update(np.arange(3), raw)
    for _ in range(500):
        normalized = ours.normalize(raw)
        assert normalized.dtype == np.float32
        for k in (0, 2):
            np.testing.assert_allclose(normalized[k], wrapped[k], rtol=1e-5, atol=1e-5)
            np.testing.assert_array_equal(ours.normalize_member(k, raw[k]), normalized[k])
        np.testing.assert_array_equal(normalized[1], raw[1].astype(np.float32))
        ended = []
        for k, env in enumerate(envs):
            wrapped[k], _, terminated, truncated, _ = env.step(env.action_space.sample())
            raw[k] = env.unwrapped._get_obs()
            if terminated or truncated:
                ended.append(k)
        ours.update(np.arange(3), raw)
        for k in ended:  # the reset observation is one more update, for that member alone
            wrapped[k], _ = envs[k].reset()
            raw[k] = envs[k].unwrapped._get_obs()
            ours.update(np.array([k]), raw[k][None])
    for k in (0, 2):  # the wrapper keeps float32 statistics (the obs dtype), ours float64
        assert ours.count[k] == envs[k].obs_rms.count
        np.testing.assert_allclose(ours.mean[k], envs[k].obs_rms.mean, rtol=1e-5)
        np.testing.assert_allclose(ours.var[k], envs[k].obs_rms.var, rtol=1e-5)
    assert ours.count[0] != ours.count[2]


def test_statistics_equal_gymnasium_running_mean_std_per_member_bit_for_bit():
    # One float64 RunningMeanStd per enabled member, fed that member's observations one at a
    # time (as NormalizeObservation feeds it); ours updates all listed members at once, in any
    # order, some members skipped, float32 and float64 observations alike.
    enabled = [True, False, True, True]
    ours = ObsNormalizer(3, enabled=enabled)
    reference = {k: RunningMeanStd(shape=(3,)) for k, on in enumerate(enabled) if on}
    rng = np.random.default_rng(4)
    for t in range(300):
        members = rng.permutation(4)[: rng.integers(1, 5)]
        obs = rng.standard_normal((len(members), 3)) * [1e-3, 1.0, 1e3] + 5.0
        if t % 2:
            obs = obs.astype(np.float32)
        ours.update(members, obs)
        for k, row in zip(members, obs, strict=True):
            if k in reference:
                reference[k].update(row[None].astype(np.float64))
        for k, rms in reference.items():
            np.testing.assert_array_equal(ours.mean[k], rms.mean)
            np.testing.assert_array_equal(ours.var[k], rms.var)
            assert ours.count[k] == rms.count
    x = rng.standard_normal((4, 5, 3))
    for k, rms in reference.items():
        expected = ((x[k] - rms.mean) / np.sqrt(rms.var + 1e-8)).astype(np.float32)
        np.testing.assert_array_equal(ours.normalize_member(k, x[k]), expected)
    assert ours.member_state(1) == {} and ours.count[0] != ours.count[2]


def test_normalizes_batches_of_every_member_with_its_own_statistics():
    ours = ObsNormalizer(2, enabled=[True, True, False])
    rng = np.random.default_rng(0)
    for _ in range(50):
        ours.update(np.array([2, 1, 0]), rng.standard_normal((3, 2)) * [[1, 2], [3, 4], [5, 6]])
    batch = rng.standard_normal((3, 7, 2)).astype(np.float32)  # [K, B, O]
    out = ours.normalize(batch)
    assert out.shape == (3, 7, 2) and out.dtype == np.float32
    for k in range(3):
        np.testing.assert_array_equal(out[k], ours.normalize_member(k, batch[k]))
    np.testing.assert_array_equal(out[2], batch[2])
    expected = (batch[1] - ours.mean[1]) / np.sqrt(ours.var[1] + 1e-8)
    np.testing.assert_allclose(out[1], expected, rtol=1e-6)
    assert np.abs(out[1] - batch[1]).max() > 0.1


def test_a_members_statistics_do_not_depend_on_the_population():
    alone = ObsNormalizer(3, enabled=[True])
    among = ObsNormalizer(3, enabled=[False, True, True, True])
    rng = np.random.default_rng(1)
    for t in range(40):
        obs = rng.standard_normal((4, 3)) * 10
        alone.update(np.array([0]), obs[2][None])
        members = [np.array([1, 2, 0]), np.array([2]), np.array([3, 0, 2, 1])][t % 3]
        among.update(members, obs[members])  # member 2 gets obs[2] whatever the order
        among.update(np.array([3]), obs[:1])  # someone else steps alone
    for name in ("mean", "var", "count"):
        np.testing.assert_array_equal(getattr(alone, name)[0], getattr(among, name)[2])
    x = rng.standard_normal((5, 3))
    np.testing.assert_array_equal(alone.normalize_member(0, x), among.normalize_member(2, x))
    assert not np.array_equal(among.mean[1], among.mean[2])


def test_state_round_trip_and_disabled_identity():
    first = ObsNormalizer(2, enabled=[True, False])
    for obs in ([1.0, 2.0], [3.0, -1.0], [0.5, 0.5]):
        first.update(np.arange(2), np.array([obs, obs]))
    second = ObsNormalizer(2, enabled=[True, False])
    for k in range(2):
        second.load_member_state(k, first.member_state(k))
    assert first.member_state(1) == {}
    x = np.array([[[2.0, 0.0], [1.0, 1.0]], [[2.0, 0.0], [1.0, 1.0]]])
    np.testing.assert_array_equal(second.normalize(x), first.normalize(x))
    assert not np.array_equal(first.normalize(x)[0], x[0])
    off = ObsNormalizer(2, enabled=[False])
    off.update(np.array([0]), np.array([[5.0, 5.0]]))
    x32 = x[:1].astype(np.float32)
    assert off.normalize(x32) is x32 and off.member_state(0) == {}
    np.testing.assert_array_equal(off.normalize_member(0, x[0]), x32[0])


def test_reset_and_copy_move_one_members_statistics():
    normalizer = ObsNormalizer(2, [True, True, False])
    normalizer.update(np.arange(3), np.array([[1.0, 2.0], [3.0, 5.0], [7.0, 8.0]]))
    normalizer.copy_member(1, 2)  # member 2 now normalizes, with member 1's statistics
    for name, value in normalizer.member_state(1).items():
        np.testing.assert_array_equal(normalizer.member_state(2)[name], value)
    obs = np.array([[[2.0, 2.0]], [[2.0, 2.0]], [[2.0, 2.0]]])
    out = normalizer.normalize(obs)
    np.testing.assert_array_equal(out[2], out[1])
    normalizer.reset_member(1, enabled=False)
    assert normalizer.member_state(1) == {}
    np.testing.assert_array_equal(normalizer.normalize(obs)[1], obs[1])  # the identity again
    normalizer.reset_member(0, enabled=True)
    fresh = ObsNormalizer(2, [True])
    for name, value in fresh.member_state(0).items():
        np.testing.assert_array_equal(normalizer.member_state(0)[name], value)
