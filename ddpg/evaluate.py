"""Evaluate a trained run: load its saved policy, play deterministic episodes, record video.

    python -m ddpg.evaluate run_dir=outputs/runs/<run>             # 10 episodes, mean +- std
    python -m ddpg.evaluate run_dir=... episodes=20 seed=123
    python -m ddpg.evaluate run_dir=... video=true [video_episodes=3]  # MP4s into <run>/videos/
    python -m ddpg.evaluate run_dir=... render=human                  # a window, given a display

Only `<run_dir>/policy/` is read: the actor's weights and the env, network and observation
normalization it was trained with (no pickle). The normalization statistics are frozen, so the
actor sees observations exactly as at the end of training. Per-episode returns and mean +- std
are printed and added to `<run_dir>/evaluation.json`, after the earlier evaluations. An
argument's value is everything after its first "=" (a sweep job's folder needs no quoting). A
user error (bad argument, not a run, no or damaged policy, no display, no moviepy, no off-screen
OpenGL for MuJoCo) prints one line to stderr and exits with 2. The work is
ddpg.evaluation.evaluate's; videos are ddpg.evaluation.rendering's.
"""

from __future__ import annotations

import sys

from ddpg.config.schema import ConfigError
from ddpg.evaluation.evaluate import evaluate_run, parse_args
from ddpg.evaluation.preflight import EvaluateError


def main(argv: list[str] | None = None) -> int:
    """Run the command line; returns the exit code (2 for user errors)."""
    argv = sys.argv[1:] if argv is None else argv
    if any(arg in ("-h", "--help") for arg in argv):
        print(__doc__)
        return 0
    try:
        evaluate_run(parse_args(argv))
    except (ConfigError, EvaluateError) as error:
        print(f"error: {error}", file=sys.stderr)
        return 2
    except KeyboardInterrupt:
        print("error: interrupted", file=sys.stderr)
        return 130
    return 0


if __name__ == "__main__":
    raise SystemExit(main())
