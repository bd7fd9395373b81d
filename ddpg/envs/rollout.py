"""Episodes: deterministic evaluation (one env, or every member's env in lockstep) and the tape
that rebuilds a training env's state at any step.

A checkpoint cannot snapshot a gymnasium env (MuJoCo, Box2D and the classic tasks hold their
state in objects of their own). It does not need to: every env here is deterministic given its
reset and the actions since, so an `EpisodeTape` (the reset's seed, or the env's RNG state just
before an unseeded reset, plus the actions taken) replays the env to exactly where it was.
That frees checkpoints from episode boundaries, which a population (members whose episodes end
at different steps) does not have.
"""

from __future__ import annotations

from collections.abc import Callable
from dataclasses import dataclass, field
from typing import Any

import gymnasium as gym
import numpy as np

from ddpg.envs.make import env_rng_state, load_env_rng_state

#: One transition: obs, action, raw reward, next_obs, terminated.
Transition = tuple[np.ndarray, np.ndarray, float, np.ndarray, bool]


def evaluate_policy(env: gym.Env, policy: Any, episodes: int) -> np.ndarray:
    """Returns of `episodes` full episodes acting with `policy(obs) -> action`, no noise."""
    returns = np.zeros(episodes)
    for i in range(episodes):
        obs, _ = env.reset()
        done, total = False, 0.0
        while not done:
            obs, reward, terminated, truncated, _ = env.step(policy(obs))
            total += float(reward)
            done = terminated or truncated
        returns[i] = total
    return returns


def evaluate_members(
    envs: list[gym.Env],
    act: Callable[[np.ndarray], np.ndarray],
    members: np.ndarray,
    episodes: int,
    obs_size: int,
) -> np.ndarray:
    """Returns [M, episodes] of the listed members, each on its own env, acting together.

    `act` maps observations [K, O] to deterministic actions [K, A] with one call, so an eval
    costs one policy call per step for the whole population; a member whose episode has ended
    waits for the others.
    """
    returns = np.zeros((len(members), episodes))
    obs = np.zeros((len(envs), obs_size), np.float32)
    for episode in range(episodes):
        for k in members:
            obs[k] = envs[k].reset()[0]
        live = list(range(len(members)))
        while live:
            actions = act(obs)
            still = []
            for i in live:
                k = members[i]
                obs[k], reward, terminated, truncated, _ = envs[k].step(actions[k])
                returns[i, episode] += float(reward)
                if not (terminated or truncated):
                    still.append(i)
            live = still
    return returns


@dataclass
class EpisodeTape:
    """How a training episode began (a seed, or the env RNG's state before an unseeded reset)
    and the actions taken since."""

    seed: int | None = None
    rng_state: dict[str, Any] | None = None
    actions: list[np.ndarray] = field(default_factory=list)

    def to_json(self) -> dict[str, Any]:
        return {"seed": self.seed, "rng_state": self.rng_state}

    @classmethod
    def from_json(cls, data: dict[str, Any], actions: np.ndarray) -> EpisodeTape:
        return cls(data["seed"], data["rng_state"], list(actions))


def start_episode(env: gym.Env, seed: int | None) -> tuple[np.ndarray, EpisodeTape]:
    """Reset `env` (with `seed` for a run's first episode) and start the episode's tape."""
    tape = EpisodeTape(seed, None if seed is not None else env_rng_state(env))
    obs, _ = env.reset(seed=seed)
    return obs, tape


def replay_episode(env: gym.Env, tape: EpisodeTape) -> tuple[np.ndarray, list[Transition]]:
    """Bring `env` to where `tape` left it; returns the current observation and the episode's
    transitions so far."""
    if tape.rng_state is not None:
        load_env_rng_state(env, tape.rng_state)
    obs, _ = env.reset(seed=tape.seed)
    transitions: list[Transition] = []
    for action in tape.actions:
        next_obs, reward, terminated, _, _ = env.step(action)
        transitions.append((obs, action, float(reward), next_obs, bool(terminated)))
        obs = next_obs
    return obs, transitions
