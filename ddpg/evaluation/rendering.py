"""Evaluation videos, drawn headless in a child process without TensorFlow.

Why a child: MuJoCo renders through OpenGL, and on a machine without a GPU driver that is Mesa,
whose LLVM and the LLVM inside TensorFlow cannot share a process (it segfaults, whichever loads
first). So `ddpg.evaluate` plays the episodes with the policy, keeps their actions, and this
module replays them from the same seed in `python -m ddpg.evaluation.rendering`, which never imports
TensorFlow, recording one MP4 per episode with gymnasium's RecordVideo. MuJoCo, Box2D and
classic-control envs replay exactly, and the replayed returns are handed back for the caller to
compare.

MuJoCo's backend is picked by `MUJOCO_GL` (glfw, egl or osmesa). Left unset, gymnasium tries glfw
first, which needs a display. Without a display we choose for the user: EGL (Mesa's libEGL
renders on the CPU), else OSMesa. pygame (Box2D, classic control) needs only SDL's dummy driver.
On Mesa's software rasterizers MuJoCo's default 4096x4096 shadow map and 4x multisampling cost
most of a frame, so there the context is rebuilt lighter (:func:`lighter_on_software_gl`). The
child prints one line per video as it is written, which the caller relays.
"""

from __future__ import annotations

import dataclasses
import gc
import json
import os
import subprocess
import sys
import tempfile
import time
import warnings
from collections.abc import Callable
from pathlib import Path
from typing import Any

import gymnasium as gym
import numpy as np

from ddpg.config.schema import ConfigError, EnvConfig, from_mapping
from ddpg.envs.mujoco_gl import (
    INSTALL_HINT,
    RenderError,
    choose_offscreen_gl,
    has_display,
    is_mujoco,
)


def check_first_frame(env: gym.Env, env_id: str) -> None:
    """Render one frame of the reset `env`, so that a broken OpenGL set-up fails in one line
    before the first episode, not with a traceback inside it."""
    failure = ""
    # A MuJoCo viewer whose GL context failed half-way raises again in __del__, which Python would
    # print as "Exception ignored in ..." after our one line: drop those while the failed viewer
    # is freed (when the except block ends, and its traceback with it).
    hook, sys.unraisablehook = sys.unraisablehook, lambda unraisable: None
    try:
        try:
            env.render()
        except Exception as error:  # GL failures come as FatalError, ImportError, RuntimeError...
            failure = f"{type(error).__name__}: {(str(error).splitlines() or [''])[0]}"
        gc.collect()
    finally:
        sys.unraisablehook = hook
    if not failure:
        return
    if not is_mujoco(env_id):
        raise RenderError(f"cannot render {env_id}: {failure}")
    backend = os.environ.get("MUJOCO_GL", "")
    hint = INSTALL_HINT
    if backend.lower() in ("", "glfw") and not has_display():
        hint = "glfw needs a display: unset MUJOCO_GL to render with EGL, or set MUJOCO_GL=egl"
    raise RenderError(
        f"cannot render {env_id} with MUJOCO_GL={backend or 'glfw'}: {failure} ({hint})"
    )


#: Mesa's software OpenGL renderers (no GPU), as GL_RENDERER names them.
SOFTWARE_GL = ("llvmpipe", "softpipe", "swrast")
#: MuJoCo's shadow map edge on those. A 480x480 HalfCheetah-v5 frame on llvmpipe took 74 ms with
#: MuJoCo's defaults (4096, 4x multisampling), 58 ms without multisampling, 22 ms with 1024 and
#: none, 21 ms with 512 (2-core machine); the frames look the same.
SOFTWARE_SHADOW_SIZE = 1024


def lighter_on_software_gl(env: gym.Env) -> str | None:
    """When MuJoCo draws `env` (its first frame rendered) on a software OpenGL renderer, rebuild
    its render context with a SOFTWARE_SHADOW_SIZE shadow map and no multisampling; returns the
    renderer's name then, None otherwise (a GPU, or an env MuJoCo does not draw)."""
    base: Any = env.unwrapped  # a MujocoEnv, or another env without `mujoco_renderer`
    renderer = getattr(base, "mujoco_renderer", None)
    if renderer is None:
        return None
    import mujoco
    from OpenGL import GL

    viewer = renderer._get_viewer("rgb_array")  # the one the first frame made
    viewer.make_context_current()
    name = GL.glGetString(GL.GL_RENDERER) or b""
    name = name.decode(errors="replace") if isinstance(name, bytes) else str(name)
    if not any(software in name.lower() for software in SOFTWARE_GL):
        return None
    quality = base.model.vis.quality  # drawing only: the physics never reads it
    quality.shadowsize = min(int(quality.shadowsize), SOFTWARE_SHADOW_SIZE)
    quality.offsamples = 0
    viewer.con.free()
    viewer.con = mujoco.MjrContext(base.model, mujoco.mjtFontScale.mjFONTSCALE_150)
    viewer._set_mujoco_buffer()
    return name


def keeping(
    act: Callable[[np.ndarray], np.ndarray], actions: list[np.ndarray]
) -> Callable[[np.ndarray], np.ndarray]:
    """`act` that also appends each action it returns to `actions` (for record_videos)."""

    def keep(obs: np.ndarray) -> np.ndarray:
        action = act(obs)
        actions.append(action)
        return action

    return keep


def record_videos(
    env: EnvConfig,
    seed: int,
    actions: list[list[np.ndarray]],
    folder: Path,
    prefix: str,
    played: list[float],
    on_line: Callable[[str], None] = print,
) -> None:
    """Replay each episode's actions from `seed` in a child process and record an MP4 of each.

    Args:
        env: The env the episodes were played in (as the policy saved it).
        seed: The seed of the evaluation's first reset; episode i starts at reset i + 1, as in
            ddpg.evaluate.
        actions: Per episode, its actions in order (normalised, as the agent acts).
        folder: Where `<prefix>-episode-<i>.mp4` go.
        prefix: RecordVideo's name prefix.
        played: The episodes' returns as played; a replay that ends elsewhere gets a warning
            on stderr (the env did not repeat the episode, so its video shows another one).
        on_line: Gets each line the child prints as it prints it: one per video written (its
            frames, drawing and writing time).

    Raises:
        RenderError: The child could not render; the message is its one-line reason.
    """
    with tempfile.TemporaryDirectory(prefix="ddpg-video-") as tmp:
        job = Path(tmp) / "job.json"
        np.savez(Path(tmp) / "actions.npz", *[np.asarray(a, np.float32) for a in actions])
        spec = {"env": dataclasses.asdict(env), "seed": seed, "folder": str(folder)}
        job.write_text(json.dumps(spec | {"prefix": prefix}))
        with open(Path(tmp) / "stderr.txt", "w+") as stderr:
            child = subprocess.Popen(
                [sys.executable, "-m", "ddpg.evaluation.rendering", str(job)],
                stdout=subprocess.PIPE,
                stderr=stderr,
                text=True,
                env=os.environ | {"SDL_VIDEODRIVER": os.environ.get("SDL_VIDEODRIVER", "dummy")},
            )
            assert child.stdout is not None
            for line in child.stdout:  # as each video is written: minutes each without a GPU
                on_line(line.rstrip("\n"))
            returncode = child.wait()
            stderr.seek(0)
            errors_text = stderr.read()
        if returncode != 0:
            lines = (errors_text.strip() or f"exit code {returncode}").splitlines()
            errors = [line for line in lines if line.startswith("error: ")]
            raise RenderError((errors or lines)[-1].removeprefix("error: "))
        replayed = json.loads((Path(tmp) / "returns.json").read_text())
    for i, (again, first) in enumerate(zip(replayed, played, strict=True)):
        if not np.isclose(again, first, rtol=1e-9, atol=1e-9):
            print(
                f"warning: the video of episode {i + 1} replays to return {again:.2f}, not "
                f"{first:.2f}: {env.id} did not repeat the episode exactly",
                file=sys.stderr,
            )


def _replay(job_path: Path) -> None:
    """The child's work: rebuild the env, replay and record every episode, write the returns."""
    from ddpg.envs.make import make_env

    job = json.loads(job_path.read_text())
    env_config = from_mapping(EnvConfig, job["env"], "env.")
    with np.load(job_path.parent / "actions.npz") as arrays:
        episodes = [arrays[f"arr_{i}"] for i in range(len(arrays.files))]
    os.environ.setdefault("PYGAME_HIDE_SUPPORT_PROMPT", "1")
    choose_offscreen_gl(env_config.id)
    env = make_env(env_config, render_mode="rgb_array")
    env.reset(seed=job["seed"])  # before RecordVideo: this reset starts no video
    check_first_frame(env, env_config.id)
    lighter_on_software_gl(env)
    with warnings.catch_warnings():  # re-recording a seed overwrites its own files: intended
        warnings.filterwarnings("ignore", message=".*Overwriting existing videos")
        # Every replayed episode is one asked for: RecordVideo's default schedule (episodes 0, 1,
        # 8, 27, ...) would drop the third onwards.
        env = gym.wrappers.RecordVideo(
            env, job["folder"], episode_trigger=lambda episode: True, name_prefix=job["prefix"]
        )
    returns = []
    try:
        for i, actions in enumerate(episodes):
            start = time.perf_counter()
            env.reset()
            returns.append(sum(float(env.step(action)[1]) for action in actions))
            drawn = time.perf_counter()
            frames = len(env.recorded_frames)
            env.stop_recording()  # writes this episode's MP4 now, not at the next reset
            written = time.perf_counter() - drawn
            print(
                f"video {i + 1:3d}  {frames} frames drawn in {drawn - start:.1f} s, "
                f"written in {written:.1f} s",
                flush=True,
            )
    finally:
        env.close()  # the videos are written; one cut short by an error is written here
    (job_path.parent / "returns.json").write_text(json.dumps(returns))


def main(argv: list[str] | None = None) -> int:
    """`python -m ddpg.evaluation.rendering JOB.json` (run by record_videos); 2 on error."""
    argv = sys.argv[1:] if argv is None else argv
    try:
        _replay(Path(argv[0]))
    except (RenderError, ConfigError) as error:
        print(f"error: {error}", file=sys.stderr)
        return 2
    return 0


if __name__ == "__main__":
    raise SystemExit(main())
