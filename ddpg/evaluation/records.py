"""`<run_dir>/evaluation.json`: every evaluation of a run's policy, kept, appended atomically.

    {"evaluations": [{"seed": 0, "episodes": 10, "returns": [...], "mean": ..., ...}, ...]}

Records are appended, oldest first, never replaced: a 1-episode video run after a 10-episode
evaluation adds a record beside it. Each write goes through a temporary file and a rename, so a
reader sees the old file or the new one, and concurrent evaluations of one run take turns under
a lock on the run's folder, so neither drops the other's record.
"""

from __future__ import annotations

import fcntl
import json
import os
from pathlib import Path
from typing import Any

from ddpg.config.schema import ConfigError
from ddpg.storage.files import write_json_atomic

RESULT_FILE = "evaluation.json"


def read_evaluations(path: Path) -> list[dict[str, Any]]:
    """The evaluations recorded in `path`, oldest first; [] if there is no file yet.

    A file from before records were kept (a single evaluation) counts as one record.

    Raises:
        ConfigError: naming `path` when it holds something else, so that it is never
            overwritten by a new record.
    """
    try:
        data = json.loads(Path(path).read_text())
    except FileNotFoundError:
        return []
    except (OSError, ValueError) as error:
        raise ConfigError(f"{path} cannot be read ({error}); move it away to record more") from None
    if isinstance(data, dict) and isinstance(data.get("evaluations"), list):
        return list(data["evaluations"])
    if isinstance(data, dict) and "returns" in data:
        return [data]
    raise ConfigError(f"{path} holds no evaluation records; move it away to record more")


def append_evaluation(path: Path, record: dict[str, Any]) -> list[dict[str, Any]]:
    """Add `record` after the evaluations already in `path`; returns them all, oldest first.

    Raises:
        ConfigError: `path` holds something other than evaluations (left as it is).
    """
    path = Path(path)
    folder = os.open(path.parent, os.O_RDONLY)
    try:
        # Read and write under one lock: another evaluation's record, appended between our
        # read and our rename, would otherwise be lost.
        fcntl.flock(folder, fcntl.LOCK_EX)
        records = [*read_evaluations(path), record]
        write_json_atomic(path, {"evaluations": records})
    finally:
        os.close(folder)  # releases the lock
    return records
