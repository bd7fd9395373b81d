"""Checks made before an evaluation loads TensorFlow: a run with a policy, rendering that works.

Each failure is an :class:`EvaluateError`, which `python -m ddpg.evaluate` reports as one line
on stderr with exit code 2: not a run, no saved policy, video without moviepy, a window without
a display or one SDL cannot open.
"""

from __future__ import annotations

import importlib.util
import os
from pathlib import Path

from ddpg.evaluation.rendering import has_display


class EvaluateError(Exception):
    """A user-facing problem, reported as one line on stderr with exit code 2."""


def find_policy(run_dir: Path) -> Path:
    """The run's policy folder; fails fast (before TF loads) when run_dir is not a usable run."""
    if not run_dir.exists():
        raise EvaluateError(f"run_dir does not exist: {run_dir}")
    if not run_dir.is_dir():
        raise EvaluateError(f"run_dir is not a directory: {run_dir}")
    if not any((run_dir / name).is_file() for name in ("summary.json", "params.json")):
        raise EvaluateError(f"{run_dir} is not a run directory (no summary.json or params.json)")
    policy_dir = run_dir / "policy"
    if not policy_dir.is_dir():
        raise EvaluateError(
            f"{run_dir} has no saved policy: {policy_dir} does not exist "
            "(a run saves it when training ends)"
        )
    return policy_dir


def check_render_support(video: bool, render: str) -> None:
    """Fail now if `video=true` cannot write MP4s or `render=human` cannot open a window.

    Whether MuJoCo can render off-screen depends on the env, so ddpg.evaluate checks that
    (ddpg.evaluation.rendering.choose_offscreen_gl) once the policy says which env it is.
    """
    if video and importlib.util.find_spec("moviepy") is None:
        raise EvaluateError("video=true needs moviepy: pip install -e '.[video]'")
    if render == "human" and not has_display():
        raise EvaluateError(
            "render=human needs a display, and $DISPLAY is not set; use video=true to record "
            "an MP4 instead"
        )
    if render == "human":
        _probe_window()


def _probe_window() -> None:
    """Fail with a message, not a crash or an invisible window, when SDL cannot open one."""
    # SDL's accelerated framebuffer loads Mesa, whose LLVM clashes with the LLVM inside
    # TensorFlow: the process segfaults when the window opens. A plain framebuffer suffices.
    os.environ.setdefault("SDL_FRAMEBUFFER_ACCELERATION", "0")
    os.environ.setdefault("PYGAME_HIDE_SUPPORT_PROMPT", "1")
    try:
        import pygame
    except ImportError:
        return  # not a pygame env set-up; gymnasium names what is missing when the env starts
    try:
        pygame.display.init()
        driver = pygame.display.get_driver()
    except pygame.error as error:
        raise EvaluateError(f"render=human cannot open a window: {error}") from None
    finally:
        pygame.display.quit()
    if driver in ("offscreen", "dummy"):
        display = os.environ.get("DISPLAY") or os.environ.get("WAYLAND_DISPLAY")
        raise EvaluateError(
            f"render=human cannot open a window on display {display!r} (SDL fell back to its "
            f"{driver} driver); use video=true to record an MP4 instead"
        )
