"""Assemble a run's components (envs, networks, learner, agent, replay, normalizer) from config."""

from __future__ import annotations

from dataclasses import dataclass

import gymnasium as gym
import keras
import numpy as np
import tensorflow as tf

from ddpg.agent import Agent
from ddpg.config import RunConfig
from ddpg.envs import action_dim, make_env, obs_dim
from ddpg.learner import Learner
from ddpg.networks import build_actor, build_critic
from ddpg.noise import make_noise
from ddpg.obs_norm import ObsNormalizer
from ddpg.replay import ReplayBuffer
from ddpg.reward_norm import RewardNormalizer, make_reward_normalizer


@dataclass
class Components:
    """Everything the trainer drives."""

    env: gym.Env
    eval_env: gym.Env
    agent: Agent
    replay_buffer: ReplayBuffer
    reward_normalizer: RewardNormalizer
    rng: np.random.Generator


def configure_tensorflow(threads: int) -> None:
    """Set TF's thread pools once per process, before any op runs; later calls are no-ops."""
    if threads <= 0:
        return
    try:
        tf.config.threading.set_intra_op_parallelism_threads(threads)
        tf.config.threading.set_inter_op_parallelism_threads(threads)
    except RuntimeError:
        pass  # the runtime is already initialised (a later job in the same process)


def seed_everything(seed: int) -> np.random.Generator:
    """Seed Keras/TF/Python, make TF ops deterministic, and return the run's numpy Generator."""
    keras.utils.set_random_seed(seed)
    tf.config.experimental.enable_op_determinism()
    return np.random.default_rng(seed)


def build(config: RunConfig) -> Components:
    """Build every component; envs are checked first, so a bad env fails before any TF work."""
    env = make_env(config.env)
    eval_env = make_env(config.env)
    obs_size, action_size = obs_dim(env), action_dim(env)
    keras.backend.clear_session()  # a previous run in this process leaves no layers behind
    rng = seed_everything(config.seed)
    actor = build_actor(config.network, obs_size, action_size, seed=config.seed)
    critic = build_critic(config.network, obs_size, action_size, seed=config.seed + 1000)
    learner = Learner(actor, critic, config.agent, obs_size, action_size)
    noise = make_noise(config.noise, action_size, rng)
    obs_normalizer = ObsNormalizer(obs_size, enabled=config.env.obs_norm == "running")
    agent = Agent(learner, noise, obs_normalizer, config.network.input_noise_std, rng)
    return Components(
        env=env,
        eval_env=eval_env,
        agent=agent,
        replay_buffer=ReplayBuffer(config.agent.buffer_size, obs_size, action_size),
        reward_normalizer=make_reward_normalizer(config.reward_norm),
        rng=rng,
    )
