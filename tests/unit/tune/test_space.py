"""ddpg.tune.space: the search space as data, its checks, sampling, overrides."""

from __future__ import annotations

from pathlib import Path
from typing import Any

import optuna
import pytest
import yaml

from ddpg.config.schema import ConfigError
from ddpg.tune.space import overrides, parse_space, sample

TAU = {"name": "agent.tau", "type": "float", "low": 0.001, "high": 0.08, "log": True}
NOISE = {"name": "noise", "type": "categorical", "choices": ["ou", "gaussian", "none"]}
SIGMA = {
    "name": "noise.sigma",
    "type": "float",
    "low": 0.0,
    "high": 1.0,
    "when": {"noise": ["ou", "gaussian"]},
}


def space_of(*dimensions: dict[str, Any]) -> Any:
    return parse_space({"name": "test", "dimensions": list(dimensions)})


def test_the_zoo_space_parses_with_its_derived_dimensions(repo: Path) -> None:
    space = parse_space(yaml.safe_load((repo / "conf" / "search" / "ddpg.yaml").read_text()))
    by_name = {d.name: d for d in space.dimensions}
    gamma = by_name["one_minus_gamma"]
    assert (gamma.low, gamma.high, gamma.log) == (1e-4, 0.03, True)
    assert gamma.sets == (("agent.gamma", "one_minus"),)
    lr = by_name["learning_rate"]
    assert (lr.low, lr.high, lr.log) == (1e-5, 2e-3, True)
    assert lr.targets() == ["agent.actor_lr", "agent.critic_lr"]
    assert (by_name["agent.tau"].low, by_name["agent.tau"].high) == (0.001, 0.08)
    assert by_name["noise.sigma"].when == (("noise", ("ou", "gaussian")),)
    assert by_name["network"].choices == ("mlp64", "mlp256", "mlp400_300")
    assert "agent.batch_size" in by_name


@pytest.mark.parametrize(
    ("change", "message"),
    [
        ({"low": 0.1}, "the range [0.1, 0.08] is empty"),
        ({"low": 0.08}, "is empty"),
        ({"low": 0.0}, "a log range needs low > 0"),
        ({"type": "normal"}, "type='normal' is invalid"),
        ({"lo": 1}, "unknown field 'lo'"),
        ({"high": "big"}, "high='big' is invalid"),
        ({"choices": [1, 2]}, "choices belong to type categorical"),
        ({"sets": {"agent.tau": "square"}}, "sets.agent.tau='square' is invalid"),
        ({"name": ""}, "name must be"),
    ],
)
def test_bad_dimensions_are_named(change: dict[str, Any], message: str) -> None:
    with pytest.raises(ConfigError, match="'agent.tau'|dimensions\\[0\\]") as error:
        space_of(TAU | change)
    assert message in str(error.value)


def test_bad_categorical_and_conditional_dimensions() -> None:
    with pytest.raises(ConfigError, match="choices must be a non-empty list"):
        space_of(NOISE | {"choices": []})
    with pytest.raises(ConfigError, match="choices repeat a value"):
        space_of(NOISE | {"choices": ["ou", "ou"]})
    with pytest.raises(ConfigError, match="low belongs to float and int"):
        space_of(NOISE | {"low": 1})
    with pytest.raises(ConfigError, match="when names 'noise', no earlier categorical"):
        space_of(SIGMA, NOISE)  # the condition must come first
    with pytest.raises(ConfigError, match="when noise='pink' is not among its choices"):
        space_of(NOISE, SIGMA | {"when": {"noise": ["pink"]}})
    with pytest.raises(ConfigError, match="the name is used twice"):
        space_of(TAU, TAU)
    with pytest.raises(ConfigError, match="non-empty list of dimensions"):
        parse_space({"name": "x", "dimensions": []})
    with pytest.raises(ConfigError, match="one_minus applies to float"):
        space_of({"name": "n", "type": "int", "low": 1, "high": 3, "sets": {"a": "one_minus"}})
    with pytest.raises(ConfigError, match="low=0.5 is invalid: expected a finite int"):
        space_of({"name": "n", "type": "int", "low": 0.5, "high": 3})


def test_sampling_skips_a_dimension_whose_condition_fails() -> None:
    space = space_of(TAU, NOISE, SIGMA)
    quiet = optuna.trial.FixedTrial({"agent.tau": 0.01, "noise": "none"})
    assert sample(space, quiet) == {"agent.tau": 0.01, "noise": "none"}
    noisy = optuna.trial.FixedTrial({"agent.tau": 0.01, "noise": "ou", "noise.sigma": 0.3})
    assert sample(space, noisy) == {"agent.tau": 0.01, "noise": "ou", "noise.sigma": 0.3}


def test_sampled_values_stay_in_their_ranges() -> None:
    space = space_of(TAU, NOISE, SIGMA, {"name": "k", "type": "int", "low": 1, "high": 4})
    study = optuna.create_study(sampler=optuna.samplers.RandomSampler(seed=0))
    for _ in range(30):
        values = sample(space, study.ask())
        assert 0.001 <= values["agent.tau"] <= 0.08 and values["k"] in (1, 2, 3, 4)
        assert ("noise.sigma" in values) == (values["noise"] != "none")


def test_overrides_apply_transforms_at_full_precision() -> None:
    space = parse_space(
        {
            "dimensions": [
                {"name": "one_minus_gamma", "type": "float", "low": 1e-4, "high": 0.03,
                 "sets": {"agent.gamma": "one_minus"}},
                {"name": "learning_rate", "type": "float", "low": 1e-5, "high": 2e-3,
                 "sets": {"agent.actor_lr": "value", "agent.critic_lr": "value"}},
                {"name": "env.max_episode_steps", "type": "categorical", "choices": [None, 100]},
                {"name": "noise", "type": "categorical", "choices": ["ou", "odd name"]},
            ]
        }
    )  # fmt: skip
    values = {
        "one_minus_gamma": 0.0123456789,
        "learning_rate": 1.23456789e-4,
        "env.max_episode_steps": None,
        "noise": "odd name",
    }
    assert overrides(space, values) == [
        f"agent.gamma={1 - 0.0123456789!r}",
        "agent.actor_lr=0.000123456789",
        "agent.critic_lr=0.000123456789",
        "env.max_episode_steps=null",
        "noise='odd name'",
    ]
