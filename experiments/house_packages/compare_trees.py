"""Compare two output trees bit for bit: scalars.csv rows (perf/* aside), checkpoint arrays and
state.json (wall time aside), saved policy weights and policy.json. Exit 1 on any difference.

    python compare_trees.py BEFORE AFTER
"""

from __future__ import annotations

import csv
import json
import sys
from pathlib import Path

import h5py
import numpy as np


def scalar_rows(path: Path) -> list[list[str]]:
    with open(path, newline="") as f:
        return [row for row in csv.reader(f) if not row[1].startswith("perf/")]


def checkpoint_state(path: Path) -> dict:
    state = json.loads(path.read_text())
    state["train"].pop("wall_time_s", None)  # seconds of wall time: the one field allowed to move
    return state


def arrays_equal(a: Path, b: Path) -> bool:
    with np.load(a) as x, np.load(b) as y:
        return sorted(x.files) == sorted(y.files) and all(
            np.array_equal(x[k], y[k]) for k in x.files
        )


def weights(path: Path) -> list[tuple[str, np.ndarray]]:
    found: list[tuple[str, np.ndarray]] = []
    with h5py.File(path) as h5:
        h5.visititems(
            lambda name, o: found.append((name, o[()])) if isinstance(o, h5py.Dataset) else None
        )
    return found


def weights_equal(a: Path, b: Path) -> bool:
    x, y = weights(a), weights(b)
    return len(x) == len(y) and all(
        n == m and np.array_equal(u, v) for (n, u), (m, v) in zip(x, y, strict=True)
    )


def same(kind: str, a: Path, b: Path) -> bool:
    if kind == "scalars.csv":
        return scalar_rows(a) == scalar_rows(b)
    if kind == "arrays.npz":
        return arrays_equal(a, b)
    if kind == "state.json":
        return checkpoint_state(a) == checkpoint_state(b)
    if kind == "actor.weights.h5":
        return weights_equal(a, b)
    return json.loads(a.read_text()) == json.loads(b.read_text())  # policy.json


def main(before: Path, after: Path) -> int:
    kinds = {"scalars.csv", "arrays.npz", "state.json", "actor.weights.h5", "policy.json"}
    compared = differ = 0
    for a in sorted(before.rglob("*")):
        if a.name not in kinds or (a.name == "state.json" and "checkpoints" not in a.parts):
            continue
        b = after / a.relative_to(before)
        compared += 1
        if not b.is_file() or not same(a.name, a, b):
            differ += 1
            print(f"DIFFERS {a.relative_to(before)}")
    print(f"{compared} files compared, {differ} differ")
    return 1 if differ or not compared else 0


if __name__ == "__main__":
    raise SystemExit(main(Path(sys.argv[1]), Path(sys.argv[2])))
