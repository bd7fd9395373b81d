"""The saved policy: actor weights plus what is needed to rebuild and feed it, no pickle.

policy/
  actor.weights.h5   Keras weights of the actor
  policy.json        env and network config, spaces, observation-normalization statistics
"""

from __future__ import annotations

import dataclasses
import json
from dataclasses import dataclass
from pathlib import Path
from typing import Any

import gymnasium as gym
import keras
import numpy as np

from ddpg.algo.networks import build_actor
from ddpg.algo.obs_norm import ObsNormalizer
from ddpg.config.schema import ConfigError, EnvConfig, NetworkConfig, from_mapping
from ddpg.envs.make import action_dim, obs_dim
from ddpg.storage.files import write_json_atomic
from ddpg.storage.staged import remove_staging, staged_folder

WEIGHTS_FILE = "actor.weights.h5"
META_FILE = "policy.json"


@dataclass
class SavedPolicy:
    """A loaded policy: the actor and the settings it was trained with."""

    actor: keras.Model
    env: EnvConfig
    network: NetworkConfig
    obs_norm: dict[str, Any]

    def normalize_obs(self, obs: np.ndarray) -> np.ndarray:
        """A raw observation [O] normalized with the run's statistics at save time, frozen."""
        if not self.obs_norm:
            return np.asarray(obs, np.float32)
        normalizer = ObsNormalizer(int(self.actor.input_shape[-1]), [True])
        normalizer.load_member_state(0, self.obs_norm)
        return normalizer.normalize_member(0, np.asarray(obs))

    def act(self, obs: np.ndarray) -> np.ndarray:
        """Deterministic action in [-1, 1]^A for one (already normalized) observation."""
        return np.asarray(self.actor(np.asarray(obs, np.float32)[None], training=False)[0])


def save_policy(
    directory: Path,
    actor: keras.Model,
    env_config: EnvConfig,
    network: NetworkConfig,
    env: gym.Env,
    obs_norm: dict[str, Any],
) -> None:
    """Write the policy folder atomically: build it beside `directory`, then swap it in.

    `obs_norm` holds the observation statistics the actor was trained with ({} for none). An
    existing policy is exchanged for the new one in one step (ddpg.storage.staged), so a kill
    leaves the old or the new one loadable; only where the system lacks that exchange is there a
    moment without `directory` (the old one then waits in a `.policy-*-old` folder beside it).
    """
    directory = Path(directory)
    remove_staging(directory.parent, ".policy-")  # a killed save's; one writer per run folder
    with staged_folder(directory, ".policy-") as staging:
        actor.save_weights(staging / WEIGHTS_FILE)
        stats = {k: np.asarray(v).tolist() for k, v in obs_norm.items()}
        write_json_atomic(
            staging / META_FILE,
            {
                "env": dataclasses.asdict(env_config),
                "network": dataclasses.asdict(network),
                "obs_dim": obs_dim(env),
                "action_dim": action_dim(env),
                "obs_norm": stats,
            },
        )


def load_policy(directory: Path) -> SavedPolicy:
    """Rebuild the actor saved in `directory`; raises ConfigError naming a missing/bad file."""
    directory = Path(directory)
    meta_path, weights_path = directory / META_FILE, directory / WEIGHTS_FILE
    for path in (meta_path, weights_path):
        if not path.is_file():
            raise ConfigError(f"{path} does not exist: not a saved policy")
    try:
        meta = json.loads(meta_path.read_text())
        env = from_mapping(EnvConfig, meta["env"], "env.")
        network = from_mapping(NetworkConfig, meta["network"], "network.")
        actor = build_actor(network, int(meta["obs_dim"]), int(meta["action_dim"]), seed=0)
        actor.load_weights(weights_path)
    except (OSError, ValueError, KeyError, TypeError) as error:
        raise ConfigError(f"{directory} holds a damaged policy: {error}") from None
    return SavedPolicy(actor, env, network, meta.get("obs_norm", {}))
