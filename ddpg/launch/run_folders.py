"""Where Hydra puts a run (the `ddpg_run_dir` resolver), and removing what it made for a run that
never started, so a rejected single run leaves nothing behind."""

from __future__ import annotations

import shutil
from pathlib import Path
from typing import Any


def resumed_run_dir(resume: str) -> Path | None:
    """The folder that `resume=<run_dir, checkpoint or population/sweep folder>` names, if any."""
    path = Path(resume)
    if (path / "manifest.json").is_file():
        path = path.parent.parent
    if (path / "checkpoints").is_dir() or any(path.glob("*/checkpoints")):
        return path
    return None


def hydra_run_dir(resume: str | None, now: str, env_name: str, seed: Any, size: Any = 1) -> str:
    """Where Hydra puts a single run: a new run folder (a population's holds one per member);
    for `resume=`, a folder for Hydra's record of the resume inside the resumed folder's .hydra
    (training continues in the run folders).

    A seed or size that is not an integer still names a folder, so that the run's validation,
    not Hydra, reports it (with the key's name).
    """
    if resume is None:
        counted = isinstance(seed, int) and isinstance(size, int) and size > 1
        seeds = f"{seed}-{seed + size - 1}" if counted else f"{seed}"
        path = f"outputs/runs/{now}_{env_name}_seed{seeds}"
    else:
        run_dir = resumed_run_dir(resume)
        path = (
            str(run_dir / ".hydra" / f"resume_{now}") if run_dir else f"outputs/runs/{now}_resume"
        )
    _note_new_folders(Path(path))
    return path


#: Hydra's run folder (absolute) -> the outermost of its folders that did not exist before Hydra
#: made it, so that a run that never starts removes what Hydra made for it and nothing else.
_NEW_FOLDERS: dict[Path, Path] = {}


def _note_new_folders(path: Path) -> None:
    """Note, at the first resolution of the run folder (before Hydra makes it), which of its
    folders are new."""
    path = path.absolute()
    if path in _NEW_FOLDERS or path.exists():
        return
    outermost = path
    while not outermost.parent.exists():
        outermost = outermost.parent
    _NEW_FOLDERS[path] = outermost


def remove_unstarted(hydra_dir: Path) -> None:
    """Remove what Hydra made for a run that never started: its record, then the folder if
    nothing else is in it, then the empty folders Hydra made above it (`outputs/runs/` on a
    first run; never another run's files, never a folder that was there before)."""
    shutil.rmtree(hydra_dir / ".hydra", ignore_errors=True)
    outermost = _NEW_FOLDERS.get(hydra_dir.absolute(), hydra_dir.absolute())
    folder = hydra_dir.absolute()
    while folder == outermost or outermost in folder.parents:
        try:
            folder.rmdir()  # only when empty
        except OSError:
            return
        folder = folder.parent
