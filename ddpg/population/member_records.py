"""What each member of a population records: scalars, episodes, evaluations, policy, checkpoints.

Member k writes into its own run directory exactly what a separately trained run writes there
(tb/, scalars.csv, policy/, checkpoints/), so compare, TensorBoard and evaluate cannot tell
them apart. A checkpoint is per member too (ddpg.population.member_checkpoint): a member resumes
alone or among others alike.
"""

from __future__ import annotations

import math
import time
from pathlib import Path
from typing import Any

import numpy as np

from ddpg.algo.learner import METRIC_KEYS
from ddpg.algo.member_layers import member_weights
from ddpg.algo.networks import build_actor
from ddpg.config.schema import RunConfig
from ddpg.envs.rollout import EpisodeTape, Transition
from ddpg.evaluation.policy import save_policy
from ddpg.population.build import Components
from ddpg.population.member_checkpoint import (
    capture_member,
    learner_arrays,
    learner_member_states,
    load_learner_member_states,
    restore_member,
)
from ddpg.population.train_state import WINDOW_KEYS, TrainState
from ddpg.storage.checkpoint import save_checkpoint
from ddpg.storage.metrics import MetricsWriter

EVAL_SEED_OFFSET = 1_000_003  # eval env seed = run seed + this; episodes then continue its RNG


class MemberRecords:
    """Per-member training state and everything it writes; index k is member k."""

    def __init__(
        self,
        configs: list[RunConfig],
        run_dirs: list[Path],
        writers: list[MetricsWriter],
        started: float | None = None,
    ) -> None:
        """`started`: the perf_counter() reading this segment's wall time counts from."""
        self.configs, self.run_dirs, self.writers = configs, [Path(d) for d in run_dirs], writers
        self.states = [TrainState() for _ in configs]
        self.window = np.zeros((len(configs), len(WINDOW_KEYS)))
        self.window_count = np.zeros(len(configs), np.int64)  # updates in each member's window
        self.targets = []
        for config in configs:
            target = config.trainer.target_score
            target = config.env.solved_score if target is None else target
            # RunConfig refuses early stopping without a score; inf only keeps the type a float.
            self.targets.append(math.inf if target is None else target)
        self._started = time.perf_counter() if started is None else started
        self._wall_before = [0.0] * len(configs)  # wall time of the segments before this one
        self._wall_end: list[float | None] = [None] * len(configs)

    def wall_time(self, k: int) -> float:
        """Seconds member k has trained, summed over segments (resumes included)."""
        if self._wall_end[k] is not None:
            return float(self._wall_end[k])  # type: ignore[arg-type]
        return self._wall_before[k] + time.perf_counter() - self._started

    def stop_clock(self, k: int) -> None:
        """Member k has stopped training: its wall time stays what it is now."""
        self._wall_end[k] = self.wall_time(k)

    def add_metrics(self, learners: np.ndarray, metrics: np.ndarray, reward: np.ndarray) -> None:
        """Add one step's update metrics [K, 3] and mean normalized reward [K, B] to the window."""
        if len(learners) == len(self.configs):  # everyone: slices, not fancy indexing
            self.window[:, :-1] += metrics
            self.window[:, -1] += reward.sum(axis=1) / reward.shape[1]
            self.window_count += 1
            return
        self.window[learners, :-1] += metrics[learners]
        self.window[learners, -1] += reward[learners].sum(axis=1) / reward.shape[1]
        self.window_count[learners] += 1

    def divergence(self, k: int, metrics: np.ndarray) -> str:
        bad = [key for key, v in zip(METRIC_KEYS, metrics, strict=True) if not np.isfinite(v)]
        step = self.states[k].step
        return f"training diverged at env step {step}: {', '.join(bad)} is not finite"

    def log_window(self, members: np.ndarray, step: int, steps_per_sec: float) -> None:
        for k in members:
            values = {"perf/steps_per_sec": steps_per_sec}
            if self.window_count[k]:
                means = (self.window[k] / self.window_count[k]).tolist()
                values.update(zip(WINDOW_KEYS, means, strict=True))
            self.writers[k].scalars(values, step)
            self.window[k] = 0.0
            self.window_count[k] = 0
            self.states[k].window_step = step

    def end_episode(self, k: int, info: dict[str, Any], noise_scale: float) -> None:
        s, config = self.states[k], self.configs[k]
        decay = config.trainer.ema_decay
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
        if config.trainer.early_stop == "ema" and s.return_ema > self.targets[k]:
            s.stopped_early = True

    def store_episode(self, c: Components, k: int, episode: list[Transition]) -> None:
        """Normalize a held-back episode's rewards and store it in member k's replay rows."""
        columns = (np.array(column) for column in zip(*episode, strict=True))
        obs, action, reward, next_obs, terminated = columns
        reward = c.reward_normalizer.normalize_episode(k, reward.astype(np.float64))
        c.replay_buffer.add_episode(k, obs, action, reward, next_obs, terminated)

    def seed_eval_env(self, c: Components, k: int) -> None:
        """Seed member k's eval env once; later evaluations continue its RNG."""
        s = self.states[k]
        if not s.eval_seeded:
            c.eval_envs[k].reset(seed=self.configs[k].seed + EVAL_SEED_OFFSET)
            s.eval_seeded = True

    def eval_result(self, k: int, returns: np.ndarray) -> None:
        s, config = self.states[k], self.configs[k]
        mean, std = float(returns.mean()), float(returns.std())
        s.last_eval_step, s.final_eval_return, s.final_eval_std = s.step, mean, std
        if s.best_eval_return is None or mean > s.best_eval_return:
            s.best_eval_return = mean
        solved_score = config.env.solved_score  # None: this env has none, never solved
        if s.steps_to_solve is None and solved_score is not None and mean >= solved_score:
            s.steps_to_solve = s.step
        self.writers[k].scalars({"eval/return_mean": mean, "eval/return_std": std}, s.step)
        if config.trainer.early_stop == "eval" and mean >= self.targets[k]:
            s.stopped_early = True

    def save_policy(self, c: Components, k: int) -> None:
        """Member k's actor as a plain Keras actor, as a separately trained run saves it."""
        learner, config = c.agent.learner, self.configs[k]
        actor = build_actor(config.network, learner.obs_dim, learner.action_dim, seed=0)
        actor.set_weights(member_weights(learner.actor, k))
        stats = c.agent.obs_normalizer.member_state(k)
        save_policy(self.run_dirs[k] / "policy", actor, config, c.envs[k], stats)

    def checkpoint(
        self, c: Components, members: list[int], tapes: list[EpisodeTape | None]
    ) -> None:
        """Checkpoint the listed members at their current step, each into its own run dir."""
        if not members:
            return
        learner_states = learner_member_states(c.agent.learner)
        for k in members:
            s = self.states[k]
            s.last_checkpoint_step, s.window_sum = s.step, self.window[k].tolist()
            s.window_count = int(self.window_count[k])
            s.wall_time_s = self.wall_time(k)
            self.writers[k].flush()  # every row up to this step is on disk before it
            arrays, state = capture_member(c, k, learner_states[k], tapes[k], s, self.configs[k])
            keep = self.configs[k].trainer.keep_checkpoints
            save_checkpoint(self.run_dirs[k] / "checkpoints", s.step, arrays, state, keep)

    def restore(
        self,
        c: Components,
        member_arrays: dict[int, dict[str, np.ndarray]],
        member_states: dict[int, dict[str, Any]],
    ) -> dict[int, EpisodeTape | None]:
        """Put checkpoints back (member -> arrays / state.json); returns the episode tapes."""
        load_learner_member_states(
            c.agent.learner, {k: learner_arrays(arrays) for k, arrays in member_arrays.items()}
        )
        tapes = {}
        for k, arrays in member_arrays.items():
            self.states[k], tapes[k] = restore_member(c, k, arrays, member_states[k])
            self.window[k] = self.states[k].window_sum
            self.window_count[k] = self.states[k].window_count
            self._wall_before[k] = self.states[k].wall_time_s
        return tapes

    def flush(self) -> None:
        for writer in self.writers:
            writer.flush()
