"""ddpg.algo.member_adam against Keras' own Adam: each member steps as keras.optimizers.Adam would
with that member's learning rate, and a masked step leaves the other members untouched."""

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


def test_a_masked_step_equals_the_full_step_on_listed_members_and_skips_the_rest() -> None:
    start = np.random.default_rng(2).normal(size=(len(RATES), 4)).astype(np.float32)
    grads = gradients(3, (4,))
    full_w, masked_w = tf.Variable(start), tf.Variable(start)
    full, masked = MemberAdam([full_w], len(RATES)), MemberAdam([masked_w], len(RATES))
    for adam in (full, masked):
        adam.learning_rate.assign(RATES)
    everyone = tf.constant([True, True])
    for g in grads:
        full.apply([tf.constant(g)], [full_w])  # the unmasked fast path
        masked.apply([tf.constant(g)], [masked_w], update=everyone)
    np.testing.assert_array_equal(full_w.numpy(), masked_w.numpy())
    masked.apply([tf.constant(grads[0])], [masked_w], update=tf.constant([False, True]))
    np.testing.assert_array_equal(masked_w.numpy()[0], full_w.numpy()[0])
    assert not np.array_equal(masked_w.numpy()[1], full_w.numpy()[1])
    assert masked.iterations.numpy().tolist() == [3, 4]
