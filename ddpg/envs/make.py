"""Environment construction: gymnasium.make plus the standard wrappers the agent relies on.

The agent always sees actions in [-1, 1] (RescaleAction maps them to the env's bounds) and, with
`obs_norm=bounds`, observations rescaled from the observation bounds to [0, 1]
(RescaleObservation). `obs_norm=running` is not an env wrapper: the agent normalizes with
current statistics (ddpg.algo.obs_norm), so the replay buffer keeps raw observations.
RecordEpisodeStatistics reports the raw episode return whatever the reward variant.
"""

from __future__ import annotations

import warnings
from typing import Any

import gymnasium as gym
import numpy as np
from gymnasium.envs.registration import parse_env_id
from gymnasium.wrappers import RecordEpisodeStatistics, RescaleAction, RescaleObservation

from ddpg.config.schema import ConfigError, EnvConfig
from ddpg.envs.mujoco_gl import check_mujoco_gl, is_mujoco


def make_env(config: EnvConfig, render_mode: str | None = None) -> gym.Env:
    """Build the wrapped env for `config`; raises ConfigError for an unusable env.

    Seeding happens at the first `reset(seed=...)`, as gymnasium intends.
    """
    if is_mujoco(config.id):
        check_mujoco_gl()  # a MUJOCO_GL without its library breaks `import mujoco` itself
        _mujoco_warnings_to_python()
    try:
        if _versioned(config.id):
            # gym.spec refuses an id without gym.make's warnings (`Pendulum-v0 is out of date`),
            # so a refused id ends with our line alone; make still warns for an id it makes.
            gym.spec(config.id)
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
    if config.obs_norm == "bounds":
        size = obs_dim(env)
        env = RescaleObservation(env, np.zeros(size, np.float32), np.ones(size, np.float32))
    return env


def _versioned(env_id: str) -> bool:
    """Whether gym.spec finds `env_id` as gym.make does: a versioned id, not "module:Env-v0"
    (make imports the module, which registers the env) nor "Env" (make takes its newest)."""
    return ":" not in env_id and parse_env_id(env_id)[2] is not None


def _mujoco_warnings_to_python() -> None:
    """Route MuJoCo's warnings to Python's `warnings`: without a handler MuJoCo appends them to
    MUJOCO_LOG.TXT in the working directory.

    One is silenced: MuJoCo 4 finds `settotalmass` deprecated in gymnasium's own HalfCheetah
    model (half_cheetah.xml), and says so at every build of the env, for every run and every
    evaluation, about a file the user cannot change. Only that message, attributed to
    gymnasium's MujocoEnv, is ignored; every other MuJoCo warning still shows.
    """
    import mujoco

    def warn(message: str) -> None:
        warnings.warn(f"MuJoCo: {message.strip()}", stacklevel=2)

    mujoco.set_mju_user_warning(warn)
    warnings.filterwarnings(  # an equal filter is replaced, not added again
        "ignore",
        message=r"MuJoCo: compiler attribute 'settotalmass' is deprecated",
        category=UserWarning,
        module=r"gymnasium\.envs\.mujoco\.mujoco_env",
    )


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


def env_rng_state(env: gym.Env) -> dict[str, Any]:
    """The base env's numpy Generator state (JSON-safe), for checkpoints."""
    return dict(env.unwrapped.np_random.bit_generator.state)


def load_env_rng_state(env: gym.Env, state: dict[str, Any]) -> None:
    """Restore what `env_rng_state` returned."""
    env.unwrapped.np_random.bit_generator.state = state
