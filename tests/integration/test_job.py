"""train_run: wall time across resumed segments, one checkpoint per step."""

import json
import time

import pytest
from conftest import tiny_config

import ddpg.population.member_checkpoint
from ddpg.config.schema import RunConfig
from ddpg.launch.job import train_run
from ddpg.launch.resume_plan import resume_target
from ddpg.storage.checkpoint import list_checkpoints

pytestmark = pytest.mark.slow


def small_config(total_steps: int) -> RunConfig:
    return tiny_config(
        width=8,
        batch_size=8,
        seed=1,
        total_steps=total_steps,
        checkpoint_every=200,
        keep_checkpoints=5,
        log_every=250,
    )


def test_wall_time_adds_up_over_resumed_segments(tmp_path):
    train_run(small_config(600), tmp_path)
    first = list_checkpoints(tmp_path / "checkpoints")[0]
    saved_wall = json.loads((first / "state.json").read_text())["train"]["wall_time_s"]
    assert first.name == "step_000000200" and saved_wall > 0.5  # build + 200 steps
    resumed, run_dir, _ = resume_target(first)
    started = time.perf_counter()
    summary = train_run(resumed, run_dir)
    segment = time.perf_counter() - started
    assert saved_wall + segment - 0.5 <= summary["wall_time_s"] <= saved_wall + segment
    assert summary["steps_per_sec"] == pytest.approx(600 / summary["wall_time_s"])


def test_each_step_is_checkpointed_once(tmp_path, monkeypatch):
    written = []
    save = ddpg.population.member_checkpoint.save_checkpoint

    def counting_save(directory, step, *args, **kwargs):
        written.append(step)
        return save(directory, step, *args, **kwargs)

    monkeypatch.setattr(ddpg.population.member_checkpoint, "save_checkpoint", counting_save)
    train_run(small_config(400), tmp_path)  # the last episode end is also a due checkpoint
    assert written == [200, 400]
