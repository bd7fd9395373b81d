"""The numbers experiments/reproduction/README.md quotes: per task, from `<task>/runs.csv` and
`<task>/compare.csv` (`python -m ddpg.compare ... --metric peak_of_mean_curve`), the paper's
figures from paper_table1.csv, and the figures published before issue 19 from
before_issue19.csv. A task without a runs.csv is listed as not re-run."""

from __future__ import annotations

import json
from pathlib import Path

import pandas as pd

TASKS = {  # folder: Table 1's task name
    "inverted_pendulum": "InvertedPendulum",
    "hopper": "Hopper",
    "halfcheetah": "HalfCheetah",
    "inverted_double_pendulum": "InvertedDoublePendulum",
}


def _runs(folder: Path) -> pd.DataFrame | None:
    path = folder / "runs.csv"
    if not path.exists():
        return None
    return pd.read_csv(path, dtype={"run": str}, converters={"eval_curve": json.loads})


def _verdict(paper: float, low: float, high: float) -> str:
    if low <= paper <= high:
        return "paper's figure inside our interval"
    return "ours below the paper's" if high < paper else "ours above the paper's"


def _result_rows(folder: Path, paper: pd.Series) -> list[str]:
    rows = [
        "| task (v5 here, v1 in the paper) | paper, 10 seeds x 1M | ours: runs x budget "
        "| peak of the mean curve [95% CI] (at step) | verdict | mean of each run's best "
        "| each run's best | each run's final |",
        "| --- | --- | --- | --- | --- | --- | --- | --- |",
    ]
    for name, task in TASKS.items():
        runs = _runs(folder / name)
        if runs is None:
            rows.append(f"| {task} | {paper[task]:g} | not re-run at a942030 yet | | | | | |")
            continue
        table = pd.read_csv(folder / name / "compare.csv").iloc[0]
        finished = runs.status.isin(["completed", "stopped_early"])
        budget = f"{int(runs.budget.iloc[0]) // 1000}k"
        if runs.status.eq("stopped_early").any():
            budget += " (stop at 1000)"
        runs_text = f"{finished.sum()} x {budget}"
        if not finished.all():
            runs_text += f" ({(~finished).sum()} unfinished, not counted)"
        peak = (
            f"{table.peak_of_mean_curve:.0f} [{table.peak_ci_low:.0f}, {table.peak_ci_high:.0f}]"
            f" ({int(table.peak_step):,})"
        )
        best = runs.best_eval_return[finished]
        final = runs.final_eval_return[finished]
        rows.append(
            f"| {task} | {paper[task]:g} | {runs_text} | {peak} "
            f"| {_verdict(paper[task], table.peak_ci_low, table.peak_ci_high)} "
            f"| {best.mean():.0f} | {', '.join(f'{b:.0f}' for b in best)} "
            f"| {', '.join(f'{f:.0f}' for f in final)} |"
        )
    return rows


def _before_after(folder: Path) -> list[str]:
    before = pd.read_csv(folder / "before_issue19.csv").set_index("task")
    rows = [
        "| task | before (runs at 6bed4ec): mean of each run's best [95% CI] "
        "| after (runs at a942030): mean of each run's best | after: peak of the mean curve |",
        "| --- | --- | --- | --- |",
    ]
    for name, task in TASKS.items():
        old = before.loc[task]
        runs = _runs(folder / name)
        if runs is None:
            new_best = new_peak = "not re-run yet"
        else:
            done = runs[runs.status.isin(["completed", "stopped_early"])]
            new_best = f"{done.best_eval_return.mean():.0f} ({len(done)} runs)"
            new_peak = f"{pd.read_csv(folder / name / 'compare.csv').peak_of_mean_curve[0]:.0f}"
        old_text = f"{old.mean_of_run_best:g} [{old.ci_low:g}, {old.ci_high:g}] ({old.seeds} runs)"
        rows.append(f"| {task} | {old_text} | {new_best} | {new_peak} |")
    return rows


def blocks(folder: Path) -> dict[str, str]:
    paper = pd.read_csv(folder / "paper_table1.csv").set_index("task").paper_max_average_return
    speed = (folder / "bare_env_speed.txt").read_text().strip().splitlines()
    return {
        "result": "\n".join(_result_rows(folder, paper)),
        "before_after": "\n".join(_before_after(folder)),
        "bare_env_speed": "\n".join(line for line in speed if line.startswith("|")),
        "bare_env_speed_source": speed[0].lstrip("# "),
    }
