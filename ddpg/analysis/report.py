"""Write the comparison as markdown: rules, group table, warnings, diverged, pruned and problem
runs.

The header defines every column in words, so a compare.md read months later (or in an
experiments/ folder) says what its numbers mean without the code at hand. Swept values print as
in the group labels (:func:`ddpg.analysis.grouping.value_labels`), not rounded like statistics.
"""

from __future__ import annotations

import numpy as np
import pandas as pd

from ddpg.analysis.grouping import value_labels
from ddpg.analysis.intervals import CHOSEN, LEVEL
from ddpg.analysis.scores import COUNTED, PRUNED

#: Fewer counted runs than this and the intervals cover less than they say on skewed scores.
MIN_RUNS = 5
COLUMNS = ["frac_final_solved", "frac_ever_solved", "auc"]
#: The cells shown as ``value [low, high]``: heading, then the value, low and high columns.
WITH_CI = (
    ("mean", "mean", "mean_ci_low", "mean_ci_high"),
    ("IQM", "iqm", "iqm_ci_low", "iqm_ci_high"),
    ("p_improve", "p_improve", "p_improve_ci_low", "p_improve_ci_high"),
    ("peak of mean curve", "peak_of_mean_curve", "peak_ci_low", "peak_ci_high"),
)


def fmt(v: object) -> str:
    """A table cell: short numbers (from 1e9 on in scientific notation), NaN as blank, text
    with ``|`` and newlines escaped."""
    if not isinstance(v, float | np.floating):
        return str(v).replace("|", "\\|").replace("\n", " ")[:300]  # Keep table rows intact.
    x = float(v)
    if np.isnan(x):
        return ""
    if abs(x) >= 1e9:  # a blown-up value (a diverged run's 1e30): -1e+30, not 31 digits
        return f"{x:.3g}"
    if x.is_integer() or abs(x) >= 1000:
        return f"{x:.0f}"
    return f"{x:.2f}" if abs(x) >= 1 else f"{x:.3g}"


def with_values_shown(runs: pd.DataFrame, keys: list[str]) -> pd.DataFrame:
    """`runs` with each key column as compare prints swept values (:func:`value_labels`: gamma
    0.99985 as 0.99985, not the table's rounded 1), blank where a run has no value."""
    shown = {k: np.where(runs[k].isna(), "", value_labels(runs[k])) for k in keys}
    return runs.assign(**shown)


def _with_ci(value: float, low: float, high: float) -> str:
    return fmt(value) if np.isnan(low) else f"{fmt(value)} [{fmt(low)}, {fmt(high)}]"


def markdown_table(df: pd.DataFrame) -> str:
    """`df` as a GitHub markdown table, cells through :func:`fmt`."""
    lines = [" | ".join(map(str, df.columns)), " | ".join("---" for _ in df.columns)]
    lines += [" | ".join(map(fmt, row)) for row in df.itertuples(index=False)]
    return "\n".join(f"| {line} |" for line in lines)


def _intervals(n_resamples: int, seed: int) -> str:
    """The header's line on the intervals: level, method per statistic, resamples, seed."""
    pct = f"{LEVEL:.0%}"
    return (
        f"- `[low, high]`: two-sided {pct} confidence intervals over runs. mean: "
        f"{CHOSEN['mean']}; IQM: {CHOSEN['iqm']} (the t interval of the trimmed mean with a "
        "winsorized standard error; at 3 runs the IQM trims nothing and it is the mean's); "
        f"p_improve: {CHOSEN['p_improve']}, each group's runs resampled independently; peak "
        f"of mean curve: {CHOSEN['peak_of_mean_curve']} over runs (whole curves); bootstraps "
        f"draw {n_resamples} resamples, seed {seed}. Chosen for the coverage measured by "
        "simulation (`python -m ddpg.analysis.coverage`): at 3-5 runs the mean's and IQM's "
        "cover 94-96% of normal scores, the mean's 83-84% of skewed or bimodal ones; the "
        "peak's 64-92% (the max of noisy means is biased upward). The median has no "
        "interval. learning_curves.png shows the mean's interval at every step.\n"
    )


def header(metric: str, keys: list[str], floor: float, n_resamples: int, seed: int) -> str:
    """The rules behind the table, in words."""
    what = (
        "`peak_of_mean_curve` (groups ranked by it; the per-run columns summarise "
        "`best_eval_return`)"
        if metric == "peak_of_mean_curve"
        else f"`{metric}` per run"
    )
    return (
        f"# Run comparison\n\nMetric {what}, grouped by "
        f"{', '.join(keys) or 'nothing (no swept keys)'}.\n\n"
        "- `n_runs`: runs counted in every statistic: completed, stopped early and diverged. "
        "A diverged run is an outcome of its setting, scored like any run from the evaluations "
        "it made: its final return is its last evaluation before divergence (held to the "
        "budget for `auc`). One that diverged before any evaluation scores the floor, the "
        f"lowest eval return any counted run here logged ({fmt(floor) or 'none'}), so it "
        "ranks last (`n_at_floor` in compare.csv). `n_diverged` counts the diverged runs; "
        "they are listed below the table.\n"
        "- Not counted: `n_failed` (a bad config or a crash outside learning says nothing about "
        "the setting), `n_unfinished` (running or interrupted) and damaged runs; all are "
        "listed under Problems.\n"
        "- `n_pruned` (compare.csv): runs a hyperparameter search stopped early (`ddpg.tune`'s "
        "pruner) because other trials did better: not counted (their last eval is no final "
        "score), listed under Pruned runs when there are any; a group of only pruned runs has "
        "no row.\n"
        + _intervals(n_resamples, seed)
        + "- `p_improve`: P(a run of the group beats a run of the best group), ties counting "
        "half (Agarwal et al. 2021); the best group is ranked with its diverged runs counted, "
        "and has no interval (0.5 against itself).\n"
        "- `peak of mean curve`: the max over eval steps (up to the group's smallest budget) "
        'of the mean eval curve across runs, TD3\'s "max average return" (Fujimoto et al. '
        "2018, Table 1), at `peak_step` in compare.csv; not the mean of each run's own best "
        "eval (`best_eval_return`), which noisy curves bias upward.\n"
        "- `auc`: mean eval return over [0, budget], the budget being `trainer.total_steps`: "
        "evals joined linearly, the first held back to step 0, the last held forward to the "
        "budget (an early-stopped or diverged run carries its last eval).\n"
        "- `frac_final_solved`: fraction of counted runs whose final eval return (as scored "
        "above) reaches the env's solved score; `frac_ever_solved`: fraction with some eval "
        "reaching it; `steps_to_solve`: mean first eval step reaching it, over those runs.\n"
    )


def warning_lines(table: pd.DataFrame) -> str:
    """Lines under the table: groups too small for their CIs, runs not finished yet."""
    lines = []
    small = table.loc[table["n_runs"] < MIN_RUNS, "group"].tolist()
    if small:
        which = "all" if len(small) == len(table) else "; ".join(map(str, small))
        lines.append(
            f"**Warning:** fewer than {MIN_RUNS} counted runs in {len(small)} of {len(table)} "
            f"groups ({which}): their intervals are wide, and on skewed scores cover less than "
            "they say (none for a single run); read them as rough."
        )
    unfinished = int(table["n_unfinished"].sum()) if len(table) else 0
    if unfinished:
        lines.append(
            f"**Warning:** {unfinished} runs are unfinished (running or interrupted) and not "
            "counted; these numbers will change when they finish."
        )
    return "\n\n".join(lines)


def _group_table(table: pd.DataFrame) -> str:
    pct = f"{LEVEL:.0%}"
    cis = {}
    for name, *cols in WITH_CI:
        cells = zip(*(table[c] for c in cols), strict=True)
        cis[f"{name} [{pct} CI]"] = [_with_ci(*r) for r in cells]
    # Counted runs lead (n_diverged beside n_runs); the excluded counts close the row.
    shown = table[["group", "n_runs", "n_diverged"]].assign(**cis)
    shown = shown.join(table[["median", *COLUMNS, "steps_to_solve", "n_failed", "n_unfinished"]])
    if "n_pruned" in table and table["n_pruned"].sum() > 0:
        shown = shown.join(table[["n_pruned"]])
    return markdown_table(shown)


def _pruned(runs: pd.DataFrame, keys: list[str]) -> str:
    """The section on runs a search pruned ('' when there are none)."""
    pruned = runs[runs["status"] == PRUNED]
    if not len(pruned):
        return ""
    rows = pruned[["run_dir", *keys, "seed", "last_eval_step", "final_eval_return"]]
    rows = rows.rename(columns={"final_eval_return": "last eval return"})
    return (
        f"## Pruned runs (stopped early by a hyperparameter search; not counted)\n\n"
        f"{markdown_table(rows)}\n\n"
    )


def _diverged(runs: pd.DataFrame, keys: list[str], metric: str, floor: float) -> pd.DataFrame:
    bad = runs[runs["status"] == "diverged"]
    scored = bad[metric].astype(float)
    how = np.where(scored.isna(), "floor (no eval)", "its last eval")
    return bad[["run_dir", *keys, "seed", "last_eval_step"]].assign(
        **{f"scored {metric}": scored.fillna(floor), "as": how, "error": bad["error"]}
    )


def report(
    table: pd.DataFrame,
    runs: pd.DataFrame,
    keys: list[str],
    metric: str,
    floor: float,
    n_resamples: int = 2000,
    seed: int = 0,
) -> str:
    """The markdown report: rules, group table, warnings, diverged runs, pruned runs (if any),
    then problem runs.

    Args:
        table: From :func:`ddpg.compare.summarize`.
        runs: Every run, with the `keys` columns.
        keys: The grouping keys.
        metric: The column the table summarises.
        floor: The floor score (:func:`ddpg.analysis.scores.floor_score`).
        n_resamples: Bootstrap resamples used, for the header.
        seed: Bootstrap seed used, for the header.
    """
    body = _group_table(table) if len(table) else "No run can be counted: see Problems."
    runs = with_values_shown(runs, keys)
    # The peak is the group's, not a run's: a diverged run is listed with its best eval.
    per_run = "best_eval_return" if metric == "peak_of_mean_curve" else metric
    diverged = _diverged(runs, keys, per_run, floor)
    not_counted = ~runs["status"].isin(COUNTED) & (runs["status"] != PRUNED)
    bad = runs[not_counted][["run_dir", *keys, "seed", "status", "error"]]
    notes = warning_lines(table)
    return (
        f"{header(metric, keys, floor, n_resamples, seed)}\n{body}\n\n"
        + (f"{notes}\n\n" if notes else "")
        + "## Diverged runs (counted, as scored above)\n\n"
        + (f"{markdown_table(diverged)}\n\n" if len(diverged) else "None.\n\n")
        + _pruned(runs, keys)
        + "## Problems: failed, unfinished or damaged runs (not counted)\n\n"
        + (f"{markdown_table(bad)}\n" if len(bad) else "None: every run finished.\n")
    )
