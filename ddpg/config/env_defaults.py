"""What an env config derives from its gymnasium id: run name, solved score, per-id settings.

`conf/env/` is composed through two OmegaConf resolvers, registered when this module is
imported (ddpg.config.schema imports it, so they exist before Hydra composes anything):

- `${from_id:}`: what the enclosing env's id derives for this key: `name` is the id in snake
  case ("HalfCheetah-v5" -> "half_cheetah_v5"), `solved_score` the spec's `reward_threshold`
  (null where the spec has none: then no evaluation is ever called solved), `random_score` and
  `reference_score` ddpg.config.env_scores' table (null for an id it lacks), any other key
  EnvConfig's generic default.
- `${for_id:ID,VALUE}`: VALUE while the enclosing env's id is ID; with any other id, what
  `${from_id:}` gives.

An option states its own settings with `for_id` (Pendulum's -200 criterion, its 20k budget), so
they stay with their env: `env.id=Hopper-v5` on the command line gets Hopper's own values, never
Pendulum's. Any key set on the command line still wins, since it replaces the interpolation.
"""

from __future__ import annotations

import dataclasses
from typing import Any

from omegaconf import OmegaConf

from ddpg.config.env_scores import random_score, reference_score
from ddpg.config.schema import EnvConfig, env_name

__all__ = ["derived", "env_name", "for_id", "from_id", "spec_threshold"]


def spec_threshold(env_id: str) -> float | None:
    """The registered spec's `reward_threshold` (None if it has none or the id is unknown).

    An unknown id is not an error here: make_env reports it with the key's name when the run
    builds its env.
    """
    import gymnasium as gym  # here, not at import: composing a config should not need it

    try:
        threshold = gym.spec(env_id).reward_threshold
    except gym.error.Error:
        return None
    return None if threshold is None else float(threshold)


def derived(key: str, env_id: str) -> Any:
    """The value env key `key` takes for `env_id` when nothing states it for that id."""

    if key == "name":
        return env_name(env_id)
    if key == "solved_score":
        return spec_threshold(env_id)
    if key == "random_score":
        return random_score(env_id)
    if key == "reference_score":
        return reference_score(env_id)
    fields = {f.name: f for f in dataclasses.fields(EnvConfig)}
    if key not in fields or key == "id":
        raise ValueError(f"for_id guards a whole env key (one of {', '.join(fields)}), not {key!r}")
    field = fields[key]
    if field.default_factory is not dataclasses.MISSING:
        return field.default_factory()
    return field.default


def from_id(*, _parent_: Any, _node_: Any) -> Any:
    """`${from_id:}`: what the enclosing env's id derives for this key (None while the id is
    missing, so that the run stops on `env.id is required`, not inside Hydra)."""
    if OmegaConf.is_missing(_parent_, "id"):
        return None
    return derived(str(_node_._key()), str(_parent_.id))


def for_id(option_id: str, value: Any, *, _parent_: Any, _node_: Any) -> Any:
    """`${for_id:ID,VALUE}`: VALUE while the enclosing env's id is ID, else `${from_id:}`."""
    if not OmegaConf.is_missing(_parent_, "id") and _parent_.id == option_id:
        return value
    return from_id(_parent_=_parent_, _node_=_node_)


OmegaConf.register_new_resolver("from_id", from_id, replace=True)
OmegaConf.register_new_resolver("for_id", for_id, replace=True)
