"""What the tune tests hand a study: the base config, `build` (a trial's config from its
overrides) and population-based training's search space."""

from __future__ import annotations

from typing import Any

import yaml

from ddpg.config.schema import AgentConfig, EnvConfig, RunConfig, TrainerConfig
from ddpg.config.structured import from_mapping
from ddpg.launch.job import params_of
from ddpg.tune.space import parse_space

BASE = RunConfig(
    env=EnvConfig(id="Pendulum-v1", solved_score=-200.0),
    agent=AgentConfig(learning_starts=100),
    trainer=TrainerConfig(total_steps=1000, eval_every=250, eval_episodes=1),
)

#: A log-scaled float, a categorical, and a float searched only under some of its choices.
PBT_SPACE = parse_space(
    {
        "name": "test",
        "dimensions": [
            {"name": "agent.tau", "type": "float", "low": 0.001, "high": 0.08, "log": True},
            {"name": "noise", "type": "categorical", "choices": ["ou", "gaussian", "none"]},
            {
                "name": "noise.sigma",
                "type": "float",
                "low": 0.0,
                "high": 1.0,
                "when": {"noise": ["ou", "gaussian"]},
            },
        ],
    }
)


def build(trial_overrides: list[str]) -> tuple[RunConfig, dict[str, Any]]:
    """BASE with `key=value` overrides, as ddpg.tune composes one with Hydra (a noise option
    sets noise.name)."""
    return compose(BASE, trial_overrides)


def compose(base: RunConfig, trial_overrides: list[str]) -> tuple[RunConfig, dict[str, Any]]:
    """`base` with `key=value` overrides (`build` for another base config)."""
    params = params_of(base)
    for item in trial_overrides:
        key, _, value = item.partition("=")
        params["noise.name" if key == "noise" else key] = yaml.safe_load(value)
    nested: dict[str, Any] = {}
    for key, value in params.items():
        *parents, last = key.split(".")
        node = nested
        for part in parents:
            node = node.setdefault(part, {})
        node[last] = value
    return from_mapping(RunConfig, nested), nested
