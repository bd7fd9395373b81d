"""The checks a run config's values must pass: one key's range, and the rules across keys.

ddpg.config.schema's dataclasses call the range checks (:func:`positive`, :func:`non_negative`,
:func:`choice`, and ddpg.config.structured's ``check``) on their own keys in ``__post_init__``;
:func:`check_across_keys` runs last, once the whole RunConfig is built, for the settings that are
each valid alone but not together. Every failure is one ConfigError line naming the key(s).
"""

from __future__ import annotations

import math
from typing import TYPE_CHECKING

from ddpg.config.structured import ConfigError, check

if TYPE_CHECKING:
    from ddpg.config.schema import RunConfig


def positive(key: str, value: float) -> None:
    check(math.isfinite(value) and value > 0, key, value, "a finite number > 0")


def non_negative(key: str, value: float) -> None:
    check(math.isfinite(value) and value >= 0, key, value, "a finite number >= 0")


def choice(key: str, value: str, options: tuple[str, ...]) -> None:
    check(value in options, key, value, "one of " + ", ".join(options))


def check_across_keys(config: RunConfig) -> None:
    """The rules between groups: an early stop needs a score to stop at, and a budget must
    reach the first update (not checked on a resume, which trains with the saved config that
    was checked when it began)."""
    no_target = config.trainer.target_score is None and config.env.solved_score is None
    if config.trainer.early_stop != "none" and no_target:
        raise ConfigError(
            f"trainer.early_stop={config.trainer.early_stop!r} needs a score to stop at: "
            f"set trainer.target_score ({config.env.id} has no env.solved_score)"
        )
    if config.resume is None:
        _check_budget_reaches_learning(config)


def _check_budget_reaches_learning(config: RunConfig) -> None:
    """Refuse a budget that ends before the first update: it would warm up, never train, and
    still report a final evaluation as if it had. The trainer's first update is at the step
    where the replay holds max(agent.learning_starts, agent.batch_size) transitions."""
    agent, total_steps = config.agent, config.trainer.total_steps
    key, start = "agent.learning_starts", agent.learning_starts
    if agent.batch_size > start:
        key, start = "agent.batch_size", agent.batch_size
    if total_steps <= start:
        raise ConfigError(
            f"trainer.total_steps={total_steps} is invalid: the agent would never train, as "
            f"its first update waits for {key}={start} steps (raise trainer.total_steps above "
            f"{start} or lower {key})"
        )
