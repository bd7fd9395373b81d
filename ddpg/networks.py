"""Keras actor and critic builders; every architecture option is data in NetworkConfig."""

from __future__ import annotations

import keras

from ddpg.config import NetworkConfig


def _hidden_initializer(config: NetworkConfig, seed: int) -> keras.initializers.Initializer:
    if config.hidden_init == "fan_in_uniform":
        # U(-1/sqrt(f), 1/sqrt(f)) with f the fan-in (Lillicrap et al. 2015, sec. 7).
        return keras.initializers.VarianceScaling(
            scale=1.0 / 3.0, mode="fan_in", distribution="uniform", seed=seed
        )
    return keras.initializers.GlorotUniform(seed=seed)


def _final_initializer(config: NetworkConfig, seed: int) -> keras.initializers.Initializer:
    if config.final_init is None:
        return _hidden_initializer(config, seed)
    return keras.initializers.RandomUniform(-config.final_init, config.final_init, seed=seed)


def _output_layer(
    config: NetworkConfig, units: int, activation: str | None, seed: int, name: str
) -> keras.layers.Dense:
    """The last layer; with `final_init`, kernel and bias are both U(-x, x) as in the paper."""
    bias = "zeros" if config.final_init is None else _final_initializer(config, seed + 1)
    return keras.layers.Dense(
        units,
        activation=activation,
        kernel_initializer=_final_initializer(config, seed),
        bias_initializer=bias,
        name=name,
    )


def build_actor(config: NetworkConfig, obs_dim: int, action_dim: int, seed: int) -> keras.Model:
    """mu(s) -> a in [-1, 1]^A: [BatchNorm] -> hidden layers -> tanh.

    The actor's input noise (`input_noise_std`) is not a layer: the learner adds it from the run's
    numpy Generator, so all randomness stays explicit and checkpointable.
    """
    obs = keras.Input((obs_dim,), name="obs")
    x = keras.layers.BatchNormalization(name="obs_bn")(obs) if config.actor_batch_norm else obs
    for i, units in enumerate(config.actor_hidden):
        x = keras.layers.Dense(
            units,
            activation=config.activation,
            kernel_initializer=_hidden_initializer(config, seed + i),
            name=f"hidden_{i}",
        )(x)
    action = _output_layer(config, action_dim, "tanh", seed + 100, name="action")(x)
    return keras.Model(obs, action, name="actor")


def build_critic(config: NetworkConfig, obs_dim: int, action_dim: int, seed: int) -> keras.Model:
    """Q(s, a): [BatchNorm(s)] -> hidden layers, the action joining after `action_insert_layer`."""
    obs = keras.Input((obs_dim,), name="obs")
    action = keras.Input((action_dim,), name="action")
    x = keras.layers.BatchNormalization(name="obs_bn")(obs) if config.critic_batch_norm else obs
    for i, units in enumerate(config.critic_hidden):
        if i == config.action_insert_layer:
            x = keras.layers.Concatenate(name=f"with_action_{i}")([x, action])
        x = keras.layers.Dense(
            units,
            activation=config.activation,
            kernel_initializer=_hidden_initializer(config, seed + 200 + i),
            name=f"hidden_{i}",
        )(x)
    q = _output_layer(config, 1, None, seed + 300, name="q")(x)
    return keras.Model([obs, action], q, name="critic")
