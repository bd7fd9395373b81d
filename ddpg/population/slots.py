"""Reset a population's slot: member k's components become a fresh member's, or a copy of
another member's, while the compiled step and every other member go on untouched.

A fresh member (`reset_components`) is what `ddpg.population.build` makes of its config: the
initial weights a plain run with its seed starts from (targets equal), zero Adam state, its
hyperparameters as the step's runtime values, an empty replay ring, fresh noise and
normalizers, every Generator back at the start of its seed's stream (ddpg.algo.seeds), and new
train and eval envs (the trainer resets them with its seed's reset seeds). A copy
(`copy_components`, population-based training's exploit) moves networks, targets, Adam state
and normalizer statistics in memory, and the replay buffer when asked (`tune.pbt.copy_replay`).
Counters, records and envs mid-episode are the trainer's.
"""

from __future__ import annotations

import dataclasses

from ddpg.algo.seeds import Role, generator
from ddpg.config.schema import RunConfig, flatten
from ddpg.envs.make import make_env
from ddpg.population.build import Components, initial_weights
from ddpg.population.keys import mismatched_keys


def check_fits(population: RunConfig, config: RunConfig) -> None:
    """Refuse a member whose shape keys (ddpg.population.keys) differ from the population's.

    Raises:
        ValueError: Naming the keys that differ.
    """
    params = [flatten(dataclasses.asdict(c)) for c in (population, config)]
    mismatched = mismatched_keys(params)
    if mismatched:
        raise ValueError(
            f"a new member must share the population's {', '.join(mismatched)} "
            "(ddpg.population.keys)"
        )


def reset_components(c: Components, k: int, config: RunConfig) -> None:
    """Member k of `c` becomes a fresh member trained under `config` (module docstring)."""
    learner = c.agent.learner
    sizes = (learner.obs_dim, learner.action_dim)
    actor, critic = initial_weights(config.network, *sizes, config.seed)
    learner.reset_member(k, actor, critic, config.agent)
    # In place: the agent, the noise and the replay draw through these very Generators.
    c.rngs[k].bit_generator.state = generator(config.seed, Role.EXPLORATION).bit_generator.state
    c.replay_rngs[k].bit_generator.state = generator(config.seed, Role.REPLAY).bit_generator.state
    c.agent.noise.replace_member(k, config.noise)
    c.agent.obs_normalizer.reset_member(k, config.env.obs_norm == "running")
    c.agent.set_input_noise(k, config.network.input_noise_std)
    c.replay_buffer.clear_member(k)
    c.reward_normalizer.replace_member(k, config.reward_norm)
    for envs in (c.envs, c.eval_envs):
        envs[k].close()
        envs[k] = make_env(config.env)


def copy_components(c: Components, source: int, target: int, replay: bool = False) -> None:
    """Member `target` takes member `source`'s networks, targets, Adam state, hyperparameters
    and observation and reward normalizer statistics, and with `replay` its replay buffer
    (transitions, size, write position); its noise, Generators and envs, and without `replay`
    its replay, stay its own."""
    c.agent.learner.copy_member(source, target)
    c.agent.obs_normalizer.copy_member(source, target)
    c.reward_normalizer.copy_member(source, target)
    if replay:
        c.replay_buffer.copy_member(source, target)


def apply_config(c: Components, k: int, config: RunConfig, own: RunConfig, held: RunConfig) -> None:
    """Member k trains on under `config`: its hyperparameters become the step's new runtime
    values; its noise process restarts only if its noise config changed (from `own`, the config
    it trained under), its normalizers only if theirs changed (from `held`, the config of the
    statistics it holds now: its own, or the member it copied)."""
    c.agent.learner.set_hyperparameters(k, config.agent)
    c.agent.set_input_noise(k, config.network.input_noise_std)
    if config.noise != own.noise:
        c.agent.noise.replace_member(k, config.noise)
    if config.reward_norm != held.reward_norm:
        c.reward_normalizer.replace_member(k, config.reward_norm)
    if config.env.obs_norm != held.env.obs_norm:
        c.agent.obs_normalizer.reset_member(k, config.env.obs_norm == "running")
