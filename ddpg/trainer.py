"""The environment loop: warm-up, act, store, update, evaluate, log, stop."""

from __future__ import annotations

import math
import time
from dataclasses import asdict, dataclass, field
from pathlib import Path
from typing import Any

import gymnasium as gym
import numpy as np
from tqdm import tqdm

from ddpg.build import Components
from ddpg.config import RunConfig
from ddpg.learner import METRIC_KEYS
from ddpg.metrics import MetricsWriter
from ddpg.policy import save_policy


class DivergedError(RuntimeError):
    """A loss, Q value or weight became NaN or inf."""

    def __init__(self, step: int, what: str) -> None:
        super().__init__(f"training diverged at env step {step}: {what} is not finite")
        self.step = step


@dataclass
class TrainState:
    """Counters and statistics of the loop that a checkpoint must restore."""

    step: int = 0
    episode: int = 0
    return_ema: float | None = None
    best_eval_return: float | None = None
    final_eval_return: float | None = None
    final_eval_std: float | None = None
    last_eval_step: int = -1
    steps_to_solve: int | None = None
    stopped_early: bool = False
    eval_returns: list[float] = field(default_factory=list)


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
        state: TrainState | None = None,
    ) -> None:
        self.config = config
        self.c = components
        self.run_dir = Path(run_dir)
        self.writer = writer
        self.state = state or TrainState()
        self.target_score = (
            config.trainer.target_score
            if config.trainer.target_score is not None
            else config.env.solved_score
        )
        self._eval_seeded = False

    def evaluate(self) -> float:
        """Deterministic evaluation on the separate eval env; logs and returns the mean."""
        if not self._eval_seeded:  # seed once; later episodes continue the env's RNG
            self.c.eval_env.reset(seed=self.config.seed + 1_000_003)
            self._eval_seeded = True
        returns = evaluate_policy(
            self.c.eval_env,
            lambda obs: self.c.agent.policy_action(obs, explore=False),
            self.config.trainer.eval_episodes,
        )
        mean, std = float(returns.mean()), float(returns.std())
        s = self.state
        s.last_eval_step = s.step
        s.final_eval_return, s.final_eval_std = mean, std
        s.eval_returns.append(mean)
        if s.best_eval_return is None or mean > s.best_eval_return:
            s.best_eval_return = mean
        if s.steps_to_solve is None and mean >= self.config.env.solved_score:
            s.steps_to_solve = s.step
        self.writer.scalars({"eval/return_mean": mean, "eval/return_std": std}, s.step)
        return mean

    def train(self) -> TrainState:
        """Run until the step budget, the episode cap or the early-stop target is reached."""
        cfg, c, s = self.config, self.c, self.state
        agent, buffer, normalizer = c.agent, c.replay_buffer, c.reward_normalizer
        total = cfg.trainer.total_steps
        batch_size, n_updates = cfg.agent.batch_size, cfg.agent.updates_per_step
        learning_starts = max(cfg.agent.learning_starts, batch_size)
        obs, _ = c.env.reset(seed=cfg.seed)
        agent.noise.reset()
        policy_action = agent.policy_action(obs, explore=True)
        episode: list[tuple[np.ndarray, np.ndarray, float, np.ndarray, bool]] = []
        metric_sum, metric_count = np.zeros(len(METRIC_KEYS)), 0
        window_start, window_step = time.perf_counter(), s.step
        bar = tqdm(total=total, initial=s.step, disable=not cfg.trainer.progress, unit="step")
        last_return, last_eval = math.nan, s.final_eval_return
        try:
            while s.step < total:
                if cfg.agent.random_warmup and len(buffer) < learning_starts:
                    action = agent.random_action()
                else:
                    agent.noise.set_progress(s.step)
                    action = agent.explore(policy_action)
                next_obs, reward, terminated, truncated, info = c.env.step(action)
                s.step += 1
                normalizer.observe(float(reward), terminated or truncated)
                if normalizer.per_episode:
                    episode.append((obs, action, float(reward), next_obs, terminated))
                else:
                    buffer.add(obs, action, float(reward), next_obs, terminated)
                obs = next_obs
                if terminated or truncated:
                    if episode:
                        self._store_episode(episode)
                        episode = []
                    last_return = self._end_episode(info, s.step)
                    obs, _ = c.env.reset()
                    agent.noise.reset()
                    bar.set_postfix(ret=f"{last_return:.1f}", eval=f"{last_eval}", refresh=False)
                if len(buffer) >= learning_starts:
                    batches = [buffer.sample(batch_size, c.rng) for _ in range(n_updates)]
                    batches = [
                        b._replace(reward=normalizer.normalize_batch(b.reward)) for b in batches
                    ]
                    policy_action, metrics = agent.update_and_act(batches, obs)
                    metric_sum += metrics
                    metric_count += 1
                else:
                    policy_action = agent.policy_action(obs, explore=True)
                if s.step % cfg.trainer.log_every == 0:
                    now = time.perf_counter()
                    rate = (s.step - window_step) / (now - window_start)
                    self._log_window(metric_sum, metric_count, rate, batches_reward_mean=None)
                    metric_sum, metric_count = np.zeros(len(METRIC_KEYS)), 0
                    window_start, window_step = now, s.step
                    bar.update(cfg.trainer.log_every)
                if s.step % cfg.trainer.eval_every == 0:
                    last_eval = f"{self.evaluate():.1f}"
                    if cfg.trainer.early_stop == "eval" and float(last_eval) >= self.target_score:
                        s.stopped_early = True
                if s.stopped_early or (
                    cfg.trainer.max_episodes is not None and s.episode >= cfg.trainer.max_episodes
                ):
                    break
            if s.last_eval_step != s.step:
                self.evaluate()
            save_policy(self.run_dir / "policy", agent.learner.actor, cfg, c.env)
        finally:
            bar.close()
            self.writer.flush()
        return s

    def _store_episode(
        self, episode: list[tuple[np.ndarray, np.ndarray, float, np.ndarray, bool]]
    ) -> None:
        rewards = self.c.reward_normalizer.normalize_episode(np.array([t[2] for t in episode]))
        for (obs, action, _, next_obs, terminated), reward in zip(episode, rewards, strict=True):
            self.c.replay_buffer.add(obs, action, float(reward), next_obs, terminated)

    def _end_episode(self, info: dict[str, Any], step: int) -> float:
        s = self.state
        s.episode += 1
        episode_return = float(info["episode"]["r"])
        decay = self.config.trainer.ema_decay
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
            step,
        )
        self.writer.flush()
        if self.config.trainer.early_stop == "ema" and s.return_ema > self.target_score:
            s.stopped_early = True
        return episode_return

    def _log_window(
        self, metric_sum: np.ndarray, metric_count: int, rate: float, batches_reward_mean: Any
    ) -> None:
        values = {"perf/steps_per_sec": rate}
        if metric_count:
            means = metric_sum / metric_count
            if not np.all(np.isfinite(means)):
                bad = [k for k, v in zip(METRIC_KEYS, means, strict=True) if not np.isfinite(v)]
                raise DivergedError(self.state.step, ", ".join(bad))
            values.update(dict(zip(METRIC_KEYS, means.tolist(), strict=True)))
        self.writer.scalars(values, self.state.step)


def summary_of(state: TrainState, config: RunConfig, wall_time: float, status: str) -> dict:
    """The summary.json record for a finished (or failed) run."""
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
        "wall_time_s": wall_time,
        "steps_per_sec": state.step / wall_time if wall_time > 0 else 0.0,
        "error": None,
        "state": {k: v for k, v in asdict(state).items() if k != "eval_returns"},
    }
