"""When a member stops before its budget: `trainer.early_stop` (`ema` of training returns or
`eval` mean passing the target score) and `trainer.max_episodes`.

Rules change their verdict only at an episode's end or an evaluation; the trainer calls
`after_episode` and `after_eval` there and asks `rule_met`.
"""

from __future__ import annotations

import math

from ddpg.config.schema import RunConfig
from ddpg.population.train_state import TrainState


def target_score(config: RunConfig) -> float:
    """The early-stop score: trainer.target_score, else the env's solved score."""
    target = config.trainer.target_score
    target = config.env.solved_score if target is None else target
    # RunConfig refuses early stopping without a score; inf only keeps the type a float.
    return math.inf if target is None else target


def after_episode(state: TrainState, config: RunConfig) -> None:
    """Stop rule `ema`: the return EMA passed the target at an episode's end."""
    ema = state.return_ema
    if config.trainer.early_stop == "ema" and ema is not None and ema > target_score(config):
        state.stopped_early = True


def after_eval(state: TrainState, config: RunConfig) -> None:
    """Stop rule `eval`: the evaluation just recorded reached the target."""
    mean = state.final_eval_return
    if config.trainer.early_stop == "eval" and mean is not None and mean >= target_score(config):
        state.stopped_early = True


def rule_met(state: TrainState, config: RunConfig) -> bool:
    """Whether the member stops now: stopped early, or at its episode cap."""
    cap = config.trainer.max_episodes
    return state.stopped_early or (cap is not None and state.episode >= cap)
