"""Replay ring buffer: wrap-around, sampling shapes, state round trip."""

import numpy as np

from ddpg.replay import ReplayBuffer


def _fill(buffer: ReplayBuffer, n: int) -> None:
    for i in range(n):
        buffer.add(np.full(3, i), np.full(2, i), float(i), np.full(3, i + 1), i % 2 == 0)


def test_ring_buffer_overwrites_oldest():
    buffer = ReplayBuffer(capacity=4, obs_dim=3, action_dim=2)
    _fill(buffer, 6)
    assert len(buffer) == 4
    assert buffer.position == 2
    # slots 0 and 1 were overwritten by transitions 4 and 5
    np.testing.assert_array_equal(buffer.reward, [4.0, 5.0, 2.0, 3.0])


def test_sample_shapes_and_contents_are_consistent():
    buffer = ReplayBuffer(capacity=10, obs_dim=3, action_dim=2)
    _fill(buffer, 7)
    batch = buffer.sample(32, np.random.default_rng(0))
    assert batch.obs.shape == (32, 3) and batch.next_obs.shape == (32, 3)
    assert batch.action.shape == (32, 2)
    assert batch.reward.shape == (32,) and batch.terminated.shape == (32,)
    np.testing.assert_array_equal(batch.obs[:, 0], batch.reward)  # rows stay aligned
    np.testing.assert_array_equal(batch.next_obs[:, 0], batch.reward + 1)
    assert batch.reward.max() <= 6  # never samples unfilled slots


def test_state_round_trip():
    buffer = ReplayBuffer(capacity=5, obs_dim=3, action_dim=2)
    _fill(buffer, 7)
    restored = ReplayBuffer(capacity=5, obs_dim=3, action_dim=2)
    restored.load_state(buffer.state())
    assert (len(restored), restored.position) == (len(buffer), buffer.position)
    np.testing.assert_array_equal(restored.obs, buffer.obs)
