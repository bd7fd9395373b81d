"""Evaluate a saved policy: the options, deterministic episodes, the record and videos.

Only `<run_dir>/policy/` is read: the actor's weights and the env, network and observation
normalization it was trained with (no pickle). The normalization statistics are frozen, so the
actor sees observations exactly as at the end of training. Each evaluation is added to
`<run_dir>/evaluation.json`, after the earlier ones. Videos replay the first episodes' actions
in a child process without TensorFlow (ddpg.evaluation.rendering), headless. The command line
is ddpg.evaluate's.
"""

from __future__ import annotations

from collections.abc import Callable
from dataclasses import dataclass
from datetime import UTC, datetime
from pathlib import Path
from typing import Any

import gymnasium as gym
import numpy as np

import ddpg.algo.tf_startup  # notes whether the user set TF_CPP_MIN_LOG_LEVEL
from ddpg.config.schema import ConfigError, check
from ddpg.evaluation.episodes import compiled_act, make_eval_env, play_episodes
from ddpg.evaluation.preflight import EvaluateError, check_render_support, find_policy
from ddpg.evaluation.records import RESULT_FILE, append_evaluation, read_evaluations
from ddpg.evaluation.rendering import RenderError, choose_offscreen_gl, record_videos

VIDEO_DIR = "videos"
RENDER_MODES = ("none", "human", "rgb_array")


@dataclass
class EvalOptions:
    """What to evaluate and how; `video=true` records the first `video_episodes` episodes."""

    run_dir: Path
    episodes: int = 10
    seed: int = 0
    video: bool = False
    video_episodes: int = 3
    render: str = "none"  # none | human (a window) | rgb_array (off-screen; implied by video)

    def __post_init__(self) -> None:
        self.run_dir = Path(self.run_dir).expanduser()
        check(self.episodes >= 1, "episodes", self.episodes, "an integer >= 1")
        check(0 <= self.seed < 2**31, "seed", self.seed, "an integer in [0, 2**31)")
        check(self.video_episodes >= 1, "video_episodes", self.video_episodes, "an integer >= 1")
        check(
            self.render in RENDER_MODES, "render", self.render, "one of " + ", ".join(RENDER_MODES)
        )
        if self.video and self.render == "human":
            raise ConfigError("video=true records off-screen frames; drop render=human")

    @property
    def video_prefix(self) -> str:
        """RecordVideo's name prefix; per seed, so a new seed does not overwrite older videos."""
        return f"eval-seed{self.seed}"

    @property
    def video_paths(self) -> list[Path]:
        """The MP4s RecordVideo writes: one per recorded episode (none without video)."""
        n_videos = min(self.video_episodes, self.episodes) if self.video else 0
        folder = self.run_dir / VIDEO_DIR
        return [folder / f"{self.video_prefix}-episode-{i}.mp4" for i in range(n_videos)]


def evaluate_run(options: EvalOptions, echo: bool = True) -> dict[str, Any]:
    """Play `options.episodes` deterministic episodes of the run's policy; record them.

    Args:
        options: The run directory and how to evaluate it.
        echo: Print each episode's return and the summary to stdout.

    Returns:
        The record added to `<run_dir>/evaluation.json` (after those already there).

    Raises:
        EvaluateError: The directory is not a run, has no or a damaged policy, or the requested
            rendering is not possible here.
        ConfigError: Its evaluation.json holds something other than evaluations.
    """
    policy_dir = find_policy(options.run_dir)
    result_path = options.run_dir / RESULT_FILE
    read_evaluations(result_path)  # before any episode: fail now on a file we must not replace
    check_render_support(options.video, options.render)
    ddpg.algo.tf_startup.import_tensorflow()  # quietly, before the policy code imports it
    from ddpg.evaluation.policy import (
        load_policy,  # TF loads only once the arguments are known good
    )

    try:
        policy = load_policy(policy_dir)
        if options.video:  # fail before the episodes when MuJoCo has no off-screen OpenGL
            choose_offscreen_gl(policy.env.id)
        env = make_eval_env(policy, options.seed, options.render)
    except ConfigError as error:
        raise EvaluateError(str(error)) from None
    except gym.error.DependencyNotInstalled as error:
        raise EvaluateError(f"render={options.render} is not available: {error}") from None
    except RenderError as error:
        raise EvaluateError(f"video=true: {error}") from None
    say: Callable[[str], None] = print if echo else lambda line: None
    seed, episodes = options.seed, f"{options.episodes} episode{'s' * (options.episodes != 1)}"
    say(f"Evaluating {policy_dir} ({policy.env.id}): {episodes}, seed {seed}")

    def show(episode: int, episode_return: float, steps: int, seconds: float) -> None:
        line = f"episode {episode + 1:3d}  return {episode_return:10.2f}"
        say(f"{line}  {steps} steps, {seconds:.1f} s")

    try:  # the actions of the episodes to record are kept and replayed for video
        act, n_videos = compiled_act(policy), len(options.video_paths)
        returns, kept = play_episodes(env, act, options.episodes, n_videos, show)
    finally:
        env.close()
    if kept:
        try:
            folder, prefix = options.run_dir / VIDEO_DIR, options.video_prefix
            say(f"recording {len(kept)} video{'s' * (len(kept) != 1)} (replayed off-screen)")
            played = returns[: len(kept)]
            record_videos(policy.env, options.seed, kept, folder, prefix, played, say)
        except RenderError as error:
            raise EvaluateError(f"video=true: {error}") from None
    mean, std = float(np.mean(returns)), float(np.std(returns))
    videos = [path for path in options.video_paths if path.is_file()]
    record = {
        "env_id": policy.env.id,
        "policy": str(policy_dir.relative_to(options.run_dir)),
        "episodes": options.episodes,
        "seed": options.seed,
        "returns": returns,
        "mean": mean,
        "std": std,
        "videos": [str(path.relative_to(options.run_dir)) for path in videos],
        "evaluated_at": datetime.now(UTC).isoformat(timespec="seconds"),  # tells records apart
    }
    count = len(append_evaluation(result_path, record))
    say(f"return {mean:.2f} +- {std:.2f} over {episodes} (seed {seed})")
    say(f"wrote {result_path} ({count} evaluation{'s' * (count != 1)})")
    for path in videos:
        say(f"video: {path}")
    return record
