"""A population's snapshot at one loop tick, for a study that changes members as they train
(slots refilled with new trials, population-based training): every slot's checkpoint content
(ddpg.population.member_checkpoint, ended members' too), the loop's tick, each slot's offset and
run folder, the slots freed and not yet refilled, and the state of the study that drives the
population, all in one checkpoint folder (ddpg.storage.checkpoint: written staged, renamed into
place, its manifest marking it whole), so a kill at any moment leaves the previous snapshot or
the new one, never a mix.

    <tune.dir>/snapshots/step_000000007/   the study's 7th snapshot (arrays.npz: `slot<k>/<name>`)

A plain population (no study) never snapshots: its members checkpoint into their own run
folders as before. What goes in, and putting it back, is ddpg.population.checkpointing's.
"""

from __future__ import annotations

from collections.abc import Callable
from dataclasses import dataclass
from pathlib import Path
from typing import Any

import numpy as np

from ddpg.config.schema import RunConfig, from_mapping
from ddpg.storage.checkpoint import list_checkpoints, save_checkpoint


@dataclass
class Snapshots:
    """Where and how often a study's population snapshots, and what the study adds to each."""

    directory: Path
    every: int  # loop ticks between snapshots
    keep: int  # the newest snapshots kept
    study_state: Callable[[], dict[str, Any]]  # the study's own state, JSON-safe
    restore_from: Path | None = None  # a snapshot to continue from (its population's members)


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
