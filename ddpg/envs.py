"""Environment construction: gymnasium.make plus the standard wrappers the agent relies on.

The agent always sees actions in [-1, 1] (RescaleAction maps them to the env's bounds) and,
per `obs_norm`, observations min-max scaled by the observation bounds or normalized by running
statistics. RecordEpisodeStatistics reports the raw episode return whatever the reward variant.
"""

from __future__ import annotations

from typing import Any

import gymnasium as gym
import numpy as np
from gymnasium.wrappers import (
    NormalizeObservation,
    RecordEpisodeStatistics,
    RescaleAction,
    TransformObservation,
)

from ddpg.config import ConfigError, EnvConfig


def make_env(config: EnvConfig, render_mode: str | None = None) -> gym.Env:
    """Build the wrapped env for `config`; raises ConfigError for an unusable env.

    Seeding happens at the first `reset(seed=...)`, as gymnasium intends.
    """
    try:
        env = gym.make(
            config.id,
            max_episode_steps=config.max_episode_steps,
            render_mode=render_mode,
            **config.kwargs,
        )
    except gym.error.Error as error:
        raise ConfigError(
            f"env.id={config.id!r} is invalid: not a registered gymnasium environment ({error})"
        ) from None
    except TypeError as error:
        raise ConfigError(f"env.kwargs={config.kwargs!r} is invalid: {error}") from None
    _check_spaces(env, config)
    env = RecordEpisodeStatistics(env)
    ones = np.ones(action_dim(env), np.float32)
    env = RescaleAction(env, -ones, ones)  # float32 bounds: no precision-loss warning
    obs_space = env.observation_space
    assert isinstance(obs_space, gym.spaces.Box)
    if config.obs_norm == "bounds":
        low = obs_space.low.astype(np.float32)
        span = (obs_space.high - obs_space.low).astype(np.float32)
        unit_box = gym.spaces.Box(0.0, 1.0, obs_space.shape, np.float32)
        env = TransformObservation(env, lambda obs: (obs - low) / span, unit_box)
    elif config.obs_norm == "running":
        env = NormalizeObservation(env)
    return env


def obs_dim(env: gym.Env) -> int:
    """Size of the flat Box observation."""
    shape = env.observation_space.shape
    assert shape is not None and len(shape) == 1
    return int(shape[0])


def action_dim(env: gym.Env) -> int:
    """Size of the 1-D Box action."""
    shape = env.action_space.shape
    assert shape is not None and len(shape) == 1
    return int(shape[0])


def _check_spaces(env: gym.Env, config: EnvConfig) -> None:
    action_space, obs_space = env.action_space, env.observation_space
    if not isinstance(action_space, gym.spaces.Box) or len(action_space.shape) != 1:
        env.close()
        raise ConfigError(
            f"env.id={config.id!r} is invalid: DDPG needs a continuous 1-D Box action space, "
            f"got {action_space}"
        )
    if not (np.all(np.isfinite(action_space.low)) and np.all(np.isfinite(action_space.high))):
        env.close()
        raise ConfigError(f"env.id={config.id!r} is invalid: action bounds must be finite")
    if not isinstance(obs_space, gym.spaces.Box) or len(obs_space.shape) != 1:
        env.close()
        raise ConfigError(
            f"env.id={config.id!r} is invalid: needs a flat 1-D Box observation space, "
            f"got {obs_space}"
        )
    bounded = np.all(np.isfinite(obs_space.low)) and np.all(np.isfinite(obs_space.high))
    if config.obs_norm == "bounds" and not bounded:
        env.close()
        raise ConfigError(
            f"env.obs_norm='bounds' is invalid for {config.id}: its observation bounds are "
            "not finite (use running or none)"
        )


def _obs_normalizer(env: gym.Env) -> NormalizeObservation | None:
    while isinstance(env, gym.Wrapper):
        if isinstance(env, NormalizeObservation):
            return env
        env = env.env
    return None


def obs_norm_state(env: gym.Env) -> dict[str, Any]:
    """Running observation statistics as arrays ({} when the env has none)."""
    wrapper = _obs_normalizer(env)
    if wrapper is None:
        return {}
    rms = wrapper.obs_rms
    return {"mean": rms.mean.copy(), "var": rms.var.copy(), "count": np.float64(rms.count)}


def load_obs_norm_state(env: gym.Env, state: dict[str, Any], update: bool = True) -> None:
    """Restore `obs_norm_state` output; `update=False` freezes them (evaluation)."""
    wrapper = _obs_normalizer(env)
    if wrapper is None:
        return
    if state:
        wrapper.obs_rms.mean = np.array(state["mean"], np.float64)
        wrapper.obs_rms.var = np.array(state["var"], np.float64)
        wrapper.obs_rms.count = float(state["count"])
    wrapper.update_running_mean = update


def share_obs_norm(source: gym.Env, target: gym.Env) -> None:
    """Make `target` normalize with `source`'s live statistics, without updating them."""
    source_wrapper, target_wrapper = _obs_normalizer(source), _obs_normalizer(target)
    if source_wrapper is not None and target_wrapper is not None:
        target_wrapper.obs_rms = source_wrapper.obs_rms
        target_wrapper.update_running_mean = False


def env_rng_state(env: gym.Env) -> dict[str, Any]:
    """The base env's numpy Generator state (JSON-safe), for checkpoints."""
    return dict(env.unwrapped.np_random.bit_generator.state)


def load_env_rng_state(env: gym.Env, state: dict[str, Any]) -> None:
    """Restore what `env_rng_state` returned."""
    env.unwrapped.np_random.bit_generator.state = state
