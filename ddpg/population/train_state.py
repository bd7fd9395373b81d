"""How a training run stands and how it ended: loop counters, stop reasons, the summary record.

`TrainState` is what a checkpoint restores besides the components; `summary_of` turns it into
the summary.json record that compare, the console and sweeps read.
"""

from __future__ import annotations

import signal
from dataclasses import dataclass, field

from ddpg.algo.learner import METRIC_KEYS
from ddpg.config.schema import RunConfig

#: Per-update values the trainer averages over each logging window.
WINDOW_KEYS = (*METRIC_KEYS, "reward/normalized_mean")


class InterruptedRun(Exception):
    """SIGINT or SIGTERM arrived; every running member was checkpointed at the current step."""

    def __init__(self, signum: int) -> None:
        super().__init__(f"stopped by {signal.Signals(signum).name}; resume to continue")
        self.signum = signum


@dataclass
class TrainState:
    """Counters and statistics of the loop; checkpoints restore them."""

    status: str = "running"  # or how the member ended: completed, stopped_early, diverged
    step: int = 0
    episode: int = 0
    return_ema: float | None = None
    best_eval_return: float | None = None
    final_eval_return: float | None = None
    final_eval_std: float | None = None
    last_eval_step: int = -1
    last_checkpoint_step: int = 0
    steps_to_solve: int | None = None
    stopped_early: bool = False
    eval_seeded: bool = False
    window_step: int = 0
    window_count: int = 0
    window_sum: list[float] = field(default_factory=lambda: [0.0] * len(WINDOW_KEYS))
    wall_time_s: float = 0.0  # of every segment up to the last checkpoint (resumes add theirs)
    divergences: int = 0  # updates that went non-finite (PBT revives a diverged member)


def summary_of(state: TrainState, config: RunConfig, wall_time: float, status: str) -> dict:
    """The summary.json record of a run."""
    return {
        "status": status,
        "env_id": config.env.id,
        "seed": config.seed,
        "env_steps": state.step,
        "episodes": state.episode,
        "final_eval_return": state.final_eval_return,
        "final_eval_std": state.final_eval_std,
        "best_eval_return": state.best_eval_return,
        "solved_score": config.env.solved_score,
        "steps_to_solve": state.steps_to_solve,
        "divergences": state.divergences,
        "wall_time_s": wall_time,
        "steps_per_sec": state.step / wall_time if wall_time > 0 else 0.0,
        "error": None,
    }
