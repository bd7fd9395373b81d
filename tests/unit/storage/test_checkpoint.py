"""ddpg.storage.checkpoint's files: atomic saves, verified reads, the config-only read, rewind."""

from __future__ import annotations

import csv
import dataclasses
import re
from collections.abc import Callable
from pathlib import Path

import numpy as np
import pytest
from tensorboard.backend.event_processing.event_file_loader import EventFileLoader

from ddpg.config.schema import ConfigError, RunConfig
from ddpg.launch.resume_plan import resume_target
from ddpg.storage import checkpoint
from ddpg.storage.checkpoint import (
    list_checkpoints,
    load_checkpoint,
    read_checkpoint_state,
    rewind_logs,
    save_checkpoint,
)
from ddpg.storage.metrics import MetricsWriter

CONFIG = RunConfig(seed=7)


def save(directory: Path, step: int, keep: int = 2) -> Path:
    """A small checkpoint whose state carries a real RunConfig, as the trainer's does."""
    arrays = {"replay/obs": np.arange(12.0).reshape(4, 3), "noise/x": np.array([step])}
    state = {"train": {"step": step}, "config": dataclasses.asdict(CONFIG)}
    return save_checkpoint(directory, step, arrays, state, keep)


def test_save_then_load_round_trips_and_keeps_the_newest(tmp_path: Path) -> None:
    for step in (200, 400, 600):
        save(tmp_path / "checkpoints", step)
    assert [p.name for p in list_checkpoints(tmp_path / "checkpoints")] == [
        "step_000000400",
        "step_000000600",
    ]
    arrays, state = load_checkpoint(tmp_path / "checkpoints" / "step_000000600")
    np.testing.assert_array_equal(arrays["replay/obs"], np.arange(12.0).reshape(4, 3))
    np.testing.assert_array_equal(arrays["noise/x"], [600])
    assert state["train"] == {"step": 600} and state["format"] == checkpoint.FORMAT_VERSION


def test_a_save_removes_staging_folders_that_a_killed_save_left(tmp_path: Path) -> None:
    directory = tmp_path / "checkpoints"
    save(directory, 200)
    for name in (".tmp-killed1", ".tmp-killed2"):  # as a SIGKILL mid-save leaves them
        (directory / name).mkdir()
        (directory / name / "arrays.npz").write_bytes(b"\0" * 4096)
    save(directory, 400)
    assert sorted(p.name for p in directory.iterdir()) == ["step_000000200", "step_000000400"]


def test_a_failed_save_leaves_no_staging_and_the_previous_checkpoints(
    tmp_path: Path, monkeypatch: pytest.MonkeyPatch
) -> None:
    directory = tmp_path / "checkpoints"
    save(directory, 200)

    def disk_full(path: Path, data: object) -> None:
        raise OSError("No space left on device")

    monkeypatch.setattr(checkpoint, "write_json_atomic", disk_full)
    with pytest.raises(OSError, match="No space"):
        save(directory, 400)
    assert [p.name for p in directory.iterdir()] == ["step_000000200"]


def test_resume_target_reads_the_config_without_touching_the_arrays(tmp_path: Path) -> None:
    previous, newest = save(tmp_path / "checkpoints", 200), save(tmp_path / "checkpoints", 400)
    arrays = newest / "arrays.npz"
    arrays.write_bytes(arrays.read_bytes()[:100])  # truncated: its checksum no longer matches
    config, run_dir, found = resume_target(tmp_path)
    assert (config, run_dir, found) == (
        dataclasses.replace(CONFIG, resume=str(newest)),
        tmp_path,
        newest,
    )
    assert read_checkpoint_state(newest)["train"] == {"step": 400}
    with pytest.raises(ConfigError, match=re.escape(f"{arrays}: checksum mismatch")) as error:
        load_checkpoint(newest)  # the full load, as train_run does, still refuses them
    assert f"checkpoints/{previous.name} uses the previous one" in str(error.value)


@pytest.mark.parametrize(
    ("damage", "message"),
    [
        (lambda f: f.write_text(f.read_text()[:-30]), "checksum mismatch"),
        (lambda f: f.unlink(), "missing"),
    ],
    ids=["truncated", "deleted"],
)
def test_a_damaged_state_json_is_one_line_naming_the_file(
    tmp_path: Path, damage: Callable[[Path], object], message: str
) -> None:
    previous, newest = save(tmp_path / "checkpoints", 200), save(tmp_path / "checkpoints", 400)
    state = newest / "state.json"
    damage(state)
    with pytest.raises(ConfigError) as error:
        resume_target(tmp_path)
    text = str(error.value)
    assert text.startswith(f"damaged checkpoint file {state}: {message}") and "\n" not in text
    assert previous.name in text
    assert resume_target(previous)[2] == previous


def test_a_damaged_manifest_or_another_format_is_named(
    tmp_path: Path, monkeypatch: pytest.MonkeyPatch
) -> None:
    path = save(tmp_path / "a", 200)
    (path / "manifest.json").write_text("{not json")
    with pytest.raises(ConfigError, match=re.escape(str(path / "manifest.json"))):
        read_checkpoint_state(path)
    monkeypatch.setattr(checkpoint, "FORMAT_VERSION", 99)
    path = save(tmp_path / "b", 200)
    monkeypatch.undo()
    expected = f"has checkpoint format 99, expected {checkpoint.FORMAT_VERSION}"
    with pytest.raises(ConfigError, match=expected):
        read_checkpoint_state(path)


def test_rewind_logs_drops_csv_rows_and_tensorboard_events_after_the_step(tmp_path: Path) -> None:
    writer = MetricsWriter(tmp_path)
    for step in range(100, 700, 100):
        writer.scalars({"loss/critic": step / 1000, "eval/return_mean": -step}, step)
    writer.close()
    (event_file,) = (tmp_path / "tb").glob("events.out.tfevents.*")
    stale = tmp_path / "tb" / ".rewind-events.out.events.old.tmp"
    stale.write_bytes(event_file.read_bytes())  # as a kill during an earlier rewind leaves it
    cut = event_file.read_bytes()
    event_file.write_bytes(cut[: len(cut) - 7])  # the last record cut short by a kill
    with open(tmp_path / "scalars.csv", "a") as f:
        f.write("600,loss/cri")  # and the last CSV row too

    rewind_logs(tmp_path, 400)

    with open(tmp_path / "scalars.csv", newline="") as f:
        rows = list(csv.reader(f))
    assert rows[0] == ["step", "key", "value"]
    assert sorted({int(r[0]) for r in rows[1:]}) == [100, 200, 300, 400] and len(rows) == 9
    logged = [
        (value.tag, event.step)
        for path in (tmp_path / "tb").iterdir()
        for event in EventFileLoader(str(path)).Load()
        for value in event.summary.value
        if value.tag in ("loss/critic", "eval/return_mean")
    ]
    kept = [100, 200, 300, 400]
    assert sorted(logged) == [("eval/return_mean", s) for s in kept] + [
        ("loss/critic", s) for s in kept
    ]
    assert [p.name for p in (tmp_path / "tb").iterdir()] == [event_file.name]
