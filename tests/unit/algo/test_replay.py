"""Replay ring buffers of a population: wrap-around, today's draws per member, independence."""

import numpy as np
import pytest

from ddpg.algo.replay import ReplayBuffer

OBS, ACT = 3, 2


def _transition(value: np.ndarray) -> tuple[np.ndarray, ...]:
    """One transition per value [M]: obs = value, action = value, next_obs = value + 1."""
    value = np.asarray(value, np.float64)
    obs = np.repeat(value[:, None], OBS, axis=1)
    action = np.repeat(value[:, None], ACT, axis=1)
    return obs, action, value, obs + 1, value % 2 == 0


def _fill(buffer: ReplayBuffer, members: list[int], n: int, base: float = 0.0) -> None:
    """n steps for the listed members; member k's i-th transition carries base + 100 k + i."""
    listed = np.array(members)
    for i in range(n):
        buffer.add(listed, *_transition(base + 100 * listed + i))


def test_ring_buffer_overwrites_each_members_oldest():
    buffer = ReplayBuffer(capacity=4, members=3, obs_dim=OBS, action_dim=ACT)
    _fill(buffer, [0, 1, 2], 2)
    _fill(buffer, [2, 0], 4, base=10)  # any order; member 1 sits these out
    _fill(buffer, [1], 1, base=50)  # a single member takes the basic-indexing path
    np.testing.assert_array_equal(buffer.sizes, [4, 3, 4])
    np.testing.assert_array_equal(buffer.positions, [2, 3, 2])
    np.testing.assert_array_equal(buffer.reward[0], [12.0, 13.0, 10.0, 11.0])
    np.testing.assert_array_equal(buffer.reward[1], [100.0, 101.0, 150.0, 0.0])
    np.testing.assert_array_equal(buffer.reward[2], [212.0, 213.0, 210.0, 211.0])
    np.testing.assert_array_equal(buffer.obs[2, :, 0], buffer.reward[2])
    np.testing.assert_array_equal(buffer.next_obs[2, :, 1], buffer.reward[2] + 1)
    np.testing.assert_array_equal(buffer.terminated[0], [1.0, 0.0, 1.0, 0.0])


@pytest.mark.parametrize(("before", "steps"), [(0, 3), (3, 4), (2, 5), (1, 12)])
def test_add_episode_wraps_like_single_adds(before, steps):
    episode = ReplayBuffer(capacity=5, members=2, obs_dim=OBS, action_dim=ACT)
    single = ReplayBuffer(capacity=5, members=2, obs_dim=OBS, action_dim=ACT)
    for buffer in (episode, single):
        _fill(buffer, [0, 1], before)
    values = 1000 + np.arange(steps)
    episode.add_episode(1, *_transition(values))
    for value in values:
        single.add(np.array([1]), *_transition(np.array([value])))
    np.testing.assert_array_equal(episode.sizes, single.sizes)
    np.testing.assert_array_equal(episode.positions, single.positions)
    for name in ("obs", "action", "reward", "next_obs", "terminated"):
        np.testing.assert_array_equal(getattr(episode, name), getattr(single, name))
    assert episode.positions[1] == (before + steps) % 5  # (a real check of the reference too)
    assert episode.sizes[1] == min(before + steps, 5)


def test_sample_draws_todays_indices_per_member_and_rows_stay_aligned():
    buffer = ReplayBuffer(capacity=10, members=3, obs_dim=OBS, action_dim=ACT)
    _fill(buffer, [0, 1, 2], 4)
    _fill(buffer, [1, 2], 3)
    _fill(buffer, [2], 6)  # sizes 4, 7, 10 (member 2 wrapped)
    batch = buffer.sample(32, [np.random.default_rng(seed) for seed in (5, 6, 7)], np.arange(3))
    assert batch.obs.shape == (3, 32, OBS) and batch.next_obs.shape == (3, 32, OBS)
    assert batch.action.shape == (3, 32, ACT)
    assert batch.reward.shape == (3, 32) and batch.terminated.shape == (3, 32)
    assert all(array.dtype == np.float32 for array in batch)
    for k, (seed, size) in enumerate([(5, 4), (6, 7), (7, 10)]):
        index = np.random.default_rng(seed).integers(0, size, size=32)  # the one-member draw
        np.testing.assert_array_equal(batch.reward[k], buffer.reward[k, index])
        np.testing.assert_array_equal(batch.terminated[k], buffer.terminated[k, index])
        np.testing.assert_array_equal(batch.action[k], buffer.action[k, index])
    np.testing.assert_array_equal(batch.obs[..., 0], batch.reward)  # rows stay aligned
    np.testing.assert_array_equal(batch.next_obs[..., 2], batch.reward + 1)
    assert batch.reward[0].max() <= 3 and batch.reward[1].max() <= 106  # never unfilled slots


def test_sample_of_listed_members_zeros_the_rest_and_leaves_their_rngs_alone():
    buffer = ReplayBuffer(capacity=8, members=3, obs_dim=OBS, action_dim=ACT)
    _fill(buffer, [0, 1, 2], 5, base=1)
    rngs = [np.random.default_rng(seed) for seed in (0, 1, 2)]
    batch = buffer.sample(16, rngs, np.array([2, 0]))
    for array in batch:
        assert not array[1].any()
    for k in (0, 2):
        index = np.random.default_rng(k).integers(0, 5, size=16)
        np.testing.assert_array_equal(batch.next_obs[k], buffer.next_obs[k, index])
    assert batch.reward[[0, 2]].all()  # stored rewards are >= 1: real rows, not the zero row
    assert rngs[1].random() == np.random.default_rng(1).random()  # member 1 drew nothing


def test_a_members_samples_do_not_depend_on_the_population():
    alone = ReplayBuffer(capacity=6, members=1, obs_dim=OBS, action_dim=ACT)
    among = ReplayBuffer(capacity=6, members=3, obs_dim=OBS, action_dim=ACT)
    for i in range(9):  # member 1 of `among` holds what `alone` holds; the others differ
        value = np.array([float(i)])
        alone.add(np.array([0]), *_transition(value))
        among.add(np.arange(3), *_transition(np.array([-5.0 - i, i, 7.0 * i])))
        if i % 3 == 0:
            among.add(np.array([0, 2]), *_transition(np.array([-1.0, -2.0])))
    rng_alone, rng_among = np.random.default_rng(42), np.random.default_rng(42)
    others = [np.random.default_rng(1), rng_among, np.random.default_rng(2)]
    for members in (np.arange(3), np.array([1]), np.array([1, 2])):
        mine = alone.sample(64, [rng_alone], np.array([0]))
        theirs = among.sample(64, others, members)
        for a, b in zip(mine, theirs, strict=True):
            np.testing.assert_array_equal(a[0], b[1])


def test_member_state_round_trip_continues_identically():
    buffer = ReplayBuffer(capacity=5, members=2, obs_dim=OBS, action_dim=ACT)
    _fill(buffer, [0, 1], 3)
    _fill(buffer, [1], 4)  # member 1 wrapped
    restored = ReplayBuffer(capacity=5, members=2, obs_dim=OBS, action_dim=ACT)
    for k in (0, 1):
        restored.load_member_state(k, buffer.member_state(k))
    np.testing.assert_array_equal(restored.sizes, [3, 5])
    np.testing.assert_array_equal(restored.positions, buffer.positions)
    for buf in (buffer, restored):
        _fill(buf, [0, 1], 2, base=500)
    for name in ("obs", "action", "reward", "next_obs", "terminated"):
        np.testing.assert_array_equal(getattr(restored, name), getattr(buffer, name))
    assert buffer.member_state(0)["reward"].shape == (5,)
    small = ReplayBuffer(capacity=3, members=1, obs_dim=OBS, action_dim=ACT)
    with pytest.raises(ValueError, match="capacity is 3"):
        small.load_member_state(0, buffer.member_state(1))


def _clone(rng: np.random.Generator) -> np.random.Generator:
    clone = np.random.default_rng()
    clone.bit_generator.state = rng.bit_generator.state
    return clone


def _uneven(members: int) -> ReplayBuffer:
    """A buffer whose members hold different counts (some wrapped), capacity 6."""
    buffer = ReplayBuffer(capacity=6, members=members, obs_dim=OBS, action_dim=ACT)
    for k in range(members):
        _fill(buffer, [k], 2 + 3 * k, base=0.5 * k)
    return buffer


@pytest.mark.parametrize("members", [2, 5])
def test_sampling_everyone_equals_sampling_them_in_parts(members):
    # A member's draws never depend on who else is listed: the same rows bit for bit, the same
    # generator states afterwards.
    buffer = _uneven(members)
    rngs = [np.random.default_rng(seed) for seed in range(members)]
    clones = [_clone(rng) for rng in rngs]
    parts = [np.arange(0, members, 2)[::-1], np.arange(1, members, 2)]
    for batch_size in (8, 8, 3):  # a reused and a resized row array
        whole = buffer.sample(batch_size, rngs, np.arange(members))
        for part in parts:
            batch = buffer.sample(batch_size, clones, part)
            for a, b in zip(whole, batch, strict=True):
                np.testing.assert_array_equal(a[part], b[part])
    for rng, clone in zip(rngs, clones, strict=True):
        assert rng.bit_generator.state == clone.bit_generator.state


def test_a_lone_members_sample_equals_the_general_path():
    # K = 1 with its member listed takes sample's lone-member branch; the same member in a
    # population of two, listed alone, takes _draw_rows' general branch.
    alone = _uneven(1)
    pair = ReplayBuffer(capacity=6, members=2, obs_dim=OBS, action_dim=ACT)
    pair.load_member_state(0, alone.member_state(0))
    _fill(pair, [1], 4, base=70)
    rng, twin = np.random.default_rng(9), np.random.default_rng(9)
    other = np.random.default_rng(10)
    for batch_size in (16, 16, 5):
        lone = alone.sample(batch_size, [rng], np.array([0]))
        general = pair.sample(batch_size, [twin, other], np.array([0]))
        for a, b in zip(lone, general, strict=True):
            assert a.shape[0] == 1
            np.testing.assert_array_equal(a[0], b[0])
    assert rng.bit_generator.state == twin.bit_generator.state
    assert other.bit_generator.state == np.random.default_rng(10).bit_generator.state


def test_adding_for_one_member_equals_the_general_path():
    # One member listed takes add's basic-indexing branch; the same transitions listed with
    # another member's take the fancy-indexing branch. Capacity 4, 7 steps: it wraps.
    single = ReplayBuffer(capacity=4, members=3, obs_dim=OBS, action_dim=ACT)
    general = ReplayBuffer(capacity=4, members=3, obs_dim=OBS, action_dim=ACT)
    rng = np.random.default_rng(3)
    for _ in range(7):
        value = rng.standard_normal(2)
        single.add(np.array([1]), *(x[:1] for x in _transition(value)))
        general.add(np.array([1, 2]), *_transition(value))
    for name in ("obs", "action", "reward", "next_obs", "terminated"):
        np.testing.assert_array_equal(getattr(single, name)[:2], getattr(general, name)[:2])
    np.testing.assert_array_equal(single.positions[:2], general.positions[:2])
    np.testing.assert_array_equal(single.sizes[:2], general.sizes[:2])
    assert single.sizes[1] == 4 and single.positions[1] == 3


def test_a_cleared_member_holds_nothing_and_the_others_keep_theirs():
    buffer = ReplayBuffer(capacity=4, members=2, obs_dim=OBS, action_dim=ACT)
    _fill(buffer, [0, 1], 3)
    before = buffer.member_state(0)
    before = {name: np.array(value) for name, value in before.items()}
    buffer.clear_member(1)
    assert buffer.sizes.tolist() == [3, 0] and buffer.positions.tolist() == [3, 0]
    assert not buffer.obs[1].any() and not buffer.reward[1].any()
    for name, value in buffer.member_state(0).items():
        np.testing.assert_array_equal(value, before[name])


_FIELDS = ("obs", "action", "reward", "next_obs", "terminated")


def _arrays(buffer: ReplayBuffer, k: int) -> dict[str, np.ndarray]:
    """Member k's whole ring (every row, stored or not) and cursor, copied."""
    arrays = {name: np.array(getattr(buffer, name)[k]) for name in _FIELDS}
    return arrays | {"size": np.array(buffer.sizes[k]), "position": np.array(buffer.positions[k])}


@pytest.mark.parametrize(
    ("source_steps", "target_steps"), [(6, 2), (2, 3), (0, 4), (3, 0)], ids=str
)  # a wrapped source; a target holding more (its extra rows must go); an empty source
def test_a_copied_ring_equals_its_source_and_fills_on_as_the_source_would(
    source_steps, target_steps
):
    buffer = ReplayBuffer(capacity=4, members=3, obs_dim=OBS, action_dim=ACT)
    _fill(buffer, [0], source_steps)
    _fill(buffer, [1], target_steps, base=50)
    _fill(buffer, [2], 2, base=70)
    source, other = _arrays(buffer, 0), _arrays(buffer, 2)
    buffer.copy_member(0, 1)
    for name, value in _arrays(buffer, 1).items():  # every row, not only the stored ones
        np.testing.assert_array_equal(value, source[name], err_msg=name)
    for k, before in ((0, source), (2, other)):  # the source and the others untouched
        for name, value in _arrays(buffer, k).items():
            np.testing.assert_array_equal(value, before[name], err_msg=f"{k} {name}")
    # From the copy on, member 1 fills its ring as member 0 would have (same slot, same wrap).
    _fill(buffer, [0], 3, base=-100)
    _fill(buffer, [1], 3, base=-200)  # the same values as member 0's (-100 + i)
    for name, value in _arrays(buffer, 1).items():
        np.testing.assert_array_equal(value, _arrays(buffer, 0)[name], err_msg=name)
