"""MuJoCo's OpenGL back-end without a display: which one to use, and a check that it can load.

MuJoCo's backend is picked by `MUJOCO_GL` (glfw, egl or osmesa), read once when `mujoco` is
imported. Left unset, gymnasium tries glfw first, which needs a display. Without a display we
choose for the user: EGL (Mesa's libEGL renders on the CPU), else OSMesa. make_env checks a set
MUJOCO_GL before MuJoCo loads; rendering (ddpg.evaluation.rendering) picks one before it draws.
"""

from __future__ import annotations

import ctypes.util
import os
import sys

import gymnasium as gym

from ddpg.config.schema import ConfigError

#: MUJOCO_GL backends for rendering without a display, preferred first: (library, its package).
OFFSCREEN_GL = {"egl": ("EGL", "libegl1"), "osmesa": ("OSMesa", "libosmesa6")}
INSTALL_HINT = "apt install libegl1 (EGL) or libosmesa6 (OSMesa)"


class RenderError(Exception):
    """Rendering cannot work here; the message says why in one line."""


def has_display() -> bool:
    """Whether a window can be opened: not Linux, or $DISPLAY / $WAYLAND_DISPLAY is set."""
    if not sys.platform.startswith("linux"):
        return True
    return bool(os.environ.get("DISPLAY") or os.environ.get("WAYLAND_DISPLAY"))


def is_mujoco(env_id: str) -> bool:
    """Whether `env_id` is registered with a MuJoCo entry point (gymnasium's or another's)."""
    try:
        entry_point = gym.spec(env_id).entry_point
    except gym.error.Error:
        return False
    return "mujoco" in str(entry_point).lower()


def choose_offscreen_gl(env_id: str) -> str | None:
    """Set MUJOCO_GL for rendering `env_id` off-screen and return it (None: not MuJoCo).

    Must run before `mujoco` is imported, which reads the variable once. A value the user set
    is kept; with a display, glfw (gymnasium's first choice) works and nothing is set.

    Raises:
        RenderError: No display, and neither libEGL nor libOSMesa can be found.
    """
    if not is_mujoco(env_id):
        return None
    if os.environ.get("MUJOCO_GL") or has_display():
        return os.environ.get("MUJOCO_GL")
    for backend, (library, _) in OFFSCREEN_GL.items():
        if ctypes.util.find_library(library):
            os.environ["MUJOCO_GL"] = backend
            return backend
    raise RenderError(
        f"{env_id} renders with MuJoCo, which needs libEGL or libOSMesa without a display, and "
        f"neither is installed ({INSTALL_HINT}; or set MUJOCO_GL)"
    )


def check_mujoco_gl() -> None:
    """Raise ConfigError when MUJOCO_GL names an off-screen backend whose library is missing.

    `import mujoco` would otherwise fail deep inside PyOpenGL (an AttributeError for osmesa),
    whether or not anything is ever rendered.
    """
    backend = os.environ.get("MUJOCO_GL", "").lower().strip()
    if backend in OFFSCREEN_GL:
        library, package = OFFSCREEN_GL[backend]
        if not ctypes.util.find_library(library):
            raise ConfigError(
                f"MUJOCO_GL={backend} needs lib{library}, which is not installed "
                f"(apt install {package}, or unset MUJOCO_GL)"
            )
