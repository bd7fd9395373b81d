"""ddpg.config.checks: one key's range checks, and the rules across groups of a whole RunConfig
(their messages through composed configs: tests/unit/config/test_schema.py)."""

from __future__ import annotations

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


def test_a_budget_must_reach_the_first_update() -> None:
    with pytest.raises(ConfigError) as refused:
        checks.check_budget_reaches_learning(500, learning_starts=1000, batch_size=128)
    assert str(refused.value) == (
        "trainer.total_steps=500 is invalid: the agent would never train, as its first update "
        "waits for agent.learning_starts=1000 steps (raise trainer.total_steps above 1000 or "
        "lower agent.learning_starts)"
    )
    with pytest.raises(ConfigError, match=r"waits for agent\.batch_size=128 steps"):
        checks.check_budget_reaches_learning(128, learning_starts=0, batch_size=128)
    checks.check_budget_reaches_learning(129, learning_starts=0, batch_size=128)


def test_an_early_stop_needs_a_score_to_stop_at() -> None:
    with pytest.raises(ConfigError) as refused:
        checks.check_early_stop_target("eval", None, None, "Walker2d-v5")
    assert str(refused.value) == (
        "trainer.early_stop='eval' needs a score to stop at: set trainer.target_score "
        "(Walker2d-v5 has no env.solved_score)"
    )
    checks.check_early_stop_target("eval", 1.0, None, "Walker2d-v5")
    checks.check_early_stop_target("ema", None, -200.0, "Pendulum-v1")
    checks.check_early_stop_target("none", None, None, "Walker2d-v5")


def test_run_config_applies_the_rules_across_groups_but_not_the_budget_on_a_resume() -> None:
    with pytest.raises(ConfigError, match=r"^trainer\.total_steps=500 is invalid"):
        RunConfig(trainer=TrainerConfig(total_steps=500))
    assert RunConfig(trainer=TrainerConfig(total_steps=500), resume="runs/a").resume == "runs/a"
    with pytest.raises(ConfigError, match=r"^trainer\.early_stop='eval' needs a score"):
        RunConfig(trainer=TrainerConfig(early_stop="eval"))  # the default env has no solved score
