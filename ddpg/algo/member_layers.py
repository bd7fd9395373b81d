"""Keras layers whose weights carry a leading member axis: K networks evaluated as one.

A population trains K members of one architecture together. Their networks are one Keras model
built from these layers: the model's batch axis is the member axis, so a model maps [K, B, in]
to [K, B, out] with one batched matmul per layer (member k's rows only ever meet member k's
weights). `MemberDense` and `MemberBatchNorm` compute exactly what `keras.layers.Dense` and
`keras.layers.BatchNormalization` compute for each member, and create their weights in the same
order, so a member model and K plain models exchange weights slice by slice
(:func:`set_member_weights`, :func:`member_weights`). The plain models are still what a run's
initial weights come from (each member's own seed) and what a saved policy is.
"""

from __future__ import annotations

from collections.abc import Sequence

import keras
import numpy as np
import tensorflow as tf


class MemberDense(keras.layers.Layer):
    """y[k] = activation(x[k] @ W[k] + b[k]) for every member k: x [K, B, in] -> [K, B, units]."""

    def __init__(self, units: int, members: int, activation: str | None = None, **kwargs) -> None:
        super().__init__(**kwargs)
        self.units = units
        self.members = members
        self.activation = keras.activations.get(activation)

    def build(self, input_shape: tuple) -> None:
        k, fan_in = self.members, int(input_shape[-1])
        # Values are overwritten from each member's plain Dense layer; zeros just allocate.
        self.kernel = self.add_weight(
            shape=(k, fan_in, self.units), initializer="zeros", name="kernel"
        )
        self.bias = self.add_weight(shape=(k, self.units), initializer="zeros", name="bias")

    def call(self, x: tf.Tensor) -> tf.Tensor:
        return self.activation(tf.matmul(x, self.kernel) + self.bias[:, None, :])  # [K, B, units]

    def compute_output_shape(self, input_shape: tuple) -> tuple:
        return (*input_shape[:-1], self.units)


class MemberBatchNorm(keras.layers.Layer):
    """keras.layers.BatchNormalization (last axis, its defaults) applied to each member apart:
    batch statistics over each member's own rows [K, B, F], moving statistics [K, F]."""

    def __init__(self, members: int, momentum: float = 0.99, epsilon: float = 1e-3, **kwargs):
        super().__init__(**kwargs)
        self.members = members
        self.momentum = momentum
        self.epsilon = epsilon

    def build(self, input_shape: tuple) -> None:
        shape = (self.members, int(input_shape[-1]))
        self.gamma = self.add_weight(shape=shape, initializer="ones", name="gamma")
        self.beta = self.add_weight(shape=shape, initializer="zeros", name="beta")
        self.moving_mean = self.add_weight(
            shape=shape, initializer="zeros", name="moving_mean", trainable=False
        )
        self.moving_variance = self.add_weight(
            shape=shape, initializer="ones", name="moving_variance", trainable=False
        )

    def call(self, x: tf.Tensor, training: bool | None = None) -> tf.Tensor:
        if training:
            mean, variance = tf.nn.moments(x, axes=[1], keepdims=True)  # [K, 1, F]
            momentum = self.momentum
            self.moving_mean.assign(self.moving_mean * momentum + mean[:, 0] * (1.0 - momentum))
            self.moving_variance.assign(
                self.moving_variance * momentum + variance[:, 0] * (1.0 - momentum)
            )
        else:
            mean, variance = self.moving_mean[:, None, :], self.moving_variance[:, None, :]
        return tf.nn.batch_normalization(
            x, mean, variance, self.beta[:, None, :], self.gamma[:, None, :], self.epsilon
        )

    def compute_output_shape(self, input_shape: tuple) -> tuple:
        return input_shape


def set_member_weights(model: keras.Model, k: int, weights: Sequence[np.ndarray]) -> None:
    """Write one member's weights (a plain model's `get_weights()`) into slice k of `model`."""
    variables = model.weights
    if len(variables) != len(weights):
        raise ValueError(f"{model.name}: {len(weights)} weights for {len(variables)} variables")
    for variable, value in zip(variables, weights, strict=True):
        stacked = np.array(variable.numpy())
        stacked[k] = value
        variable.assign(stacked)


def member_weights(model: keras.Model, k: int) -> list[np.ndarray]:
    """Slice k of every weight of `model`: what `set_weights` of a plain model takes."""
    return [np.array(variable.numpy()[k]) for variable in model.weights]


def resized(model: keras.Model, members: int) -> keras.Model:
    """A model of `model`'s architecture over `members` members (fresh zero weights): the graph
    a step that computes for only some of the members runs their gathered weights through."""

    def clone(layer: keras.layers.Layer) -> keras.layers.Layer:
        if isinstance(layer, MemberDense):
            return MemberDense(layer.units, members, activation=layer.activation, name=layer.name)
        if isinstance(layer, MemberBatchNorm):
            return MemberBatchNorm(members, layer.momentum, layer.epsilon, name=layer.name)
        return layer.__class__.from_config(layer.get_config())  # Input, Concatenate: no weights

    return keras.models.clone_model(model, clone_function=clone)
