"""Read run directories into pandas: one row per run, plus each run's logged scalars.

Every directory below a given path holding ``summary.json`` is a run (the run-directory
contract in DESIGN.md). A run whose summary.json, params.json or scalars.csv is unreadable or
malformed gets status ``damaged`` and an error naming the file; the other runs are still read.
A missing scalars.csv is not damage (a run can die before logging): its curves are empty.

Row columns: ``run_dir``, ``seed``, ``status``, the summary numbers (``final_eval_return``,
``best_eval_return``, ``env_steps``, ``wall_time_s``, ``steps_per_sec``, ``divergences``: NaN
in a summary written before it was counted), the per-run metrics
computed from the eval curve (:func:`eval_metrics`), ``solved_score``, ``error``, then every
params.json entry as ``param.<dotted key>`` and ``param.experiment`` (the ``+experiment=``
preset).
"""

from __future__ import annotations

import json
from pathlib import Path

import numpy as np
import pandas as pd
import yaml

from ddpg.analysis.scores import mean_over_budget
from ddpg.storage.files import read_json_object

EVAL_KEY = "eval/return_mean"
BUDGET_KEY = "trainer.total_steps"
SUMMARY_NUMBERS = (
    "final_eval_return",
    "best_eval_return",
    "env_steps",
    "wall_time_s",
    "steps_per_sec",
    "divergences",
)
Paths = str | Path | list[str] | list[Path]
_EMPTY = pd.DataFrame({"step": [], "key": [], "value": []})


class CompareError(Exception):
    """A user-facing problem, reported as one line on stderr with exit code 2."""


def find_runs(paths: Paths) -> list[Path]:
    """Every run directory below `paths`, sorted within each path, without duplicates.

    Raises:
        CompareError: A path is missing, not a directory, empty, or holds no run.
    """
    found: list[Path] = []
    for p in map(Path, [paths] if isinstance(paths, str | Path) else paths):
        if not p.exists():
            raise CompareError(f"path does not exist: {p}")
        if not p.is_dir():
            raise CompareError(f"not a directory: {p}")
        if not any(p.iterdir()):
            raise CompareError(f"directory is empty: {p}")
        runs = sorted(s.parent for s in p.rglob("summary.json"))
        if not runs:
            raise CompareError(f"no runs (directories with summary.json) under {p}")
        found += [r for r in runs if r not in found]
    return found


def _read_json(path: Path) -> dict:
    try:
        return read_json_object(path)
    except ValueError as e:
        raise CompareError(str(e)) from e


def _read_scalars(path: Path) -> pd.DataFrame:
    if not path.exists():
        return _EMPTY
    try:
        df = pd.read_csv(path)
        return df[["step", "key", "value"]].astype({"step": float, "value": float})
    except (OSError, ValueError, KeyError, pd.errors.ParserError) as e:
        raise CompareError(f"{path}: unreadable or not a step,key,value CSV ({e})") from e


def _overrides(run_dir: Path) -> dict[str, str]:
    try:  # Only a hint for picking grouping keys: a bad file just loses the hint.
        items = yaml.safe_load((run_dir / ".hydra" / "overrides.yaml").read_text()) or []
        pairs = [str(o).split("=", 1) for o in items if "=" in str(o)]
        return {key.lstrip("+~"): value for key, value in pairs}
    except (OSError, yaml.YAMLError, TypeError):
        return {}


def curve(scalars: pd.DataFrame, key: str) -> pd.DataFrame:
    """One key's ``step, value`` rows in step order (repeated steps averaged, NaN dropped)."""
    c = scalars[scalars["key"] == key].groupby("step", as_index=False)["value"].mean()
    return c.dropna().sort_values("step")


def _number(value: object, path: Path) -> float:
    try:
        return np.nan if value is None else float(value)  # type: ignore[arg-type]
    except (TypeError, ValueError) as e:
        raise CompareError(f"{path}: non-numeric value {value!r}") from e


def eval_metrics(
    steps: np.ndarray, values: np.ndarray, budget: float, solved: float
) -> dict[str, float]:
    """The per-run numbers read off the eval curve (NaN where the run has no eval).

    ``auc``: mean eval return over [0, budget] (:func:`ddpg.analysis.scores.mean_over_budget`);
    ``steps_to_solve``: first eval step with a return >= ``solved`` (recomputed here, so
    there is one definition whatever summary.json says); ``worst_eval_return``: the lowest
    eval; ``last_eval_step``; ``budget``: the step budget, or the last eval step when
    params.json has none.
    """
    budget = budget if budget > 0 else (float(steps[-1]) if len(steps) else np.nan)
    hit = steps[values >= solved] if not np.isnan(solved) else steps[:0]
    return {
        "auc": mean_over_budget(steps, values, budget),
        "steps_to_solve": float(hit[0]) if hit.size else np.nan,
        "worst_eval_return": float(values.min()) if len(values) else np.nan,
        "last_eval_step": float(steps[-1]) if len(steps) else np.nan,
        "budget": budget,
    }


def read_run(run_dir: Path) -> tuple[dict, set[str], pd.DataFrame]:
    """One run as (row, keys it overrode, scalars); damage becomes status ``damaged``."""
    row: dict = {"run_dir": str(run_dir)}
    try:
        summary = _read_json(run_dir / "summary.json")
        params = _read_json(run_dir / "params.json")
        scalars = _read_scalars(run_dir / "scalars.csv")
        nums = {k: _number(summary.get(k), run_dir / "summary.json") for k in SUMMARY_NUMBERS}
        solved = params.get("env.solved_score", summary.get("solved_score"))
        solved = _number(solved, run_dir / "params.json")
        budget = _number(params.get(BUDGET_KEY), run_dir / "params.json")
    except CompareError as e:
        return row | {"status": "damaged", "error": str(e)}, set(), _EMPTY
    ev = curve(scalars, EVAL_KEY)
    metrics = eval_metrics(ev["step"].to_numpy(), ev["value"].to_numpy(), budget, solved)
    row |= {"seed": params.get("seed", summary.get("seed")), "status": str(summary.get("status"))}
    row |= nums | metrics | {"solved_score": solved, "error": summary.get("error")}
    for k, v in params.items():  # JSON text for lists/dicts so they compare and group.
        row[f"param.{k}"] = json.dumps(v) if isinstance(v, list | dict) else v
    overrides = _overrides(run_dir)
    # A preset (+experiment=NAME) is a treatment too, though no single config key names it.
    row["param.experiment"] = overrides.get("experiment", "none")
    return row, set(overrides), scalars


def read_runs(paths: Paths) -> tuple[pd.DataFrame, set[str], list[pd.DataFrame]]:
    """Every run below `paths`: (rows, every key some run overrode, scalars per row).

    Raises:
        CompareError: As :func:`find_runs`, or every run is damaged.
    """
    rows, overrides, scalars = zip(*map(read_run, find_runs(paths)), strict=True)
    df = pd.DataFrame(list(rows))
    if (df["status"] == "damaged").all():
        raise CompareError(f"all {len(df)} runs are damaged; first: {df['error'].iloc[0]}")
    return df, set().union(*overrides), list(scalars)


def long_curves(
    runs: pd.DataFrame, scalars: list[pd.DataFrame], key: str, cols: list[str]
) -> pd.DataFrame:
    """One scalar of every run, long format: ``run_dir``, `cols`, seed, status, step, value."""
    cols = ["run_dir", *cols, "seed", "status"]
    zipped = zip(runs[cols].to_dict("records"), scalars, strict=True)
    parts = [curve(s, key).assign(**meta) for meta, s in zipped]
    return pd.concat(parts, ignore_index=True).reindex(columns=[*cols, "step", "value"])
