"""Write the comparison as markdown: rules, group table, warnings, diverged, pruned and problem
runs.

The header defines every column in words, so a compare.md read months later (or in an
experiments/ folder) says what its numbers mean without the code at hand.
"""

from __future__ import annotations

import numpy as np
import pandas as pd

from ddpg.analysis.scores import COUNTED, PRUNED

#: Fewer counted runs than this and a percentile bootstrap is too narrow to trust.
MIN_RUNS = 5
COLUMNS = ["median", "p_improve", "frac_final_solved", "frac_ever_solved", "auc"]


def fmt(v: object) -> str:
    """A table cell: short numbers, NaN as blank, text with ``|`` and newlines escaped."""
    if not isinstance(v, float | np.floating):
        return str(v).replace("|", "\\|").replace("\n", " ")[:300]  # Keep table rows intact.
    x = float(v)
    if np.isnan(x):
        return ""
    if x.is_integer() or abs(x) >= 1000:
        return f"{x:.0f}"
    return f"{x:.2f}" if abs(x) >= 1 else f"{x:.3g}"


def _with_ci(value: float, low: float, high: float) -> str:
    return fmt(value) if np.isnan(low) else f"{fmt(value)} [{fmt(low)}, {fmt(high)}]"


def markdown_table(df: pd.DataFrame) -> str:
    """`df` as a GitHub markdown table, cells through :func:`fmt`."""
    lines = [" | ".join(map(str, df.columns)), " | ".join("---" for _ in df.columns)]
    lines += [" | ".join(map(fmt, row)) for row in df.itertuples(index=False)]
    return "\n".join(f"| {line} |" for line in lines)


def header(metric: str, keys: list[str], floor: float, n_resamples: int, seed: int) -> str:
    """The rules behind the table, in words."""
    return (
        f"# Run comparison\n\nMetric `{metric}` per run, grouped by "
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
        f"- `[95% CI]`: percentile bootstrap over runs ({n_resamples} resamples, seed {seed}); "
        "learning_curves.png shows the same bootstrap CI of the mean at every step.\n"
        "- `p_improve`: P(a run of the group beats a run of the best group by mean), ties "
        "counting half; the best group is ranked with its diverged runs counted.\n"
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
            f"groups ({which}): a percentile bootstrap over so few runs gives intervals that are "
            "too narrow (none for a single run); read them as rough."
        )
    unfinished = int(table["n_unfinished"].sum()) if len(table) else 0
    if unfinished:
        lines.append(
            f"**Warning:** {unfinished} runs are unfinished (running or interrupted) and not "
            "counted; these numbers will change when they finish."
        )
    return "\n\n".join(lines)


def _group_table(table: pd.DataFrame) -> str:
    cis = {}
    for name, c in (("mean", "mean"), ("IQM", "iqm")):
        parts = (table[c], table[f"{c}_ci_low"], table[f"{c}_ci_high"])
        cis[f"{name} [95% CI]"] = [_with_ci(*r) for r in zip(*parts, strict=True)]
    # Counted runs lead (n_diverged beside n_runs); the excluded counts close the row.
    shown = table[["group", "n_runs", "n_diverged"]].assign(**cis)
    shown = shown.join(table[[*COLUMNS, "steps_to_solve", "n_failed", "n_unfinished"]])
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
    diverged = _diverged(runs, keys, metric, floor)
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
