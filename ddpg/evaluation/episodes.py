"""Deterministic evaluation episodes of a saved policy: its env, its actor compiled once, returns.

The episodes are the trainer's evaluation (ddpg.envs.rollout.evaluate_policy), played one at a time
so that each return can be shown as soon as it is known, and keeping the actions of the
episodes to be recorded: ddpg.evaluation.rendering replays them for video in a process without
TensorFlow.
"""

from __future__ import annotations

import os
import time
from collections.abc import Callable
from typing import TYPE_CHECKING

import gymnasium as gym
import numpy as np

from ddpg.evaluation.rendering import keeping

if TYPE_CHECKING:
    from ddpg.evaluation.policy import SavedPolicy  # imports TF: only for the type checker

Act = Callable[[np.ndarray], np.ndarray]  # one raw observation [O] -> one action [A]


def make_eval_env(policy: SavedPolicy, seed: int, render: str = "none") -> gym.Env:
    """The trained-with env, reset with `seed`; it yields raw observations.

    Later episodes continue the env's RNG from the seeded reset, as the trainer's evaluation
    does. `render` is ``none``, ``human`` (a window) or ``rgb_array``. Videos are not drawn
    here: ddpg.evaluation.rendering replays the recorded episodes' actions in a child process, since
    Mesa's OpenGL (MuJoCo) and TensorFlow cannot share this one.
    """
    from ddpg.envs.make import make_env

    if render == "rgb_array":
        os.environ.setdefault("SDL_VIDEODRIVER", "dummy")  # pygame draws off-screen, headless
        os.environ.setdefault("PYGAME_HIDE_SUPPORT_PROMPT", "1")
    env = make_env(policy.env, render_mode=None if render == "none" else render)
    env.reset(seed=seed)
    return env


def compiled_act(policy: SavedPolicy) -> Act:
    """`policy.act` on a raw observation, normalized with the run's frozen statistics as in
    training, traced once into a TF graph: about 4x faster per step than eager Keras."""
    import tensorflow as tf

    obs_dim = int(policy.actor.input_shape[-1])
    normalize = policy.normalize_obs
    forward = tf.function(
        lambda obs: policy.actor(obs[None], training=False)[0],
        input_signature=[tf.TensorSpec([obs_dim], tf.float32)],
    )
    return lambda obs: forward(np.asarray(normalize(obs), np.float32)).numpy()


def play_episodes(
    env: gym.Env,
    act: Act,
    episodes: int,
    keep_actions: int = 0,
    on_return: Callable[[int, float, int, float], None] = lambda episode, ret, steps, s: None,
) -> tuple[list[float], list[list[np.ndarray]]]:
    """Play `episodes` full episodes in `env` acting with `act`, without noise.

    Args:
        env: From :func:`make_eval_env`; each episode starts at its next reset.
        act: From :func:`compiled_act`.
        episodes: How many to play.
        keep_actions: Keep the actions of this many first episodes (for video).
        on_return: Called with (episode index, its return, its steps, its seconds) as soon as
            each episode ends.

    Returns:
        The episodes' returns, and the kept episodes' actions in order (each [A], in [-1, 1]).
    """
    from ddpg.envs.rollout import evaluate_policy  # after ddpg.evaluate has started TF quietly

    returns: list[float] = []
    kept: list[list[np.ndarray]] = []
    for episode in range(episodes):
        actions: list[np.ndarray] = []  # kept for video, else only counted
        if episode < keep_actions:
            kept.append(actions)
        start = time.perf_counter()
        (episode_return,) = evaluate_policy(env, keeping(act, actions), 1)
        returns.append(float(episode_return))
        on_return(episode, returns[-1], len(actions), time.perf_counter() - start)
        if episode >= keep_actions:
            actions.clear()
    return returns, kept
