"""Adam for weights with a leading member axis: each member's own learning rate and step count.

Keras' Adam keeps one learning rate and one step counter per optimizer; a population needs both
per member, as runtime values (a new learning rate must not retrace the compiled step), and a
step that is a pure function of the members' rows, so that a compiled step can run it on
only the members still learning (ddpg.algo.learner gathers their rows and scatters the results
back). The arithmetic is Keras' own (keras.optimizers.Adam.update_step):

    m <- m + (g - m) (1 - beta_1);   v <- v + (g^2 - v) (1 - beta_2)
    w <- w - lr sqrt(1 - beta_2^t) / (1 - beta_1^t) * m / (sqrt(v) + epsilon)

so a member trained here matches a plain Keras model trained with keras.optimizers.Adam
(tests/unit/algo/test_member_adam.py checks it against Keras itself).
"""

from __future__ import annotations

from collections.abc import Sequence
from typing import NamedTuple

import numpy as np
import tensorflow as tf


def per_member(values: tf.Tensor, like: tf.Tensor) -> tf.Tensor:
    """[K] -> [K, 1, ..., 1], broadcastable against `like` [K, ...]."""
    return tf.reshape(values, [-1] + [1] * (len(like.shape) - 1))


class AdamSlots(NamedTuple):
    """Adam's state for the members of a step: step counts [K], first and second moments."""

    iterations: tf.Tensor
    momentums: list
    velocities: list


class MemberAdam:
    """Adam over variables shaped [K, ...]; `learning_rate` [K] is a variable, set per member."""

    def __init__(
        self,
        variables: Sequence[tf.Variable],
        members: int,
        beta_1: float = 0.9,
        beta_2: float = 0.999,
        epsilon: float = 1e-7,
    ) -> None:
        self.beta_1, self.beta_2, self.epsilon = beta_1, beta_2, epsilon
        self.learning_rate = tf.Variable(np.zeros(members, np.float32), trainable=False)
        self.iterations = tf.Variable(np.zeros(members, np.int64), trainable=False)
        self.momentums = [tf.Variable(tf.zeros(v.shape), trainable=False) for v in variables]
        self.velocities = [tf.Variable(tf.zeros(v.shape), trainable=False) for v in variables]

    @property
    def variables(self) -> list[tf.Variable]:
        """Every state variable: learning rates, step counts, first and second moments."""
        return [self.learning_rate, self.iterations, *self.momentums, *self.velocities]

    @property
    def slots(self) -> AdamSlots:
        """The state variables `step` reads and returns (all but the learning rates)."""
        return AdamSlots(self.iterations, list(self.momentums), list(self.velocities))

    def step(
        self,
        grads: Sequence[tf.Tensor],
        weights: Sequence[tf.Tensor],
        slots: AdamSlots,
        learning_rate: tf.Tensor,
    ) -> tuple[list[tf.Tensor], AdamSlots]:
        """One Adam step of every member of its arguments (all [K', ...], K' any member count):
        the new weights and slots. Pure, so a step may run it on some members' gathered rows."""
        step = tf.cast(slots.iterations + 1, tf.float32)  # [K']
        alpha = (
            learning_rate
            * tf.sqrt(1.0 - tf.pow(self.beta_2, step))
            / (1.0 - tf.pow(self.beta_1, step))
        )  # [K']
        new_weights, new_m, new_v = [], [], []
        moments = zip(slots.momentums, slots.velocities, strict=True)
        for grad, weight, (m, v) in zip(grads, weights, moments, strict=True):
            m = m + (grad - m) * (1.0 - self.beta_1)
            v = v + (tf.square(grad) - v) * (1.0 - self.beta_2)
            step_size = per_member(alpha, grad)
            new_weights.append(weight - (m * step_size) / (tf.sqrt(v) + self.epsilon))
            new_m.append(m)
            new_v.append(v)
        return new_weights, AdamSlots(slots.iterations + 1, new_m, new_v)

    def apply(self, grads: Sequence[tf.Tensor], variables: Sequence[tf.Variable]) -> None:
        """One Adam step of every member, in place (`step` on the variables themselves)."""
        weights, slots = self.step(grads, variables, self.slots, self.learning_rate)
        for variable, value in zip(variables, weights, strict=True):
            variable.assign(value)
        self.iterations.assign(slots.iterations)
        moments = zip(
            self.momentums + self.velocities, slots.momentums + slots.velocities, strict=True
        )
        for variable, value in moments:
            variable.assign(value)
