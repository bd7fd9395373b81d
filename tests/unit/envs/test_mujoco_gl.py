"""Headless rendering: MUJOCO_GL picked for the user, one-line errors naming the library."""

import gymnasium as gym
import pytest

from ddpg.config.schema import ConfigError
from ddpg.envs import mujoco_gl
from ddpg.envs.mujoco_gl import RenderError, check_mujoco_gl, choose_offscreen_gl
from ddpg.evaluation.rendering import check_first_frame


@pytest.fixture
def headless(monkeypatch):
    """Linux without a display and without MUJOCO_GL; the libraries found are set per test."""
    monkeypatch.setattr("sys.platform", "linux")
    for name in ("DISPLAY", "WAYLAND_DISPLAY"):
        monkeypatch.delenv(name, raising=False)
    monkeypatch.setenv("MUJOCO_GL", "")  # undone after the test, whatever the code sets

    def libraries(*found: str) -> None:
        monkeypatch.setattr(mujoco_gl.ctypes.util, "find_library", lambda name: name in found)

    return libraries


@pytest.mark.parametrize(
    ("env_id", "expected"),
    [("Hopper-v5", True), ("InvertedPendulum-v5", True), ("BipedalWalker-v3", False)],
)
def test_mujoco_envs_are_told_by_their_entry_point(env_id, expected):
    assert mujoco_gl.is_mujoco(env_id) is expected
    assert mujoco_gl.is_mujoco("NoSuchEnv-v0") is False


@pytest.mark.parametrize(
    ("found", "backend"), [(("EGL", "OSMesa"), "egl"), (("OSMesa",), "osmesa")]
)
def test_headless_mujoco_gets_egl_else_osmesa(headless, monkeypatch, found, backend):
    headless(*found)
    assert choose_offscreen_gl("Hopper-v5") == backend
    assert mujoco_gl.os.environ["MUJOCO_GL"] == backend


def test_without_either_library_the_error_names_both_and_how_to_install(headless):
    headless()
    with pytest.raises(RenderError) as error:
        choose_offscreen_gl("Hopper-v5")
    message = str(error.value)
    assert "\n" not in message and "libEGL or libOSMesa" in message
    assert "apt install libegl1" in message and "libosmesa6" in message


def test_a_users_choice_a_display_or_a_pygame_env_set_nothing(headless, monkeypatch):
    headless("EGL")
    assert choose_offscreen_gl("LunarLanderContinuous-v3") is None
    assert mujoco_gl.os.environ["MUJOCO_GL"] == ""
    monkeypatch.setenv("MUJOCO_GL", "osmesa")
    assert choose_offscreen_gl("Hopper-v5") == "osmesa"  # kept as the user set it
    monkeypatch.setenv("MUJOCO_GL", "")
    monkeypatch.setenv("DISPLAY", ":0")
    assert choose_offscreen_gl("Hopper-v5") == ""  # glfw opens a window: gymnasium's default


def test_a_mujoco_gl_without_its_library_is_a_config_error(headless, monkeypatch):
    headless("EGL")
    monkeypatch.setenv("MUJOCO_GL", "osmesa")
    with pytest.raises(ConfigError, match=r"^MUJOCO_GL=osmesa needs libOSMesa, .*libosmesa6"):
        check_mujoco_gl()
    monkeypatch.setenv("MUJOCO_GL", "egl")
    check_mujoco_gl()  # libEGL is there


class BrokenRender(gym.Env):
    observation_space = gym.spaces.Box(-1, 1, (1,))
    action_space = gym.spaces.Box(-1, 1, (1,))

    def render(self):
        raise RuntimeError("no GL context\nsecond line")


def test_a_failed_first_frame_is_one_line_with_its_cause(headless):
    with pytest.raises(RenderError) as error:
        check_first_frame(BrokenRender(), "Broken-v0")
    assert str(error.value) == "cannot render Broken-v0: RuntimeError: no GL context"
    with pytest.raises(RenderError) as error:  # MuJoCo's glfw without a display: say what works
        check_first_frame(BrokenRender(), "Hopper-v5")
    assert str(error.value) == (
        "cannot render Hopper-v5 with MUJOCO_GL=glfw: RuntimeError: no GL context (glfw needs a "
        "display: unset MUJOCO_GL to render with EGL, or set MUJOCO_GL=egl)"
    )
