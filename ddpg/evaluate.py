"""Evaluate a trained run: load its saved policy, play deterministic episodes, record video.

    python -m ddpg.evaluate run_dir=outputs/runs/<run>             # 10 episodes, mean +- std
    python -m ddpg.evaluate run_dir=... episodes=20 seed=123
    python -m ddpg.evaluate run_dir=... video=true [video_episodes=3]  # MP4s into <run>/videos/
    python -m ddpg.evaluate run_dir=... render=human                  # a window, given a display

Only `<run_dir>/policy/` is read: the actor's weights and the env, network and observation
normalization it was trained with (no pickle). The normalization statistics are frozen, so the
actor sees observations exactly as at the end of training. Per-episode returns and mean +- std
are printed and added to `<run_dir>/evaluation.json`, after the earlier evaluations. An
argument's value is everything after its first "=" (a sweep job's folder needs no quoting); the
values are converted and checked as every config is (ddpg.config.schema.from_mapping). A
user error (bad argument, not a run, no or damaged policy, no display, no moviepy, no off-screen
OpenGL for MuJoCo) prints one line to stderr and exits with 2. The work is
ddpg.evaluation.evaluate's; videos are ddpg.evaluation.rendering's.
"""

from __future__ import annotations

import argparse
import sys

from ddpg.config.schema import ConfigError, from_mapping
from ddpg.evaluation.evaluate import EvalOptions, evaluate_run
from ddpg.evaluation.preflight import EvaluateError

#: What each key=value argument sets (the keys are EvalOptions' fields).
SETTINGS = {
    "run_dir": "the run to evaluate (required)",
    "episodes": "deterministic episodes to play (10)",
    "seed": "seed of the first episode's reset (0)",
    "video": "true: record MP4s of the first episodes into <run_dir>/videos/ (false)",
    "video_episodes": "how many episodes to record (3)",
    "render": "none | human (a window; needs a display) | rgb_array (none)",
}


def parser() -> argparse.ArgumentParser:
    """argparse, as every command that Hydra does not compose: --help and usage alike."""
    p = argparse.ArgumentParser(
        prog="python -m ddpg.evaluate",
        description=__doc__.split("\n")[0],
        formatter_class=argparse.RawDescriptionHelpFormatter,
        epilog="settings:\n" + "\n".join(f"  {k:<16}{v}" for k, v in SETTINGS.items()),
    )
    p.add_argument("settings", nargs="*", metavar="key=value", help="the settings below")
    return p


def parse_args(argv: list[str]) -> EvalOptions:
    """`key=value` arguments -> EvalOptions; a ConfigError names a bad or unknown key."""
    values: dict[str, str] = {}
    for token in parser().parse_args(argv).settings:
        key, sep, value = token.partition("=")
        if not sep or not key:
            raise ConfigError(f"{token!r} is not a key=value argument (python -m ddpg.evaluate -h)")
        values[key] = value  # a string: from_mapping converts it to the option's type
    return from_mapping(EvalOptions, values)


def main(argv: list[str] | None = None) -> int:
    """Run the command line; returns the exit code (2 for user errors)."""
    argv = sys.argv[1:] if argv is None else argv
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
