"""What a member persists: its checkpoint content (its slice of every array, every RNG and counter
it owns) and its saved policy, each into the member's own run directory.

Files, atomicity and verification are ddpg.storage.checkpoint's; this module decides what goes in.
arrays.npz holds the member's weights, targets and optimizer state (`actor/0`, ...), its replay
rows, noise, reward and observation statistics and the actions of its current episode
(`tape/actions`); state.json its Generator, its eval env's RNG, how the episode began, its
TrainState and its config.
"""

from __future__ import annotations

import dataclasses
from pathlib import Path
from typing import Any

import numpy as np

from ddpg.algo.learner import Learner
from ddpg.algo.member_layers import member_weights
from ddpg.algo.networks import build_actor
from ddpg.config.schema import RunConfig
from ddpg.envs.make import env_rng_state, load_env_rng_state
from ddpg.envs.rollout import EpisodeTape
from ddpg.evaluation.policy import save_policy
from ddpg.population.build import Components
from ddpg.population.train_state import TrainState
from ddpg.storage.checkpoint import save_checkpoint

#: The learner's parts in arrays.npz (ddpg.algo.learner.Learner.stateful).
LEARNER_PARTS = (
    "actor",
    "critic",
    "target_actor",
    "target_critic",
    "actor_optimizer",
    "critic_optimizer",
)


def capture_member(
    c: Components,
    k: int,
    learner_state: dict[str, np.ndarray],
    tape: EpisodeTape | None,
    train: TrainState,
    config: RunConfig,
) -> tuple[dict[str, np.ndarray], dict[str, Any]]:
    """Member k's arrays and JSON state."""
    arrays = dict(learner_state)
    parts = {
        "replay": c.replay_buffer.member_state(k),
        "noise": c.agent.noise.member_state(k),
        "reward_norm": c.reward_normalizer.member_state(k),
        "obs_norm": c.agent.obs_normalizer.member_state(k),
    }
    arrays.update({f"{p}/{key}": np.asarray(v) for p, d in parts.items() for key, v in d.items()})
    action_size = c.agent.action_dim
    actions = [] if tape is None else tape.actions
    arrays["tape/actions"] = np.array(actions, np.float32).reshape(-1, action_size)
    state = {
        "rng": c.rngs[k].bit_generator.state,
        "replay_rng": c.replay_rngs[k].bit_generator.state,
        "eval_env_rng": env_rng_state(c.eval_envs[k]),
        # Between episodes (None) the env's RNG is what the next reset draws from.
        "tape": None if tape is None else tape.to_json(),
        "env_rng": env_rng_state(c.envs[k]) if tape is None else None,
        "train": dataclasses.asdict(train),
        "config": dataclasses.asdict(config),
    }
    return arrays, state


def restore_member(
    c: Components, k: int, arrays: dict[str, np.ndarray], state: dict[str, Any]
) -> tuple[TrainState, EpisodeTape | None]:
    """Put member k's checkpoint back (its learner slice is restored by the caller, all members
    at once); returns its TrainState and episode tape for the env replay (None: between
    episodes, its env's RNG restored for the next reset)."""

    def part(prefix: str) -> dict[str, np.ndarray]:
        return {n.split("/", 1)[1]: v for n, v in arrays.items() if n.startswith(prefix + "/")}

    c.replay_buffer.load_member_state(k, part("replay"))
    c.agent.noise.load_member_state(k, part("noise"))
    c.reward_normalizer.load_member_state(k, part("reward_norm"))
    c.agent.obs_normalizer.load_member_state(k, part("obs_norm"))
    c.rngs[k].bit_generator.state = state["rng"]
    c.replay_rngs[k].bit_generator.state = state["replay_rng"]
    load_env_rng_state(c.eval_envs[k], state["eval_env_rng"])
    if state["tape"] is None:
        load_env_rng_state(c.envs[k], state["env_rng"])
        return TrainState(**state["train"]), None
    tape = EpisodeTape.from_json(state["tape"], arrays["tape/actions"])
    return TrainState(**state["train"]), tape


def learner_member_states(learner: Learner) -> list[dict[str, np.ndarray]]:
    """Per member, its slice of every learner variable, named `<part>/<index>`."""
    arrays = {
        f"{part}/{i}": np.asarray(v.numpy())
        for part, variables in learner.stateful().items()
        for i, v in enumerate(variables)
    }
    return [{name: a[k] for name, a in arrays.items()} for k in range(learner.members)]


def load_learner_member_states(learner: Learner, states: dict[int, dict[str, np.ndarray]]) -> None:
    """Put `learner_member_states` slices (member -> its arrays) back into those members."""
    for part, variables in learner.stateful().items():
        for i, v in enumerate(variables):
            value = np.array(v.numpy())
            for member, arrays in states.items():
                value[member] = arrays[f"{part}/{i}"]
            v.assign(value)


def learner_arrays(arrays: dict[str, np.ndarray]) -> dict[str, np.ndarray]:
    """The learner's part of a member's arrays."""
    return {n: v for n, v in arrays.items() if n.split("/")[0] in LEARNER_PARTS}


class MemberStore:
    """Writes members' policies and checkpoints into their run dirs; restores checkpoints."""

    def __init__(self, c: Components, configs: list[RunConfig], run_dirs: list[Path]) -> None:
        self.c, self.configs, self.run_dirs = c, configs, [Path(d) for d in run_dirs]

    def save_policy(self, k: int) -> None:
        """Member k's actor as a plain Keras actor, as a separately trained run saves it."""
        learner, config = self.c.agent.learner, self.configs[k]
        actor = build_actor(config.network, learner.obs_dim, learner.action_dim, seed=0)
        actor.set_weights(member_weights(learner.actor, k))
        stats = self.c.agent.obs_normalizer.member_state(k)
        policy_dir = self.run_dirs[k] / "policy"
        save_policy(policy_dir, actor, config.env, config.network, self.c.envs[k], stats)

    def checkpoint(self, states: dict[int, TrainState], tapes: list[EpisodeTape | None]) -> None:
        """Checkpoint members (member -> its synced TrainState) at their current step."""
        if not states:
            return
        learner_states = learner_member_states(self.c.agent.learner)
        for k, state in states.items():
            config = self.configs[k]
            arrays, saved = capture_member(self.c, k, learner_states[k], tapes[k], state, config)
            keep = config.trainer.keep_checkpoints
            save_checkpoint(self.run_dirs[k] / "checkpoints", state.step, arrays, saved, keep)

    def restore(
        self,
        member_arrays: dict[int, dict[str, np.ndarray]],
        member_states: dict[int, dict[str, Any]],
    ) -> dict[int, tuple[TrainState, EpisodeTape | None]]:
        """Put checkpoints back (member -> arrays / state.json); returns each member's
        TrainState and episode tape."""
        load_learner_member_states(
            self.c.agent.learner,
            {k: learner_arrays(arrays) for k, arrays in member_arrays.items()},
        )
        return {
            k: restore_member(self.c, k, arrays, member_states[k])
            for k, arrays in member_arrays.items()
        }
