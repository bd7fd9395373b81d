"""Population action noise: per-member known answers, OU stationary std, decay, independence."""

import numpy as np
import pytest

from ddpg.algo.noise import ActionNoise
from ddpg.config.schema import NoiseConfig

OU = NoiseConfig(name="ou", sigma=0.5, theta=0.3, mu=0.2, dt=0.05)
GAUSSIAN = NoiseConfig(name="gaussian", sigma=0.4)
NONE = NoiseConfig(name="none", sigma=0.7)


def _rngs(*seeds: int) -> list[np.random.Generator]:
    return [np.random.default_rng(seed) for seed in seeds]


def test_each_member_follows_its_own_formula_and_generator():
    rngs = _rngs(0, 1, 2, 3)
    noise = ActionNoise([OU, GAUSSIAN, NONE, OU], action_dim=2, rngs=rngs)
    references = _rngs(0, 1, 2, 3)
    x = {0: np.full(2, 0.2), 3: np.full(2, 0.2)}
    everyone = np.arange(4)
    for _ in range(20):
        out = noise.sample(everyone)
        assert out.shape == (4, 2)
        for k in (0, 3):  # x <- x + theta (mu - x) dt + sigma sqrt(dt) N(0, 1)
            normal = references[k].standard_normal(2)
            x[k] = x[k] + 0.3 * (0.2 - x[k]) * 0.05 + 0.5 * np.sqrt(0.05) * normal
            np.testing.assert_array_equal(out[k], x[k])
        np.testing.assert_array_equal(out[1], 0.4 * references[1].standard_normal(2))
        np.testing.assert_array_equal(out[2], [0.0, 0.0])
    # `none` drew nothing from its generator
    assert rngs[2].random() == references[2].random()
    np.testing.assert_array_equal(noise.scale, [0.5, 0.4, 0.0, 0.5])


def test_ou_empirical_stationary_std_matches_closed_form():
    configs = [NoiseConfig(name="ou", sigma=0.3, theta=0.15, dt=0.1), OU]
    noise = ActionNoise(configs, action_dim=1, rngs=_rngs(0, 1))
    expected = [0.3 * np.sqrt(0.1 / (1 - (1 - 0.15 * 0.1) ** 2))]
    expected.append(0.5 * np.sqrt(0.05 / (1 - (1 - 0.3 * 0.05) ** 2)))
    assert [noise.stationary_std(0), noise.stationary_std(1)] == pytest.approx(expected)
    everyone = np.arange(2)
    samples = np.array([noise.sample(everyone)[:, 0] for _ in range(300_000)])[5_000:]
    np.testing.assert_allclose(samples.std(axis=0), expected, rtol=0.05)
    assert abs(samples[:, 0].mean()) < 0.1 * expected[0]
    assert abs(samples[:, 1].mean() - 0.2) < 0.1 * expected[1]  # centred on mu


def test_reset_returns_listed_members_to_mu():
    noise = ActionNoise([OU, OU], action_dim=2, rngs=_rngs(7, 8))
    for _ in range(5):
        noise.sample(np.arange(2))
    before = noise.x[1].copy()
    noise.reset(np.array([0]))
    np.testing.assert_array_equal(noise.x[0], [0.2, 0.2])
    np.testing.assert_array_equal(noise.x[1], before)
    assert not np.allclose(before, 0.2)


def test_gaussian_std_and_linear_decay_per_member():
    decaying = NoiseConfig(name="gaussian", sigma=0.4, final_sigma=0.1, decay_steps=100)
    ou_decaying = NoiseConfig(name="ou", sigma=0.2, mu=0.3, final_sigma=0.0, decay_steps=10)
    noise = ActionNoise([decaying, GAUSSIAN, NONE, ou_decaying], 1, _rngs(0, 1, 2, 3))
    samples = np.array([noise.sample(np.arange(4))[:, 0] for _ in range(50_000)])
    np.testing.assert_allclose(samples[:, :2].std(axis=0), [0.4, 0.4], rtol=0.03)
    noise.set_progress(5)
    np.testing.assert_allclose(noise.scale, [0.385, 0.4, 0.0, 0.1])
    noise.set_progress(50)
    np.testing.assert_allclose(noise.scale, [0.25, 0.4, 0.0, 0.0])
    noise.set_progress(1000)
    np.testing.assert_allclose(noise.scale, [0.1, 0.4, 0.0, 0.0])
    noise.reset(np.arange(4))
    np.testing.assert_array_equal(noise.sample(np.arange(4))[3], [0.3])  # sigma 0: x stays mu


def test_unlisted_members_give_zero_and_keep_their_generator_and_state():
    rngs = _rngs(0, 1, 2, 3)
    noise = ActionNoise([OU, GAUSSIAN, OU, NONE], 2, rngs)
    noise.sample(np.arange(4))
    x_before = noise.x[2].copy()
    out = noise.sample(np.array([1, 3, 0]))
    assert not out[2:].any() and out[:2].all()
    assert rngs[3].random() == np.random.default_rng(3).random()  # `none` never draws
    np.testing.assert_array_equal(noise.x[2], x_before)
    reference = np.random.default_rng(2)
    reference.standard_normal(2)
    assert rngs[2].random() == reference.random()


def _sequence(noise: ActionNoise, k: int, schedule: list[np.ndarray]) -> np.ndarray:
    """Member k's noise over a schedule of listed-member sets, with a reset and decay."""
    outputs = []
    for step, members in enumerate(schedule):
        noise.set_progress(step)
        if step == 6:
            noise.reset(members)
        outputs.append(noise.sample(members)[k])
    return np.array(outputs)


@pytest.mark.parametrize("config", [OU, GAUSSIAN, NONE], ids=lambda config: config.name)
def test_a_members_noise_does_not_depend_on_the_population(config):
    config = NoiseConfig(**{**vars(config), "final_sigma": 0.05, "decay_steps": 8})
    alone = ActionNoise([config], 2, _rngs(11))
    among = ActionNoise([GAUSSIAN, config, OU, NONE], 2, _rngs(3, 11, 4, 5))
    listed = [np.arange(4), np.array([1]), np.array([3, 1, 2]), np.array([0, 2]), np.arange(4)]
    schedule = listed * 3
    mine = _sequence(alone, 0, [np.array([0]) if 1 in m else np.array([], int) for m in schedule])
    np.testing.assert_array_equal(mine, _sequence(among, 1, schedule))
    assert mine.any() == (config.name != "none")


def _clone(rng: np.random.Generator) -> np.random.Generator:
    clone = np.random.default_rng()
    clone.bit_generator.state = rng.bit_generator.state
    return clone


def test_member_state_round_trip_continues_identically():
    configs = [OU, NoiseConfig(name="gaussian", sigma=0.4, final_sigma=0.1, decay_steps=10), NONE]
    rngs = _rngs(0, 1, 2)
    first = ActionNoise(configs, 2, rngs)
    first.set_progress(3)
    for _ in range(4):
        first.sample(np.arange(3))
    second = ActionNoise(configs, 2, [_clone(rng) for rng in rngs])  # generators: the trainer's
    assert first.member_state(2) == {}
    assert set(first.member_state(0)) == {"sigma", "x"} and set(first.member_state(1)) == {"sigma"}
    for k in range(3):
        second.load_member_state(k, first.member_state(k))
    np.testing.assert_array_equal(second.scale, first.scale)
    for _ in range(3):
        np.testing.assert_array_equal(second.sample(np.arange(3)), first.sample(np.arange(3)))


def test_one_generator_per_config():
    with pytest.raises(ValueError, match="one rng per noise config"):
        ActionNoise([OU, GAUSSIAN], 1, _rngs(0))


DECAYING_OU = NoiseConfig(name="ou", sigma=0.3, theta=0.2, dt=0.1, final_sigma=0.1, decay_steps=6)
DECAYING_GAUSSIAN = NoiseConfig(name="gaussian", sigma=0.5, final_sigma=0.2, decay_steps=4)


@pytest.mark.parametrize(
    "configs",
    [
        [OU, DECAYING_OU, OU],  # every member OU: the branch that keeps the stepped state
        [OU, GAUSSIAN, NONE, DECAYING_OU, DECAYING_GAUSSIAN],  # mixed
        [GAUSSIAN, NONE, DECAYING_GAUSSIAN],  # no OU
    ],
    ids=["all-ou", "mixed", "no-ou"],
)
def test_sampling_everyone_equals_sampling_them_in_parts(configs):
    # Every member listed takes sample's `everyone` branches; listing them in two parts takes
    # the general ones: the same noise and OU state bit for bit, the same generator states.
    k = len(configs)
    rngs = _rngs(*range(20, 20 + k))
    whole = ActionNoise(configs, 3, rngs)
    clones = [_clone(rng) for rng in rngs]
    split = ActionNoise(configs, 3, clones)
    everyone, parts = np.arange(k), [np.arange(1, k, 2), np.arange(0, k, 2)[::-1]]
    for step in range(10):
        for noise in (whole, split):
            noise.set_progress(step)
            if step == 5:
                noise.reset(np.array([0, k - 1]))
        expected = whole.sample(everyone)
        for part in parts:
            np.testing.assert_array_equal(split.sample(part)[part], expected[part])
        np.testing.assert_array_equal(split.x, whole.x)
    for rng, clone in zip(rngs, clones, strict=True):
        assert rng.bit_generator.state == clone.bit_generator.state


def test_a_replaced_member_starts_fresh_under_its_new_config_and_the_others_go_on():
    noise = ActionNoise([OU, OU], action_dim=2, rngs=_rngs(0, 1))
    for _ in range(5):
        noise.sample(np.arange(2))
    kept = noise.member_state(0)
    rngs = noise._rngs
    rngs[1].bit_generator.state = np.random.default_rng(7).bit_generator.state
    noise.replace_member(1, GAUSSIAN)
    fresh = ActionNoise([GAUSSIAN], action_dim=2, rngs=_rngs(7))
    np.testing.assert_array_equal(noise.sample(np.arange(2))[1], fresh.sample(np.arange(1))[0])
    assert noise.names == ("ou", "gaussian") and noise.sigma[1] == 0.4
    reference = ActionNoise([OU], action_dim=2, rngs=_rngs(0))
    for _ in range(6):
        expected = reference.sample(np.arange(1))[0]
    np.testing.assert_array_equal(noise.x[0], expected)  # member 0's process went on
    assert kept["sigma"] == noise.sigma[0]
