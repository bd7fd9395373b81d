"""python -m ddpg.evaluate on a real (tiny) run: same seed same returns, every evaluation kept in
evaluation.json, video, key=value arguments checked as configs are, one-line errors."""

import json
import shutil
from pathlib import Path

import numpy as np
import pytest

from ddpg.config.schema import AgentConfig, EnvConfig, NetworkConfig, RunConfig, TrainerConfig
from ddpg.evaluate import main, parse_args
from ddpg.evaluation.episodes import compiled_act, make_eval_env
from ddpg.evaluation.evaluate import EvalOptions

pytestmark = pytest.mark.slow

EPISODE_STEPS = 50  # the run's own env setting; evaluation must pick it up from the policy


@pytest.fixture(scope="module")
def run_dir(tmp_path_factory):
    """One short Pendulum run with running observation normalization, trained in-process."""
    from ddpg.launch.job import train_run

    config = RunConfig(
        env=EnvConfig(obs_norm="running", max_episode_steps=EPISODE_STEPS),
        network=NetworkConfig(name="mlp16", actor_hidden=[16], critic_hidden=[16]),
        agent=AgentConfig(batch_size=16, learning_starts=50),
        trainer=TrainerConfig(total_steps=200, eval_every=200, eval_episodes=1, progress=False),
    )
    path = tmp_path_factory.mktemp("run")
    assert train_run(config, path)["status"] == "completed"
    return path


def evaluate(capsys, *args: str) -> tuple[int, str, str]:
    code = main(list(args))
    out, err = capsys.readouterr()
    return code, out, err


def records(run_dir) -> list[dict]:
    return json.loads((run_dir / "evaluation.json").read_text())["evaluations"]


def result(run_dir) -> dict:
    """The newest evaluation of the run."""
    return records(run_dir)[-1]


def test_same_seed_gives_the_same_returns_and_another_seed_differs(run_dir, capsys):
    code, out, _ = evaluate(capsys, f"run_dir={run_dir}", "episodes=3", "seed=123")
    assert code == 0
    first = result(run_dir)["returns"]
    assert evaluate(capsys, f"run_dir={run_dir}", "episodes=3", "seed=123")[0] == 0
    assert result(run_dir)["returns"] == first
    assert evaluate(capsys, f"run_dir={run_dir}", "episodes=3", "seed=124")[0] == 0
    assert result(run_dir)["returns"] != first
    assert len(set(first)) == 3  # episodes continue the env's RNG: different starts
    assert f"{first[0]:10.2f}" in out  # per-episode lines
    assert f"{np.mean(first):.2f} +- {np.std(first):.2f} over 3 episodes" in out


def test_evaluation_json_records_the_evaluation(run_dir, capsys):
    assert evaluate(capsys, f"run_dir={run_dir}", "episodes=2", "seed=7")[0] == 0
    record = result(run_dir)
    assert record["env_id"] == "Pendulum-v1"
    assert (record["episodes"], record["seed"], record["videos"]) == (2, 7, [])
    assert record["policy"] == "policy"
    assert record["evaluated_at"].endswith("+00:00")  # ISO time, UTC
    assert len(record["returns"]) == 2
    assert record["mean"] == pytest.approx(np.mean(record["returns"]))
    assert record["std"] == pytest.approx(np.std(record["returns"]))
    # Each return covers a full episode of the run's own length (reward in [-16.3, 0] per step).
    assert all(-16.3 * EPISODE_STEPS <= r <= 0 for r in record["returns"])


def test_saved_observation_statistics_normalize_raw_observations_frozen(run_dir):
    from ddpg.evaluation.policy import load_policy

    policy = load_policy(run_dir / "policy")
    assert policy.obs_norm["count"] > 200  # the training run's statistics were saved
    mean, var = np.array(policy.obs_norm["mean"]), np.array(policy.obs_norm["var"])
    act = compiled_act(policy)
    env = make_eval_env(policy, seed=0)
    obs, _ = env.reset(seed=0)
    for _ in range(2 * EPISODE_STEPS):  # frozen: the same normalization at every step
        normalized = ((obs - mean) / np.sqrt(var + 1e-8)).astype(np.float32)
        np.testing.assert_allclose(act(obs), policy.act(normalized), rtol=1e-5, atol=1e-6)
        obs, _, terminated, truncated, _ = env.step(act(obs))
        if terminated or truncated:
            obs, _ = env.reset()
    env.close()


def test_video_is_an_mp4_with_a_frame_per_step(run_dir, capsys):
    import imageio_ffmpeg

    args = [f"run_dir={run_dir}", "episodes=1", "seed=5"]
    code, out, err = evaluate(capsys, *args, "video=true")
    assert code == 0, err
    video = run_dir / "videos" / "eval-seed5-episode-0.mp4"
    assert video.is_file() and video.stat().st_size > 1000
    assert f"video: {video}" in out
    record = result(run_dir)
    assert record["videos"] == ["videos/eval-seed5-episode-0.mp4"]
    frames, _ = imageio_ffmpeg.count_frames_and_secs(str(video))
    assert EPISODE_STEPS <= frames <= EPISODE_STEPS + 1  # one frame per step (+ the reset)
    returns_with_video = record["returns"]
    assert evaluate(capsys, *args)[0] == 0
    assert result(run_dir)["returns"] == returns_with_video  # recording changes nothing


@pytest.mark.parametrize(("asked", "videos"), [([], 3), (["video_episodes=5"], 5)])
def test_video_records_exactly_the_episodes_asked_for(run_dir, tmp_path, capsys, asked, videos):
    run = tmp_path / "run"  # a copy: the videos of other tests must not be counted
    shutil.copytree(run_dir, run, ignore=shutil.ignore_patterns("evaluation.json", "videos"))
    code, _, err = evaluate(capsys, f"run_dir={run}", "episodes=5", "seed=3", "video=true", *asked)
    assert code == 0, err
    names = [f"eval-seed3-episode-{i}.mp4" for i in range(videos)]
    assert sorted(path.name for path in (run / "videos").iterdir()) == names
    assert result(run)["videos"] == [f"videos/{name}" for name in names]


def test_not_a_run_is_a_one_line_error(tmp_path, capsys):
    code, out, err = evaluate(capsys, f"run_dir={tmp_path}")
    assert code == 2 and out == ""
    assert err == f"error: {tmp_path} is not a run directory (no summary.json or params.json)\n"
    code, _, err = evaluate(capsys, f"run_dir={tmp_path / 'missing'}")
    assert code == 2 and str(tmp_path / "missing") in err


def test_run_without_policy_names_the_policy_path(tmp_path, capsys):
    (tmp_path / "summary.json").write_text('{"status": "failed"}')
    code, _, err = evaluate(capsys, f"run_dir={tmp_path}")
    assert code == 2
    assert str(tmp_path / "policy") in err and err.count("\n") == 1


def test_damaged_policy_is_a_one_line_error(run_dir, tmp_path, capsys):
    broken = tmp_path / "run"
    shutil.copytree(run_dir, broken)
    weights = broken / "policy" / "actor.weights.h5"
    weights.write_bytes(weights.read_bytes()[:100])
    code, _, err = evaluate(capsys, f"run_dir={broken}")
    assert code == 2
    assert (
        err.startswith(f"error: {broken / 'policy'} holds a damaged policy")
        and err.count("\n") == 1
    )


@pytest.mark.parametrize(
    ("args", "message"),
    [
        (["episodes=3"], "run_dir is required: expected a path"),
        (["run_dir=x", "epsiodes=3"], "epsiodes is not a known key (known: run_dir, episodes,"),
        (["run_dir=x", "episodes=0"], "episodes=0 is invalid"),
        (["run_dir=x", "seed=abc"], "seed='abc' is invalid: expected an integer"),
        (["run_dir=x", "video=maybe"], "video='maybe' is invalid: expected true or false"),
        (["run_dir=x", "episodes=2.5"], "episodes='2.5' is invalid: expected an integer"),
        (["run_dir=x", "render=window"], "render='window' is invalid"),
        (["run_dir=x", "video=true", "render=human"], "drop render=human"),
        (["x"], "'x' is not a key=value argument"),
    ],
)
def test_bad_arguments_name_the_key(args, message, capsys):
    code, _, err = evaluate(capsys, *args)
    assert code == 2 and message in err and err.startswith("error: ")


def test_render_human_without_a_display_is_a_clear_error(run_dir, capsys, monkeypatch):
    monkeypatch.setattr("sys.platform", "linux")
    monkeypatch.delenv("DISPLAY", raising=False)
    monkeypatch.delenv("WAYLAND_DISPLAY", raising=False)
    code, _, err = evaluate(capsys, f"run_dir={run_dir}", "render=human")
    assert code == 2 and "render=human needs a display" in err


def test_arguments_are_converted_to_the_option_types():
    job = "outputs/multirun/2025-01-01_00-00-00/tau=0.01 s=1 job3"  # a job folder: "=", spaces
    options = parse_args([f"run_dir={job}", "episodes=20", "seed=7", "video=true", "render=none"])
    assert options == EvalOptions(run_dir=Path(job), episodes=20, seed=7, video=True)
    assert parse_args(["run_dir=~/runs/a"]).run_dir == Path.home() / "runs" / "a"
    assert parse_args(["run_dir=0"]).run_dir == Path("0")  # a sweep job folder named 0
    assert parse_args(["run_dir=a", "run_dir=b"]).run_dir == Path("b")  # the last one counts


def test_every_evaluation_is_kept_in_order(run_dir, tmp_path, capsys):
    run = tmp_path / "run"
    shutil.copytree(run_dir, run, ignore=shutil.ignore_patterns("evaluation.json", "videos"))
    assert evaluate(capsys, f"run_dir={run}", "episodes=3", "seed=11")[0] == 0
    first = result(run)
    code, out, _ = evaluate(capsys, f"run_dir={run}", "episodes=1", "seed=11", "video=true")
    assert code == 0 and f"wrote {run / 'evaluation.json'} (2 evaluations)" in out
    assert evaluate(capsys, f"run_dir={run}", "episodes=3", "seed=11")[0] == 0

    kept = records(run)
    assert [(r["episodes"], r["seed"], len(r["videos"])) for r in kept] == [
        (3, 11, 0),
        (1, 11, 1),
        (3, 11, 0),
    ]
    assert kept[0] == first  # the 1-episode video run replaced nothing
    assert kept[1]["returns"] == first["returns"][:1]  # same seed: the same first episode
    assert kept[2]["returns"] == first["returns"]


def test_an_evaluation_json_from_before_records_were_kept_stays_first(run_dir, tmp_path, capsys):
    run = tmp_path / "run"
    shutil.copytree(run_dir, run, ignore=shutil.ignore_patterns("evaluation.json", "videos"))
    old = {"episodes": 10, "seed": 0, "returns": [-150.0] * 10, "mean": -150.0, "std": 0.0}
    (run / "evaluation.json").write_text(json.dumps(old))
    assert evaluate(capsys, f"run_dir={run}", "episodes=1")[0] == 0
    assert records(run)[0] == old and len(records(run)) == 2


def test_an_unreadable_evaluation_json_is_left_alone(run_dir, tmp_path, capsys):
    run = tmp_path / "run"
    shutil.copytree(run_dir, run, ignore=shutil.ignore_patterns("evaluation.json", "videos"))
    (run / "evaluation.json").write_text('{"evaluations": [')
    code, out, err = evaluate(capsys, f"run_dir={run}", "episodes=1")
    assert code == 2 and out == "" and err.count("\n") == 1
    assert err.startswith(f"error: {run / 'evaluation.json'} cannot be read")
    assert (run / "evaluation.json").read_text() == '{"evaluations": ['
