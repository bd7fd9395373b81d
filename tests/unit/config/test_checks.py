"""ddpg.config.checks: one key's range checks, and the rules across groups of a whole RunConfig
(their messages through composed configs: tests/unit/config/test_schema.py)."""

from __future__ import annotations

import dataclasses
import math

import pytest

from ddpg.config import checks
from ddpg.config.schema import ConfigError, RunConfig, TrainerConfig


@pytest.mark.parametrize(
    ("call", "message"),
    [
        (
            lambda: checks.positive("agent.tau", 0.0),
            "agent.tau=0.0 is invalid: expected a finite number > 0",
        ),
        (
            lambda: checks.positive("agent.tau", math.inf),
            "agent.tau=inf is invalid: expected a finite number > 0",
        ),
        (
            lambda: checks.non_negative("noise.sigma", -0.1),
            "noise.sigma=-0.1 is invalid: expected a finite number >= 0",
        ),
        (
            lambda: checks.choice("noise.name", "pink", ("ou", "none")),
            "noise.name='pink' is invalid: expected one of ou, none",
        ),
    ],
)
def test_a_value_out_of_range_is_one_line_naming_the_key(call, message) -> None:
    with pytest.raises(ConfigError) as refused:
        call()
    assert str(refused.value) == message


def test_values_in_range_pass() -> None:
    checks.positive("agent.tau", 1e-9)
    checks.non_negative("noise.sigma", 0.0)
    checks.choice("noise.name", "ou", ("ou", "none"))


def test_the_rules_across_groups_run_on_the_whole_config() -> None:
    config = RunConfig()  # valid: 20,000 steps, the first update at 1,000
    config.trainer = dataclasses.replace(config.trainer, total_steps=500)
    with pytest.raises(ConfigError, match=r"^trainer\.total_steps=500 is invalid: .*=1000 steps"):
        checks.check_across_keys(config)
    # A resume trains with its own saved config: its budget was checked when it began.
    config.resume = "outputs/runs/a"
    checks.check_across_keys(config)
    with pytest.raises(ConfigError, match=r"^trainer\.early_stop='eval' needs a score to stop at"):
        RunConfig(trainer=TrainerConfig(early_stop="eval"))  # the default env has no solved score
