"""ddpg.algo.member_adam against Keras' own Adam: each member steps as keras.optimizers.Adam would
with that member's learning rate, and a step on some members' rows gives them the same bits."""

from __future__ import annotations

import keras
import numpy as np
import tensorflow as tf

from ddpg.algo.member_adam import MemberAdam

RATES = np.array([1e-3, 3e-2], np.float32)


def gradients(steps: int, shape: tuple[int, ...]) -> np.ndarray:
    return np.random.default_rng(0).normal(size=(steps, len(RATES), *shape)).astype(np.float32)


def test_each_member_matches_keras_adam_with_its_own_learning_rate() -> None:
    start = np.random.default_rng(1).normal(size=(len(RATES), 3, 2)).astype(np.float32)
    grads = gradients(5, (3, 2))
    weights = tf.Variable(start)
    adam = MemberAdam([weights], len(RATES))
    adam.learning_rate.assign(RATES)
    for g in grads:
        adam.apply([tf.constant(g)], [weights])
    for k, rate in enumerate(RATES):
        plain = keras.Variable(start[k])
        reference = keras.optimizers.Adam(learning_rate=float(rate))
        for g in grads:
            reference.apply_gradients([(tf.constant(g[k]), plain)])
        np.testing.assert_allclose(weights.numpy()[k], plain.numpy(), rtol=1e-6, atol=1e-7)
    assert adam.iterations.numpy().tolist() == [5, 5]


def test_a_step_on_some_members_rows_equals_the_full_step_on_those_rows() -> None:
    start = np.random.default_rng(2).normal(size=(len(RATES), 4)).astype(np.float32)
    grads = gradients(3, (4,))
    weights = tf.Variable(start)
    adam = MemberAdam([weights], len(RATES))
    adam.learning_rate.assign(RATES)
    for g in grads[:2]:
        adam.apply([tf.constant(g)], [weights])
    rows = tf.constant([1, 1])  # member 1 alone, repeated as a compacted step pads it
    slots = tf.nest.map_structure(lambda v: tf.gather(v, rows), adam.slots)
    new_weights, new_slots = adam.step(
        [tf.gather(grads[2], rows)],
        [tf.gather(weights, rows)],
        slots,
        tf.gather(adam.learning_rate, rows),
    )
    adam.apply([tf.constant(grads[2])], [weights])  # the full step, every member
    for row in (0, 1):
        np.testing.assert_array_equal(new_weights[0].numpy()[row], weights.numpy()[1])
        np.testing.assert_array_equal(new_slots.momentums[0][row], adam.momentums[0].numpy()[1])
        np.testing.assert_array_equal(new_slots.velocities[0][row], adam.velocities[0].numpy()[1])
    assert new_slots.iterations.numpy().tolist() == [3, 3]
