"""MuJoCo tasks end to end: a fall is a termination and the time limit is not, a short run on an
option from conf/env/, and a headless video through `python -m ddpg.evaluate`."""

import ctypes.util
import json
import os
import subprocess
import sys
from pathlib import Path

import imageio_ffmpeg
import numpy as np
import pandas as pd
import pytest
from conftest import population_trainer
from hydra import compose, initialize_config_dir

from ddpg.config.schema import AgentConfig, EnvConfig, NetworkConfig, RunConfig, TrainerConfig
from ddpg.evaluate import main as evaluate_main
from ddpg.run import to_run_config

pytestmark = pytest.mark.slow

CONF = Path(__file__).resolve().parents[2] / "conf"
STEPS = 300


def random_hopper(tmp_path: Path, max_episode_steps: int) -> tuple[np.ndarray, np.ndarray, list]:
    """STEPS uniform random steps on Hopper-v5 (no update): the replay's terminated flags, its
    next observations and the episode lengths, as the trainer stored and logged them."""
    config = RunConfig(
        env=EnvConfig(id="Hopper-v5", max_episode_steps=max_episode_steps),
        network=NetworkConfig(name="tiny", actor_hidden=[8], critic_hidden=[8]),
        agent=AgentConfig(batch_size=8, buffer_size=1000, learning_starts=8),
        trainer=TrainerConfig(total_steps=STEPS, eval_every=10 * STEPS, eval_episodes=1),
    )
    config.trainer.progress = False
    # No update at all: set after validation, which refuses a run that never trains.
    config.agent.learning_starts = 10 * STEPS
    trainer = population_trainer([config], [tmp_path])
    trainer.train()
    trainer.close()
    components = trainer.c
    scalars = pd.read_csv(tmp_path / "scalars.csv")
    lengths = scalars[scalars.key == "train/episode_length"].value.astype(int).tolist()
    replay = components.replay_buffer
    return replay.terminated[0, :STEPS], replay.next_obs[0, :STEPS], lengths


def test_a_hopper_fall_is_stored_as_terminated(tmp_path):
    terminated, next_obs, lengths = random_hopper(tmp_path, max_episode_steps=1000)
    assert len(lengths) >= 3 and max(lengths) < 1000  # random actions fall long before the limit
    episode_ends = np.cumsum(lengths) - 1
    np.testing.assert_array_equal(np.flatnonzero(terminated), episode_ends)
    # Hopper-v5 is unhealthy (falls) when its torso height z <= 0.7 or |angle| >= 0.2: exactly
    # the stored terminal transitions, and no other.
    z, angle = next_obs[:, 0], next_obs[:, 1]
    np.testing.assert_array_equal((z <= 0.7) | (np.abs(angle) >= 0.2), terminated == 1)


def test_the_time_limit_is_not_a_termination(tmp_path):
    terminated, _, lengths = random_hopper(tmp_path, max_episode_steps=5)
    assert lengths == [5] * (STEPS // 5)  # every episode cut by the limit, none fell
    assert not terminated.any()  # so the TD target bootstraps through every one of them


@pytest.fixture(scope="module")
def run_dir(tmp_path_factory):
    """A short InvertedPendulum-v5 run from its option in conf/env/, trained in-process."""
    from ddpg.launch.job import train_run

    with initialize_config_dir(config_dir=str(CONF), version_base="1.3"):
        cfg = compose("config", overrides=["env=inverted_pendulum", "+experiment=smoke"])
    config = to_run_config(cfg)
    assert (config.env.id, config.env.solved_score, config.trainer.total_steps) == (
        "InvertedPendulum-v5",
        950.0,
        STEPS,
    )
    path = tmp_path_factory.mktemp("inverted_pendulum")
    summary = train_run(config, path)
    assert summary["status"] == "completed" and summary["env_steps"] == STEPS
    assert summary["steps_to_solve"] is None  # 300 steps do not balance for 950 steps
    return path


@pytest.mark.skipif(
    not (ctypes.util.find_library("EGL") or ctypes.util.find_library("OSMesa")),
    reason="MuJoCo renders headless with libEGL or libOSMesa: apt install libegl1",
)
def test_video_is_recorded_headless_through_the_command_line(run_dir):
    env = {k: v for k, v in os.environ.items() if k not in ("DISPLAY", "MUJOCO_GL")}
    command = [sys.executable, "-m", "ddpg.evaluate", f"run_dir={run_dir}", "episodes=1"]
    done = subprocess.run(
        [*command, "video=true", "seed=3"], env=env, capture_output=True, text=True, timeout=300
    )
    assert done.returncode == 0, done.stderr
    assert "warning" not in done.stderr  # the replayed episode is the evaluated one
    video = run_dir / "videos" / "eval-seed3-episode-0.mp4"
    assert f"video: {video}" in done.stdout
    record = json.loads((run_dir / "evaluation.json").read_text())["evaluations"][-1]
    assert record["videos"] == ["videos/eval-seed3-episode-0.mp4"]
    # InvertedPendulum-v5 pays +1 per step and 0 for the step that drops the pole: a fallen
    # episode of T steps returns T - 1, and its video has a frame per step plus the reset's.
    (episode_return,) = record["returns"]
    assert episode_return < 999  # 300 steps of training do not balance it to the time limit
    reader = imageio_ffmpeg.read_frames(str(video))
    meta = next(reader)
    frames = [np.frombuffer(f, np.uint8).reshape(*meta["size"][::-1], 3) for f in reader]
    assert len(frames) == int(episode_return) + 2
    assert frames[0].max() > 100  # a drawn scene, not a black frame


def test_headless_without_egl_or_osmesa_is_one_line(run_dir, capsys, monkeypatch):
    monkeypatch.setattr("sys.platform", "linux")
    for name in ("DISPLAY", "WAYLAND_DISPLAY"):
        monkeypatch.delenv(name, raising=False)
    monkeypatch.setenv("MUJOCO_GL", "")
    monkeypatch.setattr("ddpg.envs.mujoco_gl.ctypes.util.find_library", lambda name: None)
    code = evaluate_main([f"run_dir={run_dir}", "episodes=1", "video=true"])
    out, err = capsys.readouterr()
    assert code == 2 and out == "" and err.count("\n") == 1
    assert err.startswith("error: video=true: InvertedPendulum-v5 renders with MuJoCo")
    assert "apt install libegl1 (EGL) or libosmesa6 (OSMesa)" in err
