"""The numbers experiments/pbt/README.md quotes, from members.csv (collect.py), times.txt and
snapshot_cost.csv (snapshot_cost.py).

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
from typing import Any

import numpy as np
import pandas as pd
from scipy.stats import binomtest

from ddpg.analysis.intervals import student_t

ENVS = {"pendulum": "Pendulum-v1", "mountaincar": "MountainCarContinuous-v0"}
ARMS = {"pbt": "PBT", "random": "random search", "defaults": "defaults"}
FINISHED = ("completed", "stopped_early")
TIE = 1.0  # MountainCar returns span about -100 to 100: a smaller paired difference is a tie


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


#: The TD3 protocol's HalfCheetah study (conf/experiment/td3_protocol.yaml): budget and eval
#: cadence, so a snapshot every 5,000 env steps unless trainer.checkpoint_every says otherwise.
PROTOCOL_STEPS, PROTOCOL_EVAL_EVERY = 1_000_000, 5_000
THINNED = 50_000  # the trainer.checkpoint_every the README's example sets
KEEP = 2  # trainer.keep_checkpoints: snapshots kept, a third staged while one is written


def snapshot_costs(folder: Path) -> pd.DataFrame:
    """snapshot_cost.csv's medians over repeats, per case and population size."""
    rows = pd.read_csv(folder / "snapshot_cost.csv", comment="#")
    keys = ["case", "env_id", "members", "obs_dim", "action_dim", "network"]
    keys += ["buffer_size", "transitions_per_member"]
    numbers = ["snapshot_gb", "write_s", "read_s", "restore_s", "checkpoints_gb", "checkpoints_s"]
    return rows.groupby(keys, sort=False)[numbers].median().reset_index()


def snapshot_table(folder: Path) -> str:
    lines = [
        "| env (network) | members | transitions per member | snapshot on disk (GB) | write (s) "
        "| read from disk (s) | restore (s) | members' own checkpoints (GB, s) |",
        "| --- | --- | --- | --- | --- | --- | --- | --- |",
    ]
    for r in snapshot_costs(folder).itertuples():
        lines.append(
            f"| {r.env_id} ({r.network}) | {r.members} | {r.transitions_per_member:,} | "
            f"{r.snapshot_gb:.3g} | {r.write_s:.2f} | {r.read_s:.2f} | {r.restore_s:.2f} | "
            f"{r.checkpoints_gb:.3g}, {r.checkpoints_s:.2f} |"
        )
    return "\n".join(lines) + "\n"


def _study_writes(r: Any, every: int, gb: float, seconds: float) -> tuple[int, float, float]:
    """Writes, GB and seconds of one write of `gb` GB (taking `seconds` when the buffers are
    full) every `every` steps of the 1M-step study, its buffers growing one row per step (size
    and time taken as linear in the rows)."""
    replay = r.members * r.buffer_size * (2 * r.obs_dim + r.action_dim + 2) * 4 / 1e9  # float32
    fixed = gb - replay  # networks, optimizer state, normalizers, RNGs
    steps = np.arange(every, PROTOCOL_STEPS + 1, every)
    sizes = fixed + replay * np.minimum(steps / r.buffer_size, 1.0)
    return len(steps), float(sizes.sum()), seconds * float(sizes.sum()) / gb


def snapshot_study(folder: Path) -> str:
    """What the full-buffer HalfCheetah figures add up to over a 1M-step study."""
    costs = snapshot_costs(folder)
    lines = []
    for r in costs[costs.case == "halfcheetah"].itertuples():
        n, gb, s = _study_writes(r, PROTOCOL_EVAL_EVERY, r.snapshot_gb, r.write_s)
        thin_n, thin_gb, thin_s = _study_writes(r, THINNED, r.snapshot_gb, r.write_s)
        _, own_gb, own_s = _study_writes(r, THINNED, r.checkpoints_gb, r.checkpoints_s)
        lines.append(
            f"- {r.members} members: by default {n} snapshots, {gb:,.0f} GB written in about "
            f"{s / 60:.0f} min; with `trainer.checkpoint_every={THINNED}`, {thin_n} snapshots "
            f"and each member's own checkpoints at the same steps, {thin_gb + own_gb:,.0f} GB in "
            f"about {(thin_s + own_s) / 60:.0f} min. Up to {(KEEP + 1) * r.snapshot_gb:.1f} GB "
            f"of snapshots on disk at once ({KEEP} kept, one being written)."
        )
    return "\n".join(lines) + "\n"


def snapshot_readme(folder: Path) -> str:
    """The project README's sentence: the largest measured snapshot."""
    costs = snapshot_costs(folder)
    r = costs[costs.case == "halfcheetah"].sort_values("members").iloc[-1]
    return (
        f"With {r.members} HalfCheetah members' full {r.buffer_size:,}-transition buffers a "
        f"snapshot is {r.snapshot_gb:.3g} GB and took {r.write_s:.0f} s to write on the 2-core "
        f"development machine, the loop waiting, at every evaluation "
        f"(`experiments/pbt/snapshot_cost.csv`); on Pendulum it is noise.\n"
    )


def _copy_replay_arms(
    folder: Path,
) -> tuple[pd.DataFrame, pd.DataFrame, pd.DataFrame, list[int]]:
    """copy_replay_members.csv, its two arms per study seed, and the seeds both arms ran."""
    runs = pd.read_csv(folder / "copy_replay_members.csv")
    plain = per_study(runs[runs.arm == "pbt"])
    copied = per_study(runs[runs.arm == "pbt_copy_replay"])
    return runs, plain, copied, sorted(set(plain.index) & set(copied.index))


def copy_replay(folder: Path) -> str:
    """MountainCar PBT with and without `tune.pbt.copy_replay`, paired by study seed
    (copy_replay_members.csv: copy_replay.sh's studies), and the plain arm against the same
    seeds' PBT studies of members.csv (run at 08f4c22, before ties were broken at random)."""
    runs, plain, copied, seeds = _copy_replay_arms(folder)
    if not seeds:
        return "No study seed has both arms yet.\n"
    rows = [
        "| arm | study seeds | best member's final eval | median member's final eval "
        "| members ending >= 90 (of 8 per study) |",
        "| --- | --- | --- | --- | --- |",
    ]
    for name, arm, table in (
        ("own replay (default)", "pbt", plain),
        ("`copy_replay=true`", "pbt_copy_replay", copied),
    ):
        here = runs[(runs.arm == arm) & runs.study_seed.isin(seeds)]
        solved = here.groupby("study_seed").final_eval_return.apply(lambda v: int((v >= 90).sum()))
        rows.append(
            f"| {name} | {len(seeds)} | {ci(table.loc[seeds, 'best'])} "
            f"| {ci(table.loc[seeds, 'median'])} | {', '.join(map(str, solved.loc[seeds]))} |"
        )
    lines = [
        "\n".join(rows),
        "",
        "`copy_replay=true` minus the default, paired by study seed (a difference under "
        f"{TIE} return counts as a tie, left out of the sign test):",
    ]
    for stat, label in (("best", "best member"), ("median", "median member")):
        diff = copied.loc[seeds, stat] - plain.loc[seeds, stat]
        higher, lower = int((diff >= TIE).sum()), int((diff <= -TIE).sum())
        decided = higher + lower
        sign = f"{binomtest(higher, decided).pvalue:.3f}" if decided else "-"
        lines.append(
            f"- {label}: {ci(diff)}; higher in {higher}, lower in {lower}, tied in "
            f"{len(seeds) - decided} of {len(seeds)}, sign test p = {sign} "
            f"(per seed: {', '.join(f'{v:+.1f}' for v in diff)})"
        )
    earlier = per_study(read(folder).query("env == 'mountaincar' and arm == 'pbt'"))
    same = [k for k in seeds if k in earlier.index]
    if same:
        medians = ", ".join(
            f"{earlier.loc[k, 'median']:.1f} / {plain.loc[k, 'median']:.1f}" for k in same
        )
        lines.append(
            f"- The default arm against the same seeds' PBT studies of 08f4c22 (median member, "
            f"then / now): {medians}."
        )
    return "\n".join(lines) + "\n"


def copy_replay_readme(folder: Path) -> str:
    """The project README's line: the paired median and best differences, copy minus own."""
    runs, plain, copied, seeds = _copy_replay_arms(folder)
    if not seeds:
        return "Measured on MountainCar: not yet (no study seed has both arms).\n"
    best = copied.loc[seeds, "best"] - plain.loc[seeds, "best"]
    median = copied.loc[seeds, "median"] - plain.loc[seeds, "median"]
    return (
        f"On MountainCar (8 members x 100k, {len(seeds)} study seeds, `experiments/pbt/`), "
        f"`copy_replay=true` minus the default: best member {ci(best)}, median member "
        f"{ci(median)} (paired by study seed, 95% Student t).\n"
    )


def blocks(folder: Path) -> dict[str, str]:
    runs = read(folder)
    out = {"times": times(folder)}
    out["snapshot_cost"] = snapshot_table(folder)
    out["snapshot_study"] = snapshot_study(folder)
    out["readme_snapshot"] = snapshot_readme(folder)
    out["copy_replay"] = copy_replay(folder)
    out["readme_copy_replay"] = copy_replay_readme(folder)
    for env in ENVS:
        out[f"results:{env}"] = results_table(runs, env)
        out[f"paired:{env}"] = paired(runs, env)
        out[f"replay:{env}"] = replay(runs, env)
        out[f"copies:{env}"] = copies(runs, env)
    return out
