"""The checks a run config's values must pass: one key's range, and the rules across keys.

ddpg.config.schema's dataclasses call the range checks (:func:`positive`, :func:`non_negative`,
:func:`choice`, and ddpg.config.structured's ``check``) on their own keys in ``__post_init__``;
RunConfig's runs the rules across groups last (:func:`check_early_stop_target`,
:func:`check_budget_reaches_learning`), for settings that are each valid alone but not together.
Every failure is one ConfigError line naming the key(s).
"""

from __future__ import annotations

import math

from ddpg.config.structured import ConfigError, check


def positive(key: str, value: float) -> None:
    check(math.isfinite(value) and value > 0, key, value, "a finite number > 0")


def non_negative(key: str, value: float) -> None:
    check(math.isfinite(value) and value >= 0, key, value, "a finite number >= 0")


def choice(key: str, value: str, options: tuple[str, ...]) -> None:
    check(value in options, key, value, "one of " + ", ".join(options))


def check_early_stop_target(
    early_stop: str, target_score: float | None, solved_score: float | None, env_id: str
) -> None:
    """An early stop (trainer.early_stop) needs a score to stop at: trainer.target_score, or
    the env's solved score."""
    if early_stop != "none" and target_score is None and solved_score is None:
        raise ConfigError(
            f"trainer.early_stop={early_stop!r} needs a score to stop at: "
            f"set trainer.target_score ({env_id} has no env.solved_score)"
        )


def check_budget_reaches_learning(total_steps: int, learning_starts: int, batch_size: int) -> None:
    """Refuse a budget that ends before the first update: it would warm up, never train, and
    still report a final evaluation as if it had. The trainer's first update is at the step
    where the replay holds max(agent.learning_starts, agent.batch_size) transitions."""
    key, start = "agent.learning_starts", learning_starts
    if batch_size > start:
        key, start = "agent.batch_size", batch_size
    if total_steps <= start:
        raise ConfigError(
            f"trainer.total_steps={total_steps} is invalid: the agent would never train, as "
            f"its first update waits for {key}={start} steps (raise trainer.total_steps above "
            f"{start} or lower {key})"
        )
