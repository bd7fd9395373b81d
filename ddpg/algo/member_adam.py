"""Adam for weights with a leading member axis: each member's own learning rate and step count.

Keras' Adam keeps one learning rate and one step counter per optimizer; a population needs both
per member, as runtime values (a new learning rate must not retrace the compiled step), and an
update that only the listed members take (a frozen or finished member's weights, moments and
step stay as they are). The arithmetic is Keras' own (keras.optimizers.Adam.update_step):

    m <- m + (g - m) (1 - beta_1);   v <- v + (g^2 - v) (1 - beta_2)
    w <- w - lr sqrt(1 - beta_2^t) / (1 - beta_1^t) * m / (sqrt(v) + epsilon)

so a member trained here matches a plain Keras model trained with keras.optimizers.Adam
(tests/unit/algo/test_member_adam.py checks it against Keras itself).
"""

from __future__ import annotations

from collections.abc import Sequence

import numpy as np
import tensorflow as tf


def per_member(values: tf.Tensor, like: tf.Tensor) -> tf.Tensor:
    """[K] -> [K, 1, ..., 1], broadcastable against `like` [K, ...]."""
    return tf.reshape(values, [-1] + [1] * (len(like.shape) - 1))


def assign_where(variable: tf.Variable, update: tf.Tensor | None, value: tf.Tensor) -> None:
    """variable[k] <- value[k] for the members where `update` [K] holds; all when it is None.

    The unmasked form is what a step where every member learns compiles to: selecting costs
    about a fifth of a small network's update.
    """
    if update is None:
        variable.assign(value)
    else:
        variable.assign(tf.where(per_member(update, variable), value, variable))


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

    def apply(
        self,
        grads: Sequence[tf.Tensor],
        variables: Sequence[tf.Variable],
        update: tf.Tensor | None = None,
    ) -> None:
        """One Adam step on the members where `update` [K] (bool) holds (None: on all of them);
        the rest are untouched."""
        step = tf.cast(self.iterations + 1, tf.float32)  # [K]
        alpha = (
            self.learning_rate
            * tf.sqrt(1.0 - tf.pow(self.beta_2, step))
            / (1.0 - tf.pow(self.beta_1, step))
        )  # [K]
        for grad, variable, m, v in zip(
            grads, variables, self.momentums, self.velocities, strict=True
        ):
            new_m = m + (grad - m) * (1.0 - self.beta_1)
            new_v = v + (tf.square(grad) - v) * (1.0 - self.beta_2)
            step_size = per_member(alpha, grad)
            new_w = variable - (new_m * step_size) / (tf.sqrt(new_v) + self.epsilon)
            assign_where(m, update, new_m)
            assign_where(v, update, new_v)
            assign_where(variable, update, new_w)
        assign_where(self.iterations, update, self.iterations + 1)
