"""ddpg.launch.job: a population is refused, before anything is written, when its configs differ
in a key that members must share."""

from __future__ import annotations

import dataclasses

import pytest

from ddpg.config.schema import ConfigError, NetworkConfig, RunConfig, TrainerConfig
from ddpg.launch.job import train_population


@pytest.mark.parametrize(
    ("change", "key"),
    [
        ({"network": NetworkConfig(name="wide", actor_hidden=[128, 128])}, "network.actor_hidden"),
        ({"trainer": TrainerConfig(total_steps=1999)}, "trainer.total_steps"),
    ],
)
def test_configs_that_differ_in_a_shared_key_are_refused_naming_it(tmp_path, change, key):
    first = RunConfig(seed=0)
    other = dataclasses.replace(first, seed=1, **change)
    dirs = [tmp_path / "a", tmp_path / "b"]
    with pytest.raises(ConfigError, match=key.replace(".", r"\.")) as error:
        train_population([first, other], dirs)
    assert "\n" not in str(error.value)
    assert list(tmp_path.iterdir()) == []  # nothing written


def test_configs_that_differ_only_in_member_keys_are_accepted_by_the_check() -> None:
    from ddpg.launch.job import params_of
    from ddpg.population.keys import mismatched_keys

    first = RunConfig(seed=0)
    other = dataclasses.replace(first, seed=3, agent=dataclasses.replace(first.agent, tau=0.02))
    assert mismatched_keys([params_of(first), params_of(other)]) == []
