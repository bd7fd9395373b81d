"""The numbers experiments/pbt/README.md quotes, from members.csv (collect.py) and times.txt.

A study's score is its best member's final eval (what a user of the study takes home) and its
members' median final eval (how the population did). Over the study seeds these are averaged
with a Student t interval (ddpg.analysis.intervals: the interval whose coverage
`python -m ddpg.analysis.coverage` measured closest to nominal at 3-5 runs). PBT and random
search of one study seed start from the same members (both draw them with a RandomSampler seeded
by the study seed), so their difference is taken per seed (paired).
"""

from __future__ import annotations

import json
from pathlib import Path

import numpy as np
import pandas as pd
from scipy.stats import binomtest

from ddpg.analysis.intervals import student_t

ENVS = {"pendulum": "Pendulum-v1", "mountaincar": "MountainCarContinuous-v0"}
ARMS = {"pbt": "PBT", "random": "random search", "defaults": "defaults"}
FINISHED = ("completed", "stopped_early")


def read(folder: Path) -> pd.DataFrame:
    return pd.read_csv(folder / "members.csv")


def ci(values: pd.Series | np.ndarray) -> str:
    x = np.asarray(values, dtype=float)
    if len(x) < 2:
        return "-" if len(x) == 0 else f"{x[0]:.1f} (one)"
    low, high = student_t(x)
    return f"{x.mean():.1f} [{float(low):.1f}, {float(high):.1f}]"


def per_study(runs: pd.DataFrame) -> pd.DataFrame:
    """Per study seed: best and median final eval of its members, env steps, counts."""
    grouped = runs.groupby("study_seed")
    return pd.DataFrame(
        {
            "best": grouped["final_eval_return"].max(),
            "median": grouped["final_eval_return"].median(),
            "env_steps": grouped["env_steps"].sum(),
            "members": grouped.size(),
            "diverged": grouped["status"].apply(lambda s: int((s == "diverged").sum())),
        }
    )


def results_table(runs: pd.DataFrame, env: str) -> str:
    rows = [
        "| arm | study seeds | members | best member's final eval | median member's final eval "
        "| env steps per study | diverged members |",
        "| --- | --- | --- | --- | --- | --- | --- |",
    ]
    for arm in ("pbt", "random"):
        s = per_study(runs[(runs.env == env) & (runs.arm == arm)])
        if s.empty:
            rows.append(f"| {ARMS[arm]} | not run yet | | | | | |")
            continue
        steps = s.env_steps.unique()
        rows.append(
            f"| {ARMS[arm]} | {len(s)} | {int(s.members.iloc[0])} | {ci(s.best)} | "
            f"{ci(s['median'])} | {', '.join(f'{int(v):,}' for v in steps)} | "
            f"{int(s.diverged.sum())} |"
        )
    d = runs[(runs.env == env) & (runs.arm == "defaults")]
    if d.empty:
        rows.append("| defaults | not run yet | | | | | |")
    else:
        rows.append(
            f"| defaults (seeds {d.seed.min()}-{d.seed.max()}, each run alone) | - | 1 | "
            f"mean over seeds: {ci(d.final_eval_return)} | | {int(d.env_steps.iloc[0]):,} per run "
            f"| {int((d.status == 'diverged').sum())} |"
        )
    return "\n".join(rows) + "\n"


def paired(runs: pd.DataFrame, env: str) -> str:
    pbt = per_study(runs[(runs.env == env) & (runs.arm == "pbt")])
    rnd = per_study(runs[(runs.env == env) & (runs.arm == "random")])
    seeds = sorted(set(pbt.index) & set(rnd.index))
    if not seeds:
        return f"{ENVS[env]}: no study seed has both arms yet.\n"
    lines = [f"{ENVS[env]}, PBT minus random search, paired by study seed ({len(seeds)} seeds):"]
    for stat, name in (("best", "best member"), ("median", "median member")):
        diff = pbt.loc[seeds, stat] - rnd.loc[seeds, stat]
        wins = int((diff > 0).sum())
        per_seed = ", ".join(f"{v:+.1f}" for v in diff)
        sign = binomtest(wins, len(seeds)).pvalue  # exact two-sided sign test
        lines.append(
            f"- {name}: {ci(diff)}; PBT higher in {wins} of {len(seeds)}, sign test p = "
            f"{sign:.3f} (per seed: {per_seed})"
        )
    return "\n".join(lines) + "\n"


def replay(runs: pd.DataFrame, env: str) -> str:
    """The study seed 0 winners, and their retraining from scratch on new seeds."""
    here = runs[runs.env == env]
    lines = []
    for arm, again, how in (
        ("pbt", "replay_pbt", "its schedule replayed from scratch"),
        ("random", "replay_random", "its values retrained from scratch"),
    ):
        study = here[(here.arm == arm) & (here.study_seed == 0) & here.status.isin(FINISHED)]
        redo = here[here.arm == again]
        if study.empty or redo.empty:
            lines.append(f"- {ARMS[arm]}: not run yet")
            continue
        best = study.loc[study.final_eval_return.idxmax()]
        seeds = f"seeds {redo.seed.min()}-{redo.seed.max()}"
        lines.append(
            f"- {ARMS[arm]}'s winner of study seed 0 ({best.member}): final eval "
            f"{best.final_eval_return:.1f} in the study; {how} on {seeds}: "
            f"{ci(redo.final_eval_return)} (each: "
            f"{', '.join(f'{v:.1f}' for v in redo.sort_values('seed').final_eval_return)})"
        )
    d = here[here.arm == "defaults"]
    if not d.empty:
        lines.append(f"- defaults, seeds {d.seed.min()}-{d.seed.max()}: {ci(d.final_eval_return)}")
    return "\n".join(lines) + "\n"


def copies(runs: pd.DataFrame, env: str) -> str:
    pbt = runs[(runs.env == env) & (runs.arm == "pbt")]
    if pbt.empty:
        return f"{ENVS[env]}: not run yet.\n"
    n = pbt.lineage.fillna("[]").map(lambda s: len(json.loads(s) if s else []))
    per = n.groupby(pbt.study_seed).sum()
    return (
        f"{ENVS[env]}: {int(per.sum())} copies in {len(per)} studies "
        f"({', '.join(str(int(v)) for v in per)} per study).\n"
    )


def times(folder: Path) -> str:
    lines = [line for line in (folder / "times.txt").read_text().splitlines() if ":" in line]
    return "\n".join(line for line in lines if not line.startswith("#")) + "\n"


def blocks(folder: Path) -> dict[str, str]:
    runs = read(folder)
    out = {"times": times(folder)}
    for env in ENVS:
        out[f"results:{env}"] = results_table(runs, env)
        out[f"paired:{env}"] = paired(runs, env)
        out[f"replay:{env}"] = replay(runs, env)
        out[f"copies:{env}"] = copies(runs, env)
    return out
