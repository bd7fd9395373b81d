"""Gather the run folders of experiments/pbt/run.sh (and replay.sh) into the committed members.csv.

    python experiments/pbt/collect.py OUT            # OUT: run.sh's output folder

One row per run: env, arm (pbt, random, defaults, replay_pbt, replay_random), study seed (the
`tune.seed` and `seed` of the study; the run seed of a replay), member (folder name), seed,
status, env steps, final and best eval, the eval curve ([[step, mean], ...]), the first
hyperparameters, and for PBT members their schedule and lineage (the JSON of schedule.json and
lineage.json). Only finished studies (OUT/<study>/.done) are read. quoted_numbers.py computes
every figure of the README from this file alone.
"""

from __future__ import annotations

import argparse
import json
import sys
from pathlib import Path

import pandas as pd

HERE = Path(__file__).resolve().parent
HYPERPARAMETERS = (
    "agent.actor_lr",
    "agent.critic_lr",
    "agent.gamma",
    "agent.tau",
    "noise.name",
    "noise.sigma",
)
COLUMNS = (
    "env",
    "arm",
    "study_seed",
    "member",
    "seed",
    "status",
    "env_steps",
    "final_eval_return",
    "best_eval_return",
    "eval_curve",
    "params",
    "schedule",
    "lineage",
)


def _json(path: Path) -> object:
    return json.loads(path.read_text()) if path.exists() else None


def _eval_curve(run: Path) -> list[list[float]]:
    scalars = pd.read_csv(run / "scalars.csv")
    rows = scalars[scalars["key"] == "eval/return_mean"]
    return [[int(s), float(v)] for s, v in zip(rows["step"], rows["value"], strict=True)]


def read_run(run: Path, env: str, arm: str, study_seed: int) -> dict[str, object]:
    """One row of members.csv from a finished run folder."""
    summary = json.loads((run / "summary.json").read_text())
    params = json.loads((run / "params.json").read_text())
    schedule, lineage = _json(run / "schedule.json"), _json(run / "lineage.json")
    return {
        "env": env,
        "arm": arm,
        "study_seed": study_seed,
        "member": run.name,
        "seed": summary["seed"],
        "status": summary["status"],
        "env_steps": summary["env_steps"],
        "final_eval_return": summary["final_eval_return"],
        "best_eval_return": summary["best_eval_return"],
        "eval_curve": json.dumps(_eval_curve(run)),
        "params": json.dumps({k: params.get(k) for k in HYPERPARAMETERS}),
        "schedule": "" if schedule is None else json.dumps(schedule["schedule"]),
        "lineage": "" if lineage is None else json.dumps(lineage["copies"]),
    }


def studies(out: Path) -> list[tuple[str, str, int, Path]]:
    """(env, arm, study seed, folder) of each finished study: OUT/<env>/<arm>/s<seed>/ or
    OUT/<env>/defaults/ (seed 0; its members are its population's seeds)."""
    found = []
    for done in sorted(out.glob("*/*/.done")) + sorted(out.glob("*/*/s*/.done")):
        folder = done.parent
        if folder.name.startswith("s") and folder.name[1:].isdigit():
            env, arm, seed = folder.parent.parent.name, folder.parent.name, int(folder.name[1:])
        else:
            env, arm, seed = folder.parent.name, folder.name, 0
        found.append((env, arm, seed, folder))
    return found


def collect(out: Path) -> pd.DataFrame:
    rows = []
    for env, arm, seed, folder in studies(out):
        for summary in sorted(folder.rglob("summary.json")):
            rows.append(read_run(summary.parent, env, arm, seed))
    return pd.DataFrame(rows, columns=list(COLUMNS))


def main(argv: list[str] | None = None) -> int:
    parser = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    parser.add_argument("out", type=Path, help="run.sh's output folder")
    parser.add_argument("--to", type=Path, default=HERE / "members.csv")
    args = parser.parse_args(argv)
    if not args.out.is_dir():
        print(f"collect.py: not a folder: {args.out}", file=sys.stderr)
        return 2
    table = collect(args.out)
    if table.empty:
        print(f"collect.py: no finished study (<study>/.done) under {args.out}", file=sys.stderr)
        return 2
    tmp = args.to.with_suffix(".csv.tmp")
    table.to_csv(tmp, index=False)
    tmp.replace(args.to)
    counts = table.groupby(["env", "arm"]).size()
    print(f"{args.to}: {len(table)} runs\n{counts.to_string()}")
    return 0


if __name__ == "__main__":
    raise SystemExit(main())
