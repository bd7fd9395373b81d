"""The numbers experiments/baselines/README.md quotes, from the files committed beside it:
pendulum/ and mountaincar/ (compare's runs.csv and compare.csv of the runs at commit a942030),
before_issue19.csv (the figures this README gave before issue 19's seed streams) and times.txt."""

from __future__ import annotations

import json
from pathlib import Path

import pandas as pd

DEFAULTS = "none"  # compare's group label for the runs without +experiment
ENVS = {  # folder: (env id, solved score, seeds of the defaults that must reach it, seed preset)
    "pendulum": ("Pendulum-v1", -200.0, 10, "seed_pendulum"),
    "mountaincar": ("MountainCarContinuous-v0", 90.0, 5, "seed_mountaincar"),
}
BEFORE = {  # before_issue19.csv's setting: (folder, compare group)
    "defaults_pendulum": ("pendulum", DEFAULTS),
    "seed_pendulum": ("pendulum", "seed_pendulum"),
    "defaults_mountaincar": ("mountaincar", DEFAULTS),
    "seed_mountaincar": ("mountaincar", "seed_mountaincar"),
}


def read_runs(folder: Path) -> pd.DataFrame:
    return pd.read_csv(
        folder / "runs.csv", dtype={"run": str}, converters={"eval_curve": json.loads}
    )


def label(group: str) -> str:
    return "defaults" if group == DEFAULTS else f"`+experiment={group}`"


def steps(value: float) -> str:
    return "-" if pd.isna(value) else f"{int(value):,}"


def span(values: pd.Series) -> str:
    low, high = int(values.min()), int(values.max())
    return f"{low:,}" if low == high else f"{low:,}-{high:,}"


def interval(row: pd.Series, stat: str, low: str, high: str) -> str:
    return f"{row[stat]:.1f} [{row[low]:.1f}, {row[high]:.1f}]"


def seed_list(seeds: pd.Series) -> str:
    values = sorted(int(s) for s in seeds)
    contiguous = values == list(range(values[0], values[-1] + 1))
    return (
        f"{values[0]}-{values[-1]}"
        if contiguous and len(values) > 2
        else ", ".join(map(str, values))
    )


def runs_table(runs: pd.DataFrame) -> str:
    rows = [
        "| setting | seed | status | env steps | final eval | best eval | steps to solve |",
        "| --- | --- | --- | --- | --- | --- | --- |",
    ]
    order = runs.assign(first=runs["group"] != DEFAULTS).sort_values(["first", "group", "seed"])
    for r in order.itertuples():
        rows.append(
            f"| {label(r.group)} | {r.seed} | {r.status} | {r.env_steps:,} "
            f"| {r.final_eval_return:.1f} | {r.best_eval_return:.1f} | {steps(r.steps_to_solve)} |"
        )
    return "\n".join(rows)


def targets(folder: Path) -> str:
    lines = []
    for env, (env_id, solved, wanted, _) in ENVS.items():
        runs = read_runs(folder / env)
        runs = runs[runs["group"] == DEFAULTS]
        summary = pd.read_csv(folder / env / "compare.csv").set_index("group").loc[DEFAULTS]
        reached = int((runs["final_eval_return"] >= solved).sum())
        met = "met" if reached == wanted == len(runs) else "**not met**"
        lines.append(
            f"- **{env_id}, defaults: {reached}/{len(runs)} seeds end at or above {solved:.0f}** "
            f"(target {wanted}/{wanted}: {met}); mean final eval "
            f"{interval(summary, 'mean', 'mean_ci_low', 'mean_ci_high')} (95% CI, Student t); "
            f"first evaluation at or above {solved:.0f} at {span(runs['steps_to_solve'].dropna())} "
            f"env steps of the {int(runs['budget'].iloc[0]):,}-step budget."
        )
    return "\n".join(lines)


def groups(folder: Path) -> str:
    rows = [
        "| env | setting | runs | mean final eval [95% CI] | IQM [95% CI] "
        "| peak of mean curve [95% CI] (at step) | P(beats a run of the best group) [95% CI] "
        "| final eval >= solved | some eval >= solved | mean steps to solve |",
        "| --- | --- | --- | --- | --- | --- | --- | --- | --- | --- |",
    ]
    methods = set()
    for env, (env_id, *_) in ENVS.items():
        summary = pd.read_csv(folder / env / "compare.csv")
        for _, r in summary.iterrows():
            methods.add((r["ci_method"], int(r["resamples"]), int(r["bootstrap_seed"])))
            improve = (
                "best group"
                if pd.isna(r["p_improve_ci_low"])
                else f"{r['p_improve']:.2f} [{r['p_improve_ci_low']:.2f}, "
                f"{r['p_improve_ci_high']:.2f}]"
            )
            n = int(r["n_runs"])
            rows.append(
                f"| {env_id} | {label(r['group'])} | {n} "
                f"| {interval(r, 'mean', 'mean_ci_low', 'mean_ci_high')} "
                f"| {interval(r, 'iqm', 'iqm_ci_low', 'iqm_ci_high')} "
                f"| {interval(r, 'peak_of_mean_curve', 'peak_ci_low', 'peak_ci_high')} "
                f"({steps(r['peak_step'])}) | {improve} "
                f"| {round(r['frac_final_solved'] * n)}/{n} "
                f"| {round(r['frac_ever_solved'] * n)}/{n} "
                f"| {steps(r['steps_to_solve'])} |"
            )
    (method, resamples, seed), *others = methods
    assert not others, f"compare.csv files state different interval methods: {methods}"
    rows.append(
        f"\nIntervals as compare.csv states them: {method}; bootstraps draw {resamples:,} "
        f"resamples, seed {seed}."
    )
    return "\n".join(rows)


def presets(folder: Path) -> str:
    pendulum = read_runs(folder / "pendulum")
    preset = pendulum[pendulum["group"] == "seed_pendulum"]
    defaults = pendulum[pendulum["group"] == DEFAULTS]
    solved = ENVS["pendulum"][1]
    worst = preset.loc[preset["final_eval_return"].idxmin()]
    stopped = int((preset["status"] == "stopped_early").sum())
    pendulum_text = (
        f"- `seed_pendulum`: {stopped}/{len(preset)} runs stopped early, after "
        f"{span(preset['env_steps'])} env steps. Each reached {solved:.0f} at some evaluation "
        f"({int(preset['steps_to_solve'].notna().sum())}/{len(preset)}), first at "
        f"{span(preset['steps_to_solve'].dropna())} steps against "
        f"{span(defaults['steps_to_solve'].dropna())} for the defaults; "
        f"{int((preset['final_eval_return'] >= solved).sum())}/{len(preset)} end at or above it "
        f"(the lowest, seed {worst['seed']}, ends at {worst['final_eval_return']:.1f} after a best "
        f"of {worst['best_eval_return']:.1f})."
    )
    mountaincar = read_runs(folder / "mountaincar")
    preset = mountaincar[mountaincar["group"] == "seed_mountaincar"]
    solved = ENVS["mountaincar"][1]
    best = preset.loc[preset["best_eval_return"].idxmax()]
    best_step = max(best["eval_curve"], key=lambda point: point[1])[0]
    short = preset[preset["env_steps"] < preset["budget"]]
    ever = int((preset["best_eval_return"] >= solved).sum())
    mountaincar_text = (
        f"- `seed_mountaincar`: {ever}/{len(preset)} runs reach {solved:.0f} at any evaluation; "
        f"final evals {', '.join(f'{v:.1f}' for v in preset['final_eval_return'])} (seeds "
        f"{seed_list(preset['seed'])}). The best single evaluation, {best['best_eval_return']:.1f} "
        f"(seed {best['seed']} at {best_step:,} steps), was lost again by the end. Seeds "
        f"{seed_list(short['seed'])} ended their episodes before the "
        f"{int(preset['budget'].iloc[0]):,}-step budget "
        f"({', '.join(f'{v:,}' for v in short['env_steps'])} steps), so some of their "
        f"training episodes ended at the goal."
    )
    return pendulum_text + "\n" + mountaincar_text


def before_after(folder: Path) -> str:
    before = pd.read_csv(folder / "before_issue19.csv", dtype={"runs_at": str})
    rows = [
        "| setting | runs at commit | seeds | final eval per seed | final eval >= solved "
        "| mean final eval [95% CI] |",
        "| --- | --- | --- | --- | --- | --- |",
    ]
    inside_after: list[tuple[str, bool]] = []
    for setting, (env, group) in BEFORE.items():
        env_id, solved = ENVS[env][:2]
        old = before[before["setting"] == setting]
        seeds = old[old["statistic"] == "final_eval"]
        mean = old[old["statistic"] == "mean"]
        if mean.empty:
            old_mean = f"{seeds['value'].mean():.1f} (mean of the quoted values; no CI quoted)"
        else:
            m = mean.iloc[0]
            old_mean = (
                f"{m['value']:.1f} [{m['ci_low']:.1f}, {m['ci_high']:.1f}] ({m['ci_method']})"
            )
        (commit,) = set(seeds["runs_at"])
        name = f"{env_id}, {label(group)}"
        rows.append(
            f"| {name}, before | {commit} | {seed_list(seeds['seed'])} "
            f"| {', '.join(f'{v:.1f}' for v in seeds['value'])} "
            f"| {int((seeds['value'] >= solved).sum())}/{len(seeds)} | {old_mean} |"
        )
        runs = read_runs(folder / env)
        runs = runs[runs["group"] == group].sort_values("seed")
        summary = pd.read_csv(folder / env / "compare.csv").set_index("group").loc[group]
        old_value = seeds["value"].mean() if mean.empty else mean.iloc[0]["value"]
        inside = summary["mean_ci_low"] <= old_value <= summary["mean_ci_high"]
        inside_after.append((f"{env_id} {label(group)}", inside))
        rows.append(
            f"| {name}, after | a942030 | {seed_list(runs['seed'])} "
            f"| {', '.join(f'{v:.1f}' for v in runs['final_eval_return'])} "
            f"| {int((runs['final_eval_return'] >= solved).sum())}/{len(runs)} "
            f"| {interval(summary, 'mean', 'mean_ci_low', 'mean_ci_high')} (Student t) |"
        )
    rows.append("")
    rows.append(
        "The before mean lies inside the after interval for: "
        + ", ".join(f"{name}: {'yes' if inside else 'no'}" for name, inside in inside_after)
        + "."
    )
    return "\n".join(rows)


def times(folder: Path) -> str:
    measured = {}
    for line in (folder / "times.txt").read_text().splitlines():
        if line and not line.startswith("#"):
            part, rest = line.split(": ", 1)
            wall, user = (float(field.split()[0]) for field in rest.split(", "))
            measured[part] = (wall, user)
    parts = ", ".join(
        f"`{part}` {wall:.0f} s wall ({user:.0f} s of CPU)"
        for part, (wall, user) in measured.items()
    )
    return f"Each sweep ran two jobs at a time: {parts}."


def blocks(folder: Path) -> dict[str, str]:
    return {
        "runs_pendulum": runs_table(read_runs(folder / "pendulum")),
        "runs_mountaincar": runs_table(read_runs(folder / "mountaincar")),
        "targets": targets(folder),
        "groups": groups(folder),
        "presets": presets(folder),
        "before_after": before_after(folder),
        "times": times(folder),
    }
