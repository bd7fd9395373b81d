"""Training-state checkpoints: capture, atomic verified files (no pickle), restore, log rewind.

checkpoints/step_000001200/     (what goes in: ddpg.population.member_checkpoint)
  arrays.npz      networks, optimizers, replay buffer, noise, normalizers, episode actions
  state.json      counters, RNG states (numpy Generator, eval env), episode start, config
  manifest.json   sha256 of the two files above; written last, so its presence marks a whole one

A checkpoint is written into a hidden temporary folder and renamed into place, so a kill at any
moment leaves either the previous checkpoints or a complete new one (plus, at worst, a stale
`.tmp-*` folder that the next save removes). Resuming reads state.json alone to learn the run's
config (:func:`read_checkpoint_state`); the arrays are read and verified once, when training
restores them (:func:`load_checkpoint`).
"""

from __future__ import annotations

import csv
import hashlib
import json
import os
import shutil
from pathlib import Path
from typing import Any

import numpy as np

from ddpg.config.schema import ConfigError
from ddpg.storage.files import read_json_object, write_json_atomic
from ddpg.storage.staged import remove_staging, staged_folder

FORMAT_VERSION = 2  # 2: seeds by role (ddpg.algo.seeds), a replay Generator of its own
FILES = ("arrays.npz", "state.json")
STAGING_PREFIX = ".tmp-"


def _sha256(path: Path) -> str:
    digest = hashlib.sha256()
    with open(path, "rb") as f:
        for block in iter(lambda: f.read(1 << 20), b""):
            digest.update(block)
    return digest.hexdigest()


def save_checkpoint(
    directory: Path, step: int, arrays: dict[str, np.ndarray], state: dict[str, Any], keep: int
) -> Path:
    """Write checkpoint `step` under `directory` atomically and keep the newest `keep`.

    Staging folders left by a save that was killed part-way are removed first: each is as large
    as the replay buffer, and only this run's trainer writes into `directory`.
    """
    directory.mkdir(parents=True, exist_ok=True)
    remove_staging(directory, STAGING_PREFIX)
    final = directory / f"step_{step:09d}"
    with staged_folder(final, STAGING_PREFIX) as staging:
        with open(staging / "arrays.npz", "wb") as f:
            np.savez(f, **arrays)  # type: ignore[arg-type]  # numpy stubs miss **kwds
            f.flush()
            os.fsync(f.fileno())
        write_json_atomic(staging / "state.json", {**state, "format": FORMAT_VERSION})
        write_json_atomic(staging / "manifest.json", {n: _sha256(staging / n) for n in FILES})
    for old in list_checkpoints(directory)[:-keep]:
        shutil.rmtree(old, ignore_errors=True)
    return final


def list_checkpoints(directory: Path) -> list[Path]:
    """Completed checkpoint folders (with a manifest), oldest first."""
    if not directory.is_dir():
        return []
    found = [p for p in directory.glob("step_*") if (p / "manifest.json").is_file()]
    return sorted(found, key=lambda p: p.name)


def find_checkpoint(path: Path) -> Path:
    """The checkpoint to resume from: `path` itself, or the newest one in `path`/checkpoints."""
    path = Path(path)
    if not path.exists():
        raise ConfigError(f"resume={str(path)!r} is invalid: no such directory")
    if (path / "manifest.json").is_file():
        return path
    found = list_checkpoints(path / "checkpoints")
    if not found:
        raise ConfigError(f"resume={str(path)!r} is invalid: it holds no checkpoint")
    return found[-1]


class DamagedCheckpoint(ConfigError):
    """A checkpoint file that is missing or does not match its manifest: one line naming it."""

    def __init__(self, file: Path, problem: str, hint: str = "") -> None:
        self.file, self.problem = file, problem
        super().__init__(f"damaged checkpoint file {file}: {problem}{hint}")


def verify_checkpoint(path: Path) -> None:
    """Check every file of checkpoint `path` against its manifest (arrays hashed, not loaded).

    Raises:
        DamagedCheckpoint: The first file that is missing or damaged.
        ConfigError: state.json holds another checkpoint format.
    """
    path = Path(path)
    manifest = _read_manifest(path)
    _read_state(path, manifest)
    _verify(path, "arrays.npz", manifest)


def read_checkpoint_state(path: Path) -> dict[str, Any]:
    """state.json of checkpoint `path` (counters, RNG states, config), verified; arrays unread.

    Enough to learn a run's config before building anything; a damaged or missing manifest or
    state.json, or another checkpoint format, raises ConfigError naming the file.
    """
    path = Path(path)
    return _read_state(path, _read_manifest(path))


def load_checkpoint(path: Path) -> tuple[dict[str, np.ndarray], dict[str, Any]]:
    """Read and verify a whole checkpoint; a damaged file raises ConfigError naming it."""
    path = Path(path)
    manifest = _read_manifest(path)
    state = _read_state(path, manifest)
    _verify(path, "arrays.npz", manifest)
    with np.load(path / "arrays.npz", allow_pickle=False) as data:
        arrays = {key: data[key] for key in data.files}
    return arrays, state


def _read_state(path: Path, manifest: dict[str, Any]) -> dict[str, Any]:
    _verify(path, "state.json", manifest)
    file = path / "state.json"
    try:
        state = json.loads(file.read_text())
    except (OSError, ValueError) as error:  # matches its checksum, so written broken
        raise DamagedCheckpoint(file, str(error)) from None
    if not isinstance(state, dict) or state.get("format") != FORMAT_VERSION:
        found = state.get("format") if isinstance(state, dict) else None
        raise ConfigError(f"{file} has checkpoint format {found}, expected {FORMAT_VERSION}")
    return state


def _read_manifest(path: Path) -> dict[str, Any]:
    file = path / "manifest.json"
    try:
        return read_json_object(file)
    except ValueError as error:
        raise DamagedCheckpoint(file, str(error).removeprefix(f"{file}: ")) from None


def _verify(path: Path, name: str, manifest: dict[str, Any]) -> None:
    """Raise DamagedCheckpoint naming `path`/`name` (and the previous checkpoint) if it is off."""
    file = path / name
    if file.is_file() and _sha256(file) == manifest.get(name):
        return
    problem = "checksum mismatch" if file.is_file() else "missing"
    older = [p.name for p in list_checkpoints(path.parent) if p.name < path.name]
    hint = f"; resume=<that run>/checkpoints/{older[-1]} uses the previous one" if older else ""
    raise DamagedCheckpoint(file, problem, hint)


def rewind_logs(run_dir: Path, step: int) -> None:
    """Drop every logged scalar after `step` from scalars.csv and the TensorBoard event files.

    A run killed after its last checkpoint logged steps that the resumed run will log again;
    rewinding first leaves each step exactly once.
    """
    csv_path = run_dir / "scalars.csv"
    if csv_path.is_file():
        with open(csv_path, newline="") as f:
            rows = list(csv.reader(f))
        kept = [rows[0]] + [r for r in rows[1:] if len(r) == 3 and _int(r[0]) <= step]
        tmp = csv_path.with_suffix(".csv.tmp")
        with open(tmp, "w", newline="") as f:
            csv.writer(f).writerows(kept)
        os.replace(tmp, csv_path)
    tb_dir = run_dir / "tb"
    if tb_dir.is_dir():
        _rewind_event_files(tb_dir, step)


def _int(text: str) -> int:
    try:
        return int(text)
    except ValueError:
        return -1


def _rewind_event_files(tb_dir: Path, step: int) -> None:
    import tensorflow as tf
    from tensorboard.compat.proto import event_pb2

    # The rewritten copy's name lacks "tfevents", so neither TensorBoard nor a later rewind reads
    # one that a kill left behind as a second copy of the events.
    for stale in tb_dir.glob(".rewind-*.tmp"):
        stale.unlink(missing_ok=True)
    for path in sorted(tb_dir.glob("events.out.tfevents.*")):
        records = []
        try:
            for raw in tf.data.TFRecordDataset(str(path)):
                event = event_pb2.Event.FromString(raw.numpy())
                if not event.HasField("summary") or event.step <= step:
                    records.append(raw.numpy())
        except tf.errors.DataLossError:
            pass  # a record cut short by a kill: everything before it is kept
        tmp = tb_dir / f".rewind-{path.name.replace('tfevents', 'events')}.tmp"
        with tf.io.TFRecordWriter(str(tmp)) as writer:
            for record in records:
                writer.write(record)
        os.replace(tmp, path)
