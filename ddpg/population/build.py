"""Assemble a population's components (envs, networks, learner, agent, replay, normalizers).

A population is K runs that share every shape (ddpg.population.keys); a single run is K = 1.
Each member keeps what makes a run itself: its own seed and the random streams derived from it
(ddpg.algo.seeds), its own train and eval env, replay rows, noise, reward and observation
normalizer, and its initial weights are those a plain run with its seed starts from.
"""

from __future__ import annotations

from collections.abc import Sequence
from dataclasses import dataclass

import gymnasium as gym
import keras
import numpy as np
import tensorflow as tf

from ddpg.algo.agent import Agent
from ddpg.algo.learner import Learner
from ddpg.algo.member_layers import set_member_weights
from ddpg.algo.networks import build_actor, build_critic
from ddpg.algo.noise import ActionNoise
from ddpg.algo.obs_norm import ObsNormalizer
from ddpg.algo.replay import ReplayBuffer
from ddpg.algo.reward_norm import RewardNormalizer
from ddpg.algo.seeds import Role, generator
from ddpg.config.schema import NetworkConfig, RunConfig
from ddpg.envs.make import action_dim, make_env, obs_dim


@dataclass
class Components:
    """Everything the trainer drives; lists and arrays are indexed by member."""

    envs: list[gym.Env]
    eval_envs: list[gym.Env]
    agent: Agent
    replay_buffer: ReplayBuffer
    reward_normalizer: RewardNormalizer
    rngs: list[np.random.Generator]  # exploration: noise, input noise, warm-up actions
    replay_rngs: list[np.random.Generator]  # replay sampling

    def close(self) -> None:
        for env in (*self.envs, *self.eval_envs):
            env.close()


def configure_tensorflow(threads: int) -> None:
    """Set TF's thread pools once per process, before any op runs; later calls are no-ops."""
    if threads <= 0:
        return
    try:
        tf.config.threading.set_intra_op_parallelism_threads(threads)
        tf.config.threading.set_inter_op_parallelism_threads(threads)
    except RuntimeError:
        pass  # the runtime is already initialised (a later job in the same process)


def build_networks(
    network: NetworkConfig, obs_size: int, action_size: int, seeds: Sequence[int]
) -> tuple[keras.Model, keras.Model, keras.Model, keras.Model]:
    """Member actor, critic and their targets for members with `seeds`; member k starts from the
    weights a plain run with seed `seeds[k]` starts from."""
    k = len(seeds)
    actor, target_actor = (build_actor(network, obs_size, action_size, 0, k) for _ in "ab")
    critic, target_critic = (build_critic(network, obs_size, action_size, 0, k) for _ in "ab")
    for member, seed in enumerate(seeds):
        actor_weights, critic_weights = initial_weights(network, obs_size, action_size, seed)
        set_member_weights(actor, member, actor_weights)
        set_member_weights(critic, member, critic_weights)
    return actor, critic, target_actor, target_critic


def initial_weights(
    network: NetworkConfig, obs_size: int, action_size: int, seed: int
) -> tuple[list[np.ndarray], list[np.ndarray]]:
    """The actor's and critic's weights a plain run with `seed` starts from."""
    plain_actor = build_actor(network, obs_size, action_size, seed)
    plain_critic = build_critic(network, obs_size, action_size, seed)
    return plain_actor.get_weights(), plain_critic.get_weights()


def build(configs: Sequence[RunConfig]) -> Components:
    """Build every member's components; envs are checked first, so a bad env fails before any
    TF work. The configs must agree on every shape key (the launcher groups them so)."""
    envs = [make_env(config.env) for config in configs]
    eval_envs = [make_env(config.env) for config in configs]
    obs_size, action_size = obs_dim(envs[0]), action_dim(envs[0])
    keras.backend.clear_session()  # a previous run in this process leaves no layers behind
    keras.utils.set_random_seed(configs[0].seed)  # all sampling is the members' Generators'
    tf.config.experimental.enable_op_determinism()
    seeds = [config.seed for config in configs]
    rngs = [generator(seed, Role.EXPLORATION) for seed in seeds]
    networks = build_networks(configs[0].network, obs_size, action_size, seeds)
    learner = Learner(*networks, [c.agent for c in configs], obs_size, action_size)
    noise = ActionNoise([c.noise for c in configs], action_size, rngs)
    obs_normalizer = ObsNormalizer(obs_size, [c.env.obs_norm == "running" for c in configs])
    input_noise_std = np.array([c.network.input_noise_std for c in configs])
    agent = Agent(learner, noise, obs_normalizer, input_noise_std, rngs)
    return Components(
        envs=envs,
        eval_envs=eval_envs,
        agent=agent,
        replay_buffer=ReplayBuffer(
            configs[0].agent.buffer_size, len(configs), obs_size, action_size
        ),
        reward_normalizer=RewardNormalizer([c.reward_norm for c in configs]),
        rngs=rngs,
        replay_rngs=[generator(seed, Role.REPLAY) for seed in seeds],
    )
