"""What each member of a population records: its counters, scalars and wall time.

Member k logs into its own run directory exactly what a separately trained run logs there (tb/
and scalars.csv through its MetricsWriter), so compare and TensorBoard cannot tell them apart.
Stop rules are the trainer's, episode storage the member envs', persistence (policy,
checkpoints) ddpg.population.member_checkpoint's.
"""

from __future__ import annotations

import time
from typing import Any

import numpy as np

from ddpg.algo.learner import METRIC_KEYS
from ddpg.population.train_state import WINDOW_KEYS, TrainState
from ddpg.storage.metrics import MetricsWriter


class MemberRecords:
    """Per-member training counters and what they log; index k is member k."""

    def __init__(
        self,
        writers: list[MetricsWriter],
        ema_decays: list[float],
        solved_scores: list[float | None],
        started: float | None = None,
    ) -> None:
        """`started`: the perf_counter() reading this segment's wall time counts from;
        `solved_scores[k]` None: member k's env has none, it is never solved."""
        self.writers, self.ema_decays, self.solved_scores = writers, ema_decays, solved_scores
        members = len(writers)
        self.states = [TrainState() for _ in range(members)]
        self.window = np.zeros((members, len(WINDOW_KEYS)))
        self.window_count = np.zeros(members, np.int64)  # updates in each member's window
        started = time.perf_counter() if started is None else started
        self._started = [started] * members  # a member reset later counts from its reset
        self._wall_before = [0.0] * members  # wall time of the segments before this one
        self._wall_end: list[float | None] = [None] * members

    def wall_time(self, k: int) -> float:
        """Seconds member k has trained, summed over segments (resumes included)."""
        if self._wall_end[k] is not None:
            return float(self._wall_end[k])  # type: ignore[arg-type]
        return self._wall_before[k] + time.perf_counter() - self._started[k]

    def stop_clock(self, k: int) -> None:
        """Member k has stopped training: its wall time stays what it is now."""
        self._wall_end[k] = self.wall_time(k)

    def add_metrics(self, learners: np.ndarray, metrics: np.ndarray, reward: np.ndarray) -> None:
        """Add one step's update metrics [K, 3] and mean normalized reward [K, B] to the window."""
        self.window[learners, :-1] += metrics[learners]
        self.window[learners, -1] += reward[learners].sum(axis=1) / reward.shape[1]
        self.window_count[learners] += 1

    def divergence(self, k: int, metrics: np.ndarray, action: np.ndarray) -> str:
        """Why member k diverged: its non-finite update metrics [3] and/or action [A]."""
        bad = [key for key, v in zip(METRIC_KEYS, metrics, strict=True) if not np.isfinite(v)]
        if not np.isfinite(action).all():
            bad.append("the action")
        step = self.states[k].step
        return f"training diverged at env step {step}: {', '.join(bad)} is not finite"

    def reset_member(
        self, k: int, writer: MetricsWriter, ema_decay: float, solved_score: float | None
    ) -> None:
        """Member k starts over at step 0, logging through `writer` from now on."""
        self.writers[k] = writer
        self.ema_decays[k], self.solved_scores[k] = ema_decay, solved_score
        self.states[k] = TrainState()
        self.window[k] = 0.0
        self.window_count[k] = 0
        self._started[k] = time.perf_counter()
        self._wall_before[k], self._wall_end[k] = 0.0, None

    def log_window(self, members: np.ndarray, steps_per_sec: float) -> None:
        """Log the listed members' window means at each one's own step; empty the windows."""
        for k in members:
            step = self.states[k].step
            values = {"perf/steps_per_sec": steps_per_sec}
            if self.window_count[k]:
                means = (self.window[k] / self.window_count[k]).tolist()
                values.update(zip(WINDOW_KEYS, means, strict=True))
            self.writers[k].scalars(values, step)
            self.window[k] = 0.0
            self.window_count[k] = 0
            self.states[k].window_step = step

    def end_episode(self, k: int, info: dict[str, Any], noise_scale: float) -> None:
        """Count member k's ended episode, update its return EMA and log the episode."""
        s, decay = self.states[k], self.ema_decays[k]
        s.episode += 1
        episode_return = float(info["episode"]["r"])
        s.return_ema = (
            episode_return
            if s.return_ema is None
            else decay * s.return_ema + (1 - decay) * episode_return
        )
        self.writers[k].scalars(
            {
                "train/episode_return": episode_return,
                "train/episode_return_ema": s.return_ema,
                "train/episode_length": float(info["episode"]["l"]),
                "noise/scale": float(noise_scale),
            },
            s.step,
        )
        self.writers[k].flush()

    def eval_result(self, k: int, returns: np.ndarray) -> None:
        """Record member k's evaluation: last and best mean, when it first solved, the log."""
        s = self.states[k]
        mean, std = float(returns.mean()), float(returns.std())
        s.last_eval_step, s.final_eval_return, s.final_eval_std = s.step, mean, std
        if s.best_eval_return is None or mean > s.best_eval_return:
            s.best_eval_return = mean
        solved_score = self.solved_scores[k]
        if s.steps_to_solve is None and solved_score is not None and mean >= solved_score:
            s.steps_to_solve = s.step
        self.writers[k].scalars({"eval/return_mean": mean, "eval/return_std": std}, s.step)

    def sync_state(self, k: int) -> TrainState:
        """Member k's TrainState with its window and wall time, every logged row on disk: what a
        checkpoint at this step keeps."""
        s = self.states[k]
        s.last_checkpoint_step, s.window_sum = s.step, self.window[k].tolist()
        s.window_count = int(self.window_count[k])
        s.wall_time_s = self.wall_time(k)
        self.writers[k].flush()  # every row up to this step is on disk before it
        return s

    def resume(self, k: int, state: TrainState) -> None:
        """Continue member k from a checkpoint's TrainState."""
        self.states[k] = state
        self.window[k] = state.window_sum
        self.window_count[k] = state.window_count
        self._wall_before[k] = state.wall_time_s

    def flush(self) -> None:
        for writer in self.writers:
            writer.flush()
