"""A population's snapshot at one loop tick, for a study that changes members as they train
(slots refilled with new trials, population-based training): every slot's checkpoint content
(ddpg.population.member_checkpoint, ended members' too), the loop's tick, each slot's offset and
run folder, the slots freed and not yet refilled, and the state of the study that drives the
population, all in one checkpoint folder (ddpg.storage.checkpoint: written staged, renamed into
place, its manifest marking it whole), so a kill at any moment leaves the previous snapshot or
the new one, never a mix.

    <tune.dir>/snapshots/step_000000007/   the study's 7th snapshot (arrays.npz: `slot<k>/<name>`)

A plain population (no study) never snapshots: its members checkpoint into their own run
folders as before.
"""

from __future__ import annotations

from collections.abc import Callable
from dataclasses import dataclass
from pathlib import Path
from typing import TYPE_CHECKING, Any

import numpy as np

from ddpg.config.schema import RunConfig, from_mapping
from ddpg.storage.checkpoint import list_checkpoints, save_checkpoint

if TYPE_CHECKING:
    from ddpg.population.trainer import Trainer


@dataclass
class Snapshots:
    """Where and how often a study's population snapshots, and what the study adds to each."""

    directory: Path
    every: int  # loop ticks between snapshots
    keep: int  # the newest snapshots kept
    study_state: Callable[[], dict[str, Any]]  # the study's own state, JSON-safe
    restore_from: Path | None = None  # a snapshot to continue from (its population's members)


def save_snapshot(trainer: Trainer, snapshots: Snapshots) -> Path:
    """Snapshot every slot of `trainer` at its current tick, with the study's state."""
    # Here, not at the top: a study imports this module before TensorFlow is wanted.
    from ddpg.population.member_checkpoint import capture_member, learner_member_states

    c, records = trainer.c, trainer.records
    learner_states = learner_member_states(c.agent.learner)
    arrays: dict[str, np.ndarray] = {}
    slots = []
    for k in range(trainer.members):
        state = records.states[k]
        kept = state.last_checkpoint_step  # a snapshot is no checkpoint in the member's folder
        records.sync_state(k)
        state.last_checkpoint_step = kept
        tape = trainer.envs.tapes[k]
        member, saved = capture_member(c, k, learner_states[k], tape, state, trainer.configs[k])
        arrays.update({f"slot{k}/{name}": value for name, value in member.items()})
        slots.append(saved | {"run_dir": str(trainer.store.run_dirs[k])})
    snapshot = {
        "tick": trainer.tick,
        "offsets": trainer.offsets.tolist(),
        "freed": [int(k) for k in trainer.freed],
        "slots": slots,
        "study": snapshots.study_state(),
    }
    return save_study_state(snapshots.directory, arrays, snapshot, snapshots.keep)


def save_study_state(
    directory: Path, arrays: dict[str, np.ndarray], state: dict[str, Any], keep: int
) -> Path:
    """Write the next snapshot in `directory` (numbered on from the newest), keep `keep`."""
    found = list_checkpoints(directory)
    number = int(found[-1].name.split("_")[1]) + 1 if found else 1
    return save_checkpoint(directory, number, arrays, state, keep)


def snapshot_members(state: dict[str, Any]) -> tuple[list[RunConfig], list[Path]]:
    """Each slot's config and run folder in a snapshot's state.json."""
    slots = state["slots"]
    configs = [from_mapping(RunConfig, slot["config"]) for slot in slots]
    return configs, [Path(slot["run_dir"]) for slot in slots]


def restore_snapshot(
    trainer: Trainer, arrays: dict[str, np.ndarray], state: dict[str, Any]
) -> None:
    """Put a snapshot back into `trainer` (built with `snapshot_members`' configs and folders):
    every slot's components and counters, envs replayed to their step, tick, offsets, free slots."""
    slots = state["slots"]
    member_arrays = {
        k: {n[len(f"slot{k}/") :]: v for n, v in arrays.items() if n.startswith(f"slot{k}/")}
        for k in range(len(slots))
    }
    restored = trainer.store.restore(member_arrays, dict(enumerate(slots)))
    for k, (train, _) in restored.items():
        trainer.records.resume(k, train)
    trainer.envs.replay({k: tape for k, (_, tape) in restored.items()})
    trainer.tick = int(state["tick"])
    trainer.offsets[:] = np.asarray(state["offsets"], np.int64)
    trainer.freed = [int(k) for k in state["freed"]]
