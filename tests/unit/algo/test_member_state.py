"""Which rows a step where only some members learn computes on, and how many compiles that is."""

import numpy as np
import pytest

from ddpg.algo.member_layers import resized
from ddpg.algo.member_state import listed_rows, listed_size
from ddpg.algo.networks import build_critic
from ddpg.config.schema import NetworkConfig


@pytest.mark.parametrize(
    ("count", "members", "size"),
    [(1, 2, 2), (1, 8, 2), (2, 8, 2), (3, 8, 4), (4, 8, 4), (5, 8, 8), (7, 8, 8), (5, 6, 6)],
)
def test_the_member_axis_is_the_next_power_of_two_at_least_two_at_most_k(count, members, size):
    assert listed_size(count, members) == size


def test_a_population_compiles_at_most_log2_k_plus_one_steps_however_its_members_end():
    for members in (2, 5, 8, 64):
        sizes = {listed_size(count, members) for count in range(1, members)} | {members}
        assert len(sizes) <= int(np.log2(members)) + 1 + (members & (members - 1) != 0)


def test_listed_rows_are_the_learners_in_order_padded_with_the_first():
    rows = listed_rows(np.array([False, True, False, True, True, False, False, False]))
    assert rows.tolist() == [1, 3, 4, 1]
    assert listed_rows(np.array([False, False, True])).tolist() == [2, 2]


def test_a_resized_model_has_the_same_weights_in_the_same_order_over_fewer_members():
    network = NetworkConfig(actor_hidden=[8], critic_hidden=[8, 4], critic_batch_norm=True)
    critic = build_critic(network, 3, 1, 0, members=6)
    small = resized(critic, 2)
    assert [w.path for w in small.weights] == [w.path for w in critic.weights]
    assert [tuple(w.shape) for w in small.weights] == [(2, *w.shape[1:]) for w in critic.weights]
    assert [w.trainable for w in small.weights] == [w.trainable for w in critic.weights]
