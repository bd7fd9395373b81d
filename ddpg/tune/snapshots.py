"""A study's snapshots on disk, and what continuing from one puts back besides the population.

A study (tune.algorithm optuna or pbt) snapshots its training population every
`trainer.checkpoint_every` loop ticks (else every `trainer.eval_every`) into
`<tune.dir>/snapshots/` (ddpg.population.snapshot: every member at one tick, written whole or
not at all), and once at its start. Rerunning the same command continues from the newest one;
the finished study is bit-identical to an uninterrupted one. For an Optuna study the snapshot
also holds the journal's length and checksum at that moment (the journal is append-only: cut
back to that length it is the study as it stood, so the next asks number and sample as they
would have) and the sampler's random state (Optuna keeps it in memory only). Trial folders of
trials asked after the snapshot are removed before the journal is cut back; a trial running in
another live process refuses the continuation (one process works on a snapshotted study). A
study that ends removes its snapshots (renamed away first, so a kill leaves them whole or gone).
"""

from __future__ import annotations

import hashlib
import os
import shlex
import shutil
from dataclasses import dataclass
from pathlib import Path
from typing import Any

import numpy as np
import optuna
from optuna.storages import JournalStorage
from optuna.storages.journal import JournalFileBackend
from optuna.trial import TrialState

from ddpg.config.schema import ConfigError, RunConfig
from ddpg.storage.checkpoint import list_checkpoints, read_checkpoint_state, verify_checkpoint
from ddpg.tune.trials import is_dead

FOLDER = "snapshots"


def snapshot_dir(tune_dir: str | Path) -> Path:
    """Where a study's snapshots live."""
    return Path(tune_dir) / FOLDER


def snapshot_every(base: RunConfig) -> int:
    """Loop ticks between snapshots: trainer.checkpoint_every, else trainer.eval_every."""
    return base.trainer.checkpoint_every or base.trainer.eval_every


def latest_snapshot(tune_dir: str | Path) -> tuple[Path, dict[str, Any]] | None:
    """The newest snapshot and its state.json, verified; None without one.

    Raises:
        ConfigError: It is damaged (naming the file).
    """
    found = list_checkpoints(snapshot_dir(tune_dir))
    if not found:
        return None
    verify_checkpoint(found[-1])
    return found[-1], read_checkpoint_state(found[-1])


def finish(tune_dir: str | Path) -> None:
    """The study ended: remove its snapshots (renamed away first: gone in one step)."""
    folder = snapshot_dir(tune_dir)
    if not folder.is_dir():
        return
    gone = folder.with_name(f".{FOLDER}-done")
    shutil.rmtree(gone, ignore_errors=True)
    os.replace(folder, gone)
    shutil.rmtree(gone, ignore_errors=True)


def journal_mark(storage: str | Path) -> dict[str, Any]:
    """The journal's length and the sha256 of its content now."""
    data = Path(storage).read_bytes() if Path(storage).is_file() else b""
    return {"size": len(data), "sha256": hashlib.sha256(data).hexdigest()}


def rewind_journal(storage: str | Path, mark: dict[str, Any]) -> None:
    """Cut the journal back to `mark` (what `journal_mark` gave at the snapshot).

    Raises:
        ConfigError: Its first `size` bytes are not what they were (another journal).
    """
    path = Path(storage)
    data = path.read_bytes() if path.is_file() else b""
    size = int(mark["size"])
    if len(data) < size or hashlib.sha256(data[:size]).hexdigest() != mark["sha256"]:
        raise ConfigError(
            f"tune.storage={storage} is not the journal the study's newest snapshot was taken "
            f"with: remove {snapshot_dir(path.parent)} to continue from the journal alone"
        )
    if len(data) > size:
        with open(path, "r+b") as f:
            f.truncate(size)
            f.flush()
            os.fsync(f.fileno())


def drop_later_trials(storage: str | Path, study_name: str, first: int) -> None:
    """Remove the folders of the study's trials numbered `first` and on (asked after the
    snapshot; continuing asks them again).

    Raises:
        ConfigError: A trial is running in another live process: cutting the journal back
            would take its trials away.
    """
    if not Path(storage).is_file():
        return
    backend = JournalStorage(JournalFileBackend(str(storage)))
    try:
        study = optuna.load_study(study_name=study_name, storage=backend)
    except KeyError:
        return
    for trial in study.get_trials(deepcopy=False, states=(TrialState.RUNNING,)):
        if not is_dead(trial.user_attrs.get("worker")):
            raise ConfigError(
                f"study {study_name} in {storage} has trial {trial.number} running in another "
                f"process ({trial.user_attrs.get('worker')}): continue it once that one ends"
            )
    for trial in study.get_trials(deepcopy=False)[first:]:
        run_dir = trial.user_attrs.get("run_dir")
        if run_dir:
            shutil.rmtree(run_dir, ignore_errors=True)


def _random_states(sampler: optuna.samplers.BaseSampler) -> list[np.random.RandomState]:
    """The sampler's random states (Optuna's private LazyRandomState: no public accessor); the
    TPE sampler draws its start-up trials from a RandomSampler of its own."""
    samplers = [sampler, getattr(sampler, "_random_sampler", None)]
    return [s._rng.rng for s in samplers if s is not None and hasattr(s, "_rng")]  # type: ignore[attr-defined]


def sampler_state(sampler: optuna.samplers.BaseSampler) -> list[list[Any]]:
    """The sampler's random states, JSON-safe."""
    out = []
    for rng in _random_states(sampler):
        name, keys, pos, has_gauss, gauss = rng.get_state(legacy=True)  # type: ignore[misc]
        out.append([name, np.asarray(keys).tolist(), int(pos), int(has_gauss), float(gauss)])
    return out


def load_sampler_state(sampler: optuna.samplers.BaseSampler, state: list[list[Any]]) -> None:
    """Put `sampler_state` back."""
    for rng, (name, keys, pos, has_gauss, gauss) in zip(
        _random_states(sampler), state, strict=True
    ):
        rng.set_state((name, np.asarray(keys, np.uint32), pos, has_gauss, gauss))


def continue_command(task: list[str]) -> str:
    """The command that continues the study: the same one."""
    return shlex.join(["python", "-m", "ddpg.tune", *task])


@dataclass
class StudySnapshots:
    """An Optuna study's snapshots: where, how often, its journal, and the one to continue."""

    directory: Path
    every: int
    keep: int
    storage: str
    resume: tuple[Path, dict[str, Any]] | None = None
