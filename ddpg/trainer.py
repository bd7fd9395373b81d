"""The environment loop: warm-up, act, store, update, evaluate, log, checkpoint, stop.

Each iteration first learns from what is stored and acts on the current observation in one
compiled call, then steps the env. Episodes end with a checkpoint when one is due, taken before
the env is reset: a resumed run replays that reset from the saved RNG state, so it continues
bit for bit without snapshotting the env itself.
"""

from __future__ import annotations

import dataclasses
import math
import signal
import threading
import time
from pathlib import Path
from typing import Any

import gymnasium as gym
import numpy as np
from tqdm import tqdm

from ddpg.build import Components
from ddpg.checkpoint import capture, restore_components, save_checkpoint
from ddpg.config import RunConfig
from ddpg.learner import METRIC_KEYS
from ddpg.metrics import MetricsWriter
from ddpg.policy import save_policy
from ddpg.train_state import WINDOW_KEYS, DivergedError, InterruptedRun, TrainState


def evaluate_policy(env: gym.Env, policy: Any, episodes: int) -> np.ndarray:
    """Returns of `episodes` full episodes acting with `policy(obs) -> action`, no noise."""
    returns = np.zeros(episodes)
    for i in range(episodes):
        obs, _ = env.reset()
        done, total = False, 0.0
        while not done:
            obs, reward, terminated, truncated, _ = env.step(policy(obs))
            total += float(reward)
            done = terminated or truncated
        returns[i] = total
    return returns


class Trainer:
    """Runs DDPG in `components` under `config`, writing scalars and the policy into `run_dir`."""

    def __init__(
        self,
        config: RunConfig,
        components: Components,
        run_dir: Path,
        writer: MetricsWriter,
        started: float | None = None,
    ) -> None:
        """`started`: the perf_counter() reading this segment's wall time counts from."""
        self.config = config
        self.c = components
        self.run_dir = Path(run_dir)
        self.writer = writer
        self.state = TrainState()
        target = config.trainer.target_score
        if target is None:
            target = config.env.solved_score
        # RunConfig refuses early stopping without a score; inf only keeps the type a float.
        self.target_score = math.inf if target is None else target
        self._signal: int | None = None
        self._started = time.perf_counter() if started is None else started
        self._wall_before = 0.0  # wall time of the segments before this one
        self.loop_seconds = 0.0  # the last train() call's env loop alone (no closing work)

    def wall_time(self) -> float:
        """Seconds of training so far, summed over segments (resumes included)."""
        return self._wall_before + time.perf_counter() - self._started

    def evaluate(self) -> float:
        """Deterministic evaluation on the separate eval env; logs and returns the mean."""
        s = self.state
        if not s.eval_seeded:  # seed once; later episodes continue the env's RNG
            self.c.eval_env.reset(seed=self.config.seed + 1_000_003)
            s.eval_seeded = True
        policy = lambda obs: self.c.agent.policy_action(obs, explore=False)  # noqa: E731
        returns = evaluate_policy(self.c.eval_env, policy, self.config.trainer.eval_episodes)
        mean, std = float(returns.mean()), float(returns.std())
        s.last_eval_step, s.final_eval_return, s.final_eval_std = s.step, mean, std
        if s.best_eval_return is None or mean > s.best_eval_return:
            s.best_eval_return = mean
        solved_score = self.config.env.solved_score  # None: this env has none, never solved
        if s.steps_to_solve is None and solved_score is not None and mean >= solved_score:
            s.steps_to_solve = s.step
        self.writer.scalars({"eval/return_mean": mean, "eval/return_std": std}, s.step)
        if self.config.trainer.early_stop == "eval" and mean >= self.target_score:
            s.stopped_early = True
        return mean

    def train(self) -> TrainState:
        """Run until the step budget, the episode cap or the early-stop target is reached."""
        cfg, c, s = self.config, self.c, self.state
        agent, buffer, normalizer = c.agent, c.replay_buffer, c.reward_normalizer
        obs_normalizer = agent.obs_normalizer
        batch_size, n_updates = cfg.agent.batch_size, cfg.agent.updates_per_step
        learning_starts = max(cfg.agent.learning_starts, batch_size)
        window = np.array(s.window_sum)
        episode: list[tuple[np.ndarray, np.ndarray, float, np.ndarray, bool]] = []
        obs: np.ndarray | None = None
        clock, clock_step = time.perf_counter(), s.step
        bar = tqdm(
            total=cfg.trainer.total_steps,
            initial=s.step,
            unit="step",  # tqdm's rate is then env steps/s
            disable=not cfg.trainer.progress,
        )
        previous_handlers = self._catch_signals()
        loop_start = time.perf_counter()
        try:
            while s.step < cfg.trainer.total_steps:
                if obs is None:  # episode start
                    obs, _ = c.env.reset(seed=cfg.seed if s.step == 0 else None)
                    obs_normalizer.update(obs)
                    agent.noise.reset()
                agent.noise.set_progress(s.step)
                if len(buffer) >= learning_starts:
                    batches = [buffer.sample(batch_size, c.rng) for _ in range(n_updates)]
                    batches = [
                        b._replace(reward=normalizer.normalize_batch(b.reward)) for b in batches
                    ]
                    policy_action, metrics = agent.update_and_act(batches, obs)
                    if not np.all(np.isfinite(metrics)):
                        bad = [
                            k
                            for k, v in zip(METRIC_KEYS, metrics, strict=True)
                            if not np.isfinite(v)
                        ]
                        raise DivergedError(s.step, ", ".join(bad))
                    window[:-1] += metrics
                    window[-1] += batches[0].reward.mean()
                    s.window_count += 1
                    action = agent.explore(policy_action)
                elif cfg.agent.random_warmup:
                    action = agent.random_action()
                else:
                    action = agent.explore(agent.policy_action(obs, explore=True))
                next_obs, reward, terminated, truncated, info = c.env.step(action)
                s.step += 1
                obs_normalizer.update(next_obs)
                normalizer.observe(float(reward), terminated)
                if normalizer.per_episode:
                    episode.append((obs, action, float(reward), next_obs, terminated))
                else:
                    buffer.add(obs, action, float(reward), next_obs, terminated)
                obs = next_obs
                if s.step % cfg.trainer.log_every == 0:
                    now = time.perf_counter()
                    self._log_window(window, (s.step - clock_step) / (now - clock))
                    clock, clock_step = now, s.step
                    bar.update(s.step - bar.n)
                if s.step % cfg.trainer.eval_every == 0:
                    self.evaluate()
                    bar.set_postfix(self._progress_values(), refresh=False)
                if terminated or truncated:
                    self._store_episode(episode)
                    episode, obs = [], None
                    self._end_episode(info)
                    bar.set_postfix(self._progress_values(), refresh=False)
                    self._maybe_checkpoint(window)
                if s.stopped_early or (cfg.trainer.max_episodes or np.inf) <= s.episode:
                    break
            self.loop_seconds = time.perf_counter() - loop_start
            final_eval_due = s.last_eval_step != s.step
            if final_eval_due:
                self.evaluate()
            save_policy(self.run_dir / "policy", agent.learner.actor, cfg, c.env, obs_normalizer)
            # At an episode boundary a final checkpoint can be resumed exactly; skip it when the
            # episode end just wrote this very state.
            if obs is None and (final_eval_due or s.last_checkpoint_step != s.step):
                self._checkpoint(window)
        finally:
            self._restore_signals(previous_handlers)
            bar.update(s.step - bar.n)  # the bar ends where training did
            bar.close()
            self.writer.flush()
        return s

    def _progress_values(self) -> dict[str, str]:
        """The progress bar's postfix: the last eval mean and the EMA of training returns."""
        s = self.state
        shown = {"eval": s.final_eval_return, "return_ema": s.return_ema}
        return {key: "-" if v is None else f"{v:.1f}" for key, v in shown.items()}

    def _maybe_checkpoint(self, window: np.ndarray) -> None:
        every, s = self.config.trainer.checkpoint_every, self.state
        if self._signal is not None:
            self._checkpoint(window)
            raise InterruptedRun(self._signal)
        if every and s.step - s.last_checkpoint_step >= every:
            self._checkpoint(window)

    def _checkpoint(self, window: np.ndarray) -> None:
        s = self.state
        s.last_checkpoint_step, s.window_sum = s.step, window.tolist()
        s.wall_time_s = self.wall_time()
        self.writer.flush()  # every row up to this step is on disk before the checkpoint
        arrays, state = capture(self.c)
        state.update(train=dataclasses.asdict(s), config=dataclasses.asdict(self.config))
        keep = self.config.trainer.keep_checkpoints
        save_checkpoint(self.run_dir / "checkpoints", s.step, arrays, state, keep)

    def restore(self, arrays: dict[str, np.ndarray], state: dict[str, Any]) -> None:
        """Continue from a checkpoint taken by `_checkpoint` (components freshly built)."""
        restore_components(self.c, arrays, state)
        self.state = TrainState(**state["train"])
        self._wall_before = self.state.wall_time_s

    def _catch_signals(self) -> dict[int, Any]:
        """SIGINT/SIGTERM finish the episode, checkpoint and stop; a second one stops at once."""
        if threading.current_thread() is not threading.main_thread():
            return {}

        def handler(signum: int, frame: Any) -> None:
            if self._signal is not None:
                raise KeyboardInterrupt
            self._signal = signum

        return {sig: signal.signal(sig, handler) for sig in (signal.SIGINT, signal.SIGTERM)}

    @staticmethod
    def _restore_signals(previous: dict[int, Any]) -> None:
        for sig, handler in previous.items():
            signal.signal(sig, handler)

    def _store_episode(self, episode: list[tuple[Any, ...]]) -> None:
        if not episode:
            return
        rewards = self.c.reward_normalizer.normalize_episode(np.array([t[2] for t in episode]))
        for (obs, action, _, next_obs, terminated), reward in zip(episode, rewards, strict=True):
            self.c.replay_buffer.add(obs, action, float(reward), next_obs, terminated)

    def _end_episode(self, info: dict[str, Any]) -> float:
        s, decay = self.state, self.config.trainer.ema_decay
        s.episode += 1
        episode_return = float(info["episode"]["r"])
        s.return_ema = (
            episode_return
            if s.return_ema is None
            else decay * s.return_ema + (1 - decay) * episode_return
        )
        self.writer.scalars(
            {
                "train/episode_return": episode_return,
                "train/episode_return_ema": s.return_ema,
                "train/episode_length": float(info["episode"]["l"]),
                "noise/scale": self.c.agent.noise.scale,
            },
            s.step,
        )
        self.writer.flush()
        if self.config.trainer.early_stop == "ema" and s.return_ema > self.target_score:
            s.stopped_early = True
        return episode_return

    def _log_window(self, window: np.ndarray, steps_per_sec: float) -> None:
        s = self.state
        values = {"perf/steps_per_sec": steps_per_sec}
        if s.window_count:
            values.update(zip(WINDOW_KEYS, (window / s.window_count).tolist(), strict=True))
        self.writer.scalars(values, s.step)
        window[:] = 0.0
        s.window_count, s.window_step = 0, s.step
