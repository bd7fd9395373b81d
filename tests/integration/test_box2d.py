"""Box2D end to end: a short LunarLanderContinuous-v3 run from its option, then a headless video
that replays exactly the evaluated episode."""

import json
from pathlib import Path

import imageio_ffmpeg
import numpy as np
import pytest
from hydra import compose, initialize_config_dir

from ddpg.config.schema import EnvConfig
from ddpg.envs.make import make_env
from ddpg.evaluate import main as evaluate_main
from ddpg.evaluation.rendering import record_videos
from ddpg.launch.job import train_run
from ddpg.run import to_run_config

pytestmark = pytest.mark.slow

CONF = Path(__file__).resolve().parents[2] / "conf"


def test_lunar_lander_trains_evaluates_and_records(tmp_path, capsys):
    with initialize_config_dir(config_dir=str(CONF), version_base="1.3"):
        cfg = compose("config", overrides=["env=lunarlander", "+experiment=smoke"])
    config = to_run_config(cfg)
    assert (config.env.id, config.env.solved_score) == ("LunarLanderContinuous-v3", 200.0)
    summary = train_run(config, tmp_path)
    assert summary["status"] == "completed" and summary["env_steps"] == 300
    assert summary["episodes"] >= 1  # a random lander crashes (terminates) within 300 steps
    assert summary["steps_to_solve"] is None  # far from 200 after 300 steps

    code = evaluate_main([f"run_dir={tmp_path}", "episodes=2", "video=true", "video_episodes=1"])
    out, err = capsys.readouterr()
    assert code == 0, err
    assert "warning" not in err  # the replay in the video's process returned the same return
    video = tmp_path / "videos" / "eval-seed0-episode-0.mp4"
    assert (
        f"video: {video}" in out and not (tmp_path / "videos" / "eval-seed0-episode-1.mp4").exists()
    )
    record = json.loads((tmp_path / "evaluation.json").read_text())["evaluations"][-1]
    assert record["videos"] == ["videos/eval-seed0-episode-0.mp4"] and len(record["returns"]) == 2
    frames, _ = imageio_ffmpeg.count_frames_and_secs(str(video))
    assert 2 <= frames <= 1001  # the reset's frame and one per step, at most 1000 steps


def test_videos_replay_the_played_episodes_and_say_when_one_differs(tmp_path, capsys):
    # Episode i starts at reset i + 1 after the seeded one, as ddpg.evaluate plays them; the
    # lander's engines draw from the env's RNG at every step, so the replay must match it too.
    env_config = EnvConfig(id="LunarLanderContinuous-v3")
    rng = np.random.default_rng(0)
    actions = [rng.uniform(-1, 1, (40, 2)).astype(np.float32) for _ in range(2)]
    env = make_env(env_config)
    env.reset(seed=11)
    played = []
    for episode in actions:
        env.reset()
        played.append(sum(float(env.step(a)[1]) for a in episode))
    record_videos(env_config, 11, actions, tmp_path, "replay", [played[0], played[1] + 1.0])
    err = capsys.readouterr().err
    assert err == (
        f"warning: the video of episode 2 replays to return {played[1]:.2f}, not "
        f"{played[1] + 1.0:.2f}: LunarLanderContinuous-v3 did not repeat the episode exactly\n"
    )
    for i in range(2):
        frames, _ = imageio_ffmpeg.count_frames_and_secs(str(tmp_path / f"replay-episode-{i}.mp4"))
        assert frames == 41  # the reset's frame and one per replayed step
