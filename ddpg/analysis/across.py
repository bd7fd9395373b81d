"""Compare settings across tasks: normalized scores, stratified-bootstrap aggregates, profiles.

``python -m ddpg.compare PATH... --by reward_norm --across env [--metric M] [--out DIR]``
answers "does this setting help?" over several envs at once. Each counted run's `metric` is
normalized per task (:mod:`ddpg.analysis.normalized`); per setting (the ``--by`` groups), the
IQM and the mean over tasks get a stratified-bootstrap interval and the run score distribution
a band (:mod:`ddpg.analysis.stratified`). Written to ``--out``:

- ``across.md`` (also printed): the normalization used per task (random and reference score,
  and where each came from), the aggregate table, the per-task means, and the rules;
- ``across.csv``: the aggregate table, with the interval's level, method, resamples and seed;
- ``across_runs.csv``: one row per counted run: ``run`` (as in runs.csv), group, keys,
  ``task``, ``score``, ``normalized``; every aggregate can be recomputed from it;
- ``performance_profiles.csv`` (``group, tau, fraction, ci_low, ci_high``) and
  ``performance_profiles.png`` (:mod:`ddpg.analysis.profile_plot`);
- the per-task comparison, grouped by the ``--by`` keys and the task: compare.csv, compare.md,
  learning curves and runs.csv, as :func:`ddpg.analysis.compare.compare` writes them.
"""

from __future__ import annotations

from pathlib import Path

import numpy as np
import pandas as pd

from ddpg.analysis import stratified
from ddpg.analysis.compare import compare, load_runs
from ddpg.analysis.grouping import resolve_keys
from ddpg.analysis.normalized import (
    PER_RUN_METRICS,
    normalized_scores,
    task_scales,
)
from ddpg.analysis.report import fmt, markdown_table
from ddpg.analysis.results import compared_root, run_name
from ddpg.analysis.runs import CompareError

LEVEL = 0.95
METHOD = "percentile stratified bootstrap over runs within tasks"
TAU_POINTS = 101  # performance-profile resolution over [min(0, lowest), max(1, highest)]
#: across.csv's columns after ``group`` and the grouping keys.
COLUMNS = [
    "n_runs",
    "n_tasks",
    "iqm",
    "iqm_ci_low",
    "iqm_ci_high",
    "mean",
    "mean_ci_low",
    "mean_ci_high",
    "missing_tasks",
    "level",
    "method",
    "resamples",
    "seed",
]
SCALES = ["random_score", "reference_score"]  # stated in full: a reader recomputes with them
Profiles = dict[str, tuple[np.ndarray, np.ndarray, np.ndarray]]


def aggregate(
    scores: pd.DataFrame, keys: list[str], n_resamples: int = 2000, seed: int = 0
) -> tuple[pd.DataFrame, np.ndarray, Profiles]:
    """Per group of :func:`ddpg.analysis.normalized.normalized_scores` rows: the aggregate
    table (best IQM first), the profile thresholds, and each group's profile with its band."""
    tasks = sorted(scores["task"].unique(), key=str)
    low, high = min(0.0, scores["normalized"].min()), max(1.0, scores["normalized"].max())
    taus = np.linspace(low, high, TAU_POINTS)
    rows, profiles = [], {}
    for label, g in scores.groupby("group", sort=True):
        per_task = [g.loc[g["task"] == t, "normalized"].to_numpy(float) for t in tasks]
        missing = [str(t) for t, x in zip(tasks, per_task, strict=True) if not len(x)]
        per_task = [x for x in per_task if len(x)]
        iqm, mean, profiles[str(label)] = (
            stratified.interval(per_task, stat, level=LEVEL, n_resamples=n_resamples, seed=seed)
            for stat in (
                stratified.aggregate_iqm,
                stratified.aggregate_mean,
                lambda t: stratified.profile(t, taus),
            )
        )
        rows.append(
            {
                "group": label,
                **g[keys].iloc[0].to_dict(),
                "n_runs": len(g),
                "n_tasks": len(per_task),
                **dict(zip(("iqm", "iqm_ci_low", "iqm_ci_high"), map(float, iqm), strict=True)),
                **dict(zip(("mean", "mean_ci_low", "mean_ci_high"), map(float, mean), strict=True)),
                "missing_tasks": ", ".join(missing),
                "level": LEVEL,
                "method": METHOD,
                "resamples": n_resamples,
                "seed": seed,
            }
        )
    table = pd.DataFrame(rows).reindex(columns=["group", *keys, *COLUMNS])
    return table.sort_values("iqm", ascending=False).reset_index(drop=True), taus, profiles


def across_report(
    table: pd.DataFrame,
    scales: pd.DataFrame,
    scores: pd.DataFrame,
    keys: list[str],
    task_key: str,
    metric: str,
) -> str:
    """across.md: the normalization used, the rules, the aggregates and the per-task means."""
    first = table.iloc[0] if len(table) else None
    boot = f"{first['resamples']} resamples, seed {first['seed']}" if first is not None else ""
    per_task = scores.groupby(["group", "task"])["normalized"].agg(["mean", "size"])
    cells = per_task.apply(lambda r: f"{fmt(r['mean'])} ({int(r['size'])})", axis=1)
    means = cells.unstack("task").fillna("").reset_index()
    with_ci = {
        stat: [f"{fmt(r[stat])} [{fmt(r[f'{stat}_ci_low'])}, {fmt(r[f'{stat}_ci_high'])}]"
               for _, r in table.iterrows()]
        for stat in ("iqm", "mean")
    }  # fmt: skip
    shown = table.assign(**with_ci)[["group", "n_runs", "n_tasks", "iqm", "mean", "missing_tasks"]]
    lines = [
        "# Comparison across tasks",
        "",
        f"Metric `{metric}` per run, grouped by {', '.join(keys)}, across the tasks named by "
        f"`{task_key}`. Each run's score is normalized per task as (score - random) / "
        "(reference - random): 0 is a uniform random policy, 1 the reference score.",
        "",
        "## Normalization used",
        "",
        markdown_table(scales.assign(**{c: scales[c].map("{:.10g}".format) for c in SCALES})),
        "",
        "- `iqm`: interquartile mean of the normalized scores of every run of every task, "
        "pooled; `mean`: the mean over tasks of each task's mean. Diverged runs count (their "
        "last eval; a run without any eval scores its task's lowest logged eval).",
        f"- `[{LEVEL:.0%} CI]`: {METHOD} (Agarwal et al. 2021, rliable's method): each "
        f"resample redraws every task's runs from that task's own, {boot}. Its measured "
        "coverage (the mean over 3 tasks of normal scores; tests/unit/analysis/"
        "test_stratified.py) is 83% at 3 runs per task, 86% at 5, 93% at 10 and 20: with few "
        "runs per task read it as narrower than 95%.",
        "- performance_profiles.png: the fraction of runs whose normalized score exceeds tau, "
        "averaged over tasks, with the same bootstrap's band.",
        "",
        "## Aggregates (best IQM first)",
        "",
        markdown_table(shown),
        "",
        "## Mean normalized score per task (runs)",
        "",
        markdown_table(means),
    ]
    partial = table[table["missing_tasks"].astype(str) != ""]
    if len(partial):
        which = "; ".join(f"{r.group} lacks {r.missing_tasks}" for r in partial.itertuples())
        lines += ["", f"**Warning:** not every group ran every task ({which}): aggregates over "
                  "different tasks are not comparable."]  # fmt: skip
    return "\n".join(lines) + "\n"


def compare_across(
    paths: list[Path],
    by: list[str] | None,
    across: str,
    out: Path | None = None,
    metric: str = "final_eval_return",
    n_resamples: int = 2000,
    seed: int = 0,
) -> tuple[str, list[Path]]:
    """Compare the ``--by`` settings across the tasks named by `across`; writes the files of
    the module docstring into `out` (default: the first path) and returns (across.md, files).

    Raises:
        CompareError: No ``--by`` keys, a key unknown or used twice, a metric that is no
            per-run score, a task without random and reference scores, or no counted run.
        OSError: `out` cannot be written.
    """
    if metric not in PER_RUN_METRICS:
        raise CompareError(f"--across needs a per-run --metric ({', '.join(PER_RUN_METRICS)})")
    if not by:
        raise CompareError("--across needs --by: the settings to compare across tasks")
    runs = load_runs(paths)
    (task_key,) = resolve_keys(runs, [across], flag="--across")
    keys = resolve_keys(runs, by)
    if task_key in keys:
        raise CompareError(f"--across {across!r} is also a --by key ({task_key})")
    runs = runs.assign(**{k: runs[f"param.{k}"] for k in [*keys, task_key] if k not in runs})
    scales = task_scales(runs, task_key)
    scores = normalized_scores(runs, keys, task_key, metric, scales)
    if scores.empty:
        raise CompareError("no counted runs to compare across tasks")
    table, taus, profiles = aggregate(scores, keys, n_resamples, seed)
    text = across_report(table, scales, scores, keys, task_key, metric)
    _, written = compare(paths, [*by, across], out, metric, n_resamples, seed)
    out = out or paths[0]
    root = compared_root(paths)
    scores.insert(0, "run", [run_name(d, root) for d in scores.pop("run_dir")])
    files = {name: out / name for name in ("across.md", "across.csv", "across_runs.csv")}
    files["across.md"].write_text(text)
    table.to_csv(files["across.csv"], index=False)
    scores.to_csv(files["across_runs.csv"], index=False)
    curves = [
        pd.DataFrame({"group": g, "tau": taus, "fraction": f, "ci_low": lo, "ci_high": hi})
        for g, (f, lo, hi) in profiles.items()
    ]
    files["performance_profiles.csv"] = out / "performance_profiles.csv"
    pd.concat(curves, ignore_index=True).to_csv(files["performance_profiles.csv"], index=False)
    from ddpg.analysis.profile_plot import save_performance_profiles  # matplotlib on demand

    title = f"{metric}, normalized, over {scores['task'].nunique()} tasks ({task_key})"
    files["performance_profiles.png"] = save_performance_profiles(
        taus, profiles, out / "performance_profiles.png", title
    )
    return text, [*files.values(), *written]
