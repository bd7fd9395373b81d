"""Keras actor and critic builders; every architecture option is data in NetworkConfig.

One builder per network serves both shapes: a plain model ([B, O] -> [B, A]; initial weights
and the saved policy) and, with `members=K`, the population's member model ([K, B, O] ->
[K, B, A], ddpg.algo.member_layers) with the same layers in the same order.
"""

from __future__ import annotations

from typing import Any

import keras

from ddpg.algo.member_layers import MemberBatchNorm, MemberDense
from ddpg.algo.seeds import Role, int_seed
from ddpg.config.schema import NetworkConfig


def _dense(members: int | None, units: int, **kwargs: Any) -> keras.layers.Layer:
    if members is None:
        return keras.layers.Dense(units, **kwargs)
    kwargs.pop("kernel_initializer", None)  # member weights are copied from plain models
    kwargs.pop("bias_initializer", None)
    return MemberDense(units, members, **kwargs)


def _batch_norm(members: int | None, name: str) -> keras.layers.Layer:
    if members is None:
        return keras.layers.BatchNormalization(name=name)
    return MemberBatchNorm(members, name=name)


def _inputs(members: int | None, size: int, name: str) -> keras.KerasTensor:
    # A member model's batch axis is the member axis; each member's batch comes next.
    return keras.Input((size,) if members is None else (None, size), name=name)


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
    config: NetworkConfig,
    units: int,
    activation: str | None,
    seeds: tuple[int, int],
    name: str,
    members: int | None,
) -> keras.layers.Layer:
    """The last layer; with `final_init`, kernel and bias are both U(-x, x) as in the paper.
    `seeds`: the kernel's and the bias's initializer seeds."""
    bias = "zeros" if config.final_init is None else _final_initializer(config, seeds[1])
    return _dense(
        members,
        units,
        activation=activation,
        kernel_initializer=_final_initializer(config, seeds[0]),
        bias_initializer=bias,
        name=name,
    )


def build_actor(
    config: NetworkConfig, obs_dim: int, action_dim: int, seed: int, members: int | None = None
) -> keras.Model:
    """mu(s) -> a in [-1, 1]^A: [BatchNorm] -> hidden layers -> tanh; layer i's initial weights
    come from the run seed's actor stream i (ddpg.algo.seeds).

    The actor's input noise (`input_noise_std`) is not a layer: the agent adds it from the run's
    numpy Generator, so all randomness stays explicit and checkpointable.
    """
    obs = _inputs(members, obs_dim, "obs")
    x = _batch_norm(members, "obs_bn")(obs) if config.actor_batch_norm else obs
    for i, units in enumerate(config.actor_hidden):
        x = _dense(
            members,
            units,
            activation=config.activation,
            kernel_initializer=_hidden_initializer(config, int_seed(seed, Role.ACTOR, i, 0)),
            name=f"hidden_{i}",
        )(x)
    last = len(config.actor_hidden)
    seeds = (int_seed(seed, Role.ACTOR, last, 0), int_seed(seed, Role.ACTOR, last, 1))
    action = _output_layer(config, action_dim, "tanh", seeds, "action", members)(x)
    return keras.Model(obs, action, name="actor")


def build_critic(
    config: NetworkConfig, obs_dim: int, action_dim: int, seed: int, members: int | None = None
) -> keras.Model:
    """Q(s, a): [BatchNorm(s)] -> hidden layers, the action joining after `action_insert_layer`;
    `seed` is the run's seed, whose critic streams give the initial weights."""
    obs = _inputs(members, obs_dim, "obs")
    action = _inputs(members, action_dim, "action")
    x = _batch_norm(members, "obs_bn")(obs) if config.critic_batch_norm else obs
    for i, units in enumerate(config.critic_hidden):
        if i == config.action_insert_layer:
            x = keras.layers.Concatenate(name=f"with_action_{i}")([x, action])
        x = _dense(
            members,
            units,
            activation=config.activation,
            kernel_initializer=_hidden_initializer(config, int_seed(seed, Role.CRITIC, i, 0)),
            name=f"hidden_{i}",
        )(x)
    last = len(config.critic_hidden)
    seeds = (int_seed(seed, Role.CRITIC, last, 0), int_seed(seed, Role.CRITIC, last, 1))
    q = _output_layer(config, 1, None, seeds, "q", members)(x)
    return keras.Model([obs, action], q, name="critic")
