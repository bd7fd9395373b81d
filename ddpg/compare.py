"""Compare training runs: find run directories, group seeds, write tables and plots.

``python -m ddpg.compare PATH [PATH ...] [--by KEY ...] [--out DIR] [--metric M]
[--resamples N] [--seed S]``. Every directory below a PATH holding ``summary.json`` is a
run. Runs are grouped by the swept keys: ``params.json`` keys named in
``.hydra/overrides.yaml`` whose values differ between runs (any differing key if no
override explains the differences; never ``seed``, ``hydra.*`` or path-like keys), or by
``--by`` keys, dotted or short (``reward_norm`` -> ``reward_norm.name``, ``tau`` ->
``agent.tau``). ``compare.csv``, ``compare.md`` and ``learning_curves.png`` go to ``--out``
(default: the first PATH); the markdown report is also printed.

Statistics (:mod:`ddpg.stats`) use finished runs only (``completed``, ``stopped_early``).
Every other run (``failed``, ``diverged``, ``running``, ``interrupted``) is listed with its
status and error under "Problems" in ``compare.md``, and so is every damaged run: one whose
summary.json, params.json or scalars.csv is unreadable or malformed gets status ``damaged``
and an error naming the file, and the other runs are still compared; only if every run is
damaged does the command fail. A missing scalars.csv is not damage (a run can die before
logging): its curve is empty.

:func:`load_runs` columns: ``run_dir``, the swept keys by dotted name (also listed in
``df.attrs["swept"]``), ``seed``, ``status``, the metrics, ``error``, then every params.json
entry as ``param.<dotted key>``. User errors print one line to stderr and exit with 2.
"""

from __future__ import annotations

import argparse
import json
import sys
from pathlib import Path

import numpy as np
import pandas as pd
import yaml

from ddpg import stats

FINISHED = ("completed", "stopped_early")
EVAL_KEY = "eval/return_mean"
SUMMARY_NUMBERS = (
    "final_eval_return",
    "best_eval_return",
    "steps_to_solve",
    "wall_time_s",
    "steps_per_sec",
)
Paths = str | Path | list[str] | list[Path]
_EMPTY = pd.DataFrame({"step": [], "key": [], "value": []})


class CompareError(Exception):
    """A user-facing problem, reported as one line on stderr with exit code 2."""


def _find_runs(paths: Paths) -> list[Path]:
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
        data = json.loads(path.read_text())
    except (OSError, ValueError) as e:
        raise CompareError(f"{path}: unreadable or invalid JSON ({e})") from e
    if not isinstance(data, dict):
        raise CompareError(f"{path}: not a JSON object")
    return data


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


def _curve(scalars: pd.DataFrame, key: str) -> pd.DataFrame:
    c = scalars[scalars["key"] == key].groupby("step", as_index=False)["value"].mean()
    return c.dropna().sort_values("step")


def _number(value: object, path: Path) -> float:
    try:
        return np.nan if value is None else float(value)  # type: ignore[arg-type]
    except (TypeError, ValueError) as e:
        raise CompareError(f"{path}: non-numeric value {value!r}") from e


def _read_run(run_dir: Path) -> tuple[dict, set[str], pd.DataFrame]:
    """Read one run into a row; damage becomes status "damaged" with the file in the error."""
    row: dict = {"run_dir": str(run_dir)}
    try:
        summary = _read_json(run_dir / "summary.json")
        params = _read_json(run_dir / "params.json")
        scalars = _read_scalars(run_dir / "scalars.csv")
        nums = {k: _number(summary.get(k), run_dir / "summary.json") for k in SUMMARY_NUMBERS}
        solved = params.get("env.solved_score", summary.get("solved_score"))
        solved = _number(solved, run_dir / "params.json")
    except CompareError as e:
        return row | {"status": "damaged", "error": str(e)}, set(), _EMPTY
    ev = _curve(scalars, EVAL_KEY)
    steps, vals = ev["step"].to_numpy(), ev["value"].to_numpy()
    span = steps[-1] - steps[0] if len(steps) >= 2 else 0.0
    if not np.isnan(solved) and len(steps):  # Recompute from the curve: one definition.
        hit = steps[vals >= solved]
        nums["steps_to_solve"] = float(hit[0]) if hit.size else np.nan
    row |= {"seed": params.get("seed", summary.get("seed")), "status": str(summary.get("status"))}
    row |= nums | {"auc": float(np.trapezoid(vals, steps) / span) if span > 0 else np.nan}
    row |= {"solved_score": solved, "error": summary.get("error")}
    for k, v in params.items():  # JSON text for lists/dicts so they compare and group.
        row[f"param.{k}"] = json.dumps(v) if isinstance(v, list | dict) else v
    overrides = _overrides(run_dir)
    # A preset (+experiment=NAME) is a treatment too, though no single config key names it.
    row["param.experiment"] = overrides.get("experiment", "none")
    return row, set(overrides), scalars


def _swept_keys(runs: pd.DataFrame, overridden: set[str]) -> list[str]:
    ok = runs[runs["status"] != "damaged"]
    keys = [c[6:] for c in ok.columns if c.startswith("param.")]
    # Seeds and locations differ in every sweep by construction; they are not treatments.
    per_run = [k for k in keys if k.rsplit(".", 1)[-1] == "seed" or k.startswith("hydra.")]
    per_run += [k for k in keys if k.endswith(("dir", "path", "file"))]
    differ = [k for k in keys if k not in per_run and ok[f"param.{k}"].nunique(dropna=False) > 1]
    # A group override (``reward_norm=running``) sweeps all of its sub-keys.
    chosen = [k for k in differ if any(k == o or k.startswith(o + ".") for o in overridden)]
    chosen = chosen or differ
    # ...but a sub-key that only follows the option's name (reward_norm.gamma when
    # reward_norm=none,episode_return) is part of that option, not a treatment of its own.
    return [k for k in chosen if not _follows_option_name(ok, k, chosen)]


def _follows_option_name(runs: pd.DataFrame, key: str, swept: list[str]) -> bool:
    group = key.rsplit(".", 1)[0]
    name = f"{group}.name"
    if "." not in key or key == name or name not in swept:
        return False
    values = runs[f"param.{name}"].astype(str)
    return bool((runs.groupby(values)[f"param.{key}"].nunique(dropna=False) <= 1).all())


def _load(paths: Paths) -> tuple[pd.DataFrame, list[pd.DataFrame]]:
    rows, overrides, scalars = zip(*map(_read_run, _find_runs(paths)), strict=True)
    df = pd.DataFrame(list(rows))
    if (df["status"] == "damaged").all():
        raise CompareError(f"all {len(df)} runs are damaged; first: {df['error'].iloc[0]}")
    swept = _swept_keys(df, set().union(*overrides))
    for i, k in enumerate(swept, start=1):
        df.insert(i, k, df[f"param.{k}"])
    df.attrs["swept"] = swept
    return df, list(scalars)


def load_runs(path_or_paths: Paths) -> pd.DataFrame:
    """Load every run below the given path(s), one row per run (damaged ones included).

    Args:
        path_or_paths: A run directory, a sweep, any tree of them, or a list of these.

    Returns:
        The runs; the columns are described in the module docstring.

    Raises:
        CompareError: A path is missing or empty, holds no runs, or every run is damaged.
    """
    return _load(path_or_paths)[0]


def _curves(
    runs: pd.DataFrame, scalars: list[pd.DataFrame], key: str, cols: list[str]
) -> pd.DataFrame:
    cols = ["run_dir", *cols, "seed", "status"]
    zipped = zip(runs[cols].to_dict("records"), scalars, strict=True)
    parts = [_curve(s, key).assign(**meta) for meta, s in zipped]
    return pd.concat(parts, ignore_index=True).reindex(columns=[*cols, "step", "value"])


def load_curves(path_or_paths: Paths, key: str = EVAL_KEY) -> pd.DataFrame:
    """Load one logged scalar of every run, long format.

    Args:
        path_or_paths: As for :func:`load_runs`.
        key: The scalars.csv key, e.g. ``"train/episode_return_ema"``.

    Returns:
        Columns ``run_dir``, the swept keys, ``seed``, ``status``, ``step``, ``value``.
    """
    runs, scalars = _load(path_or_paths)
    return _curves(runs, scalars, key, runs.attrs["swept"])


def resolve_keys(runs: pd.DataFrame, names: list[str]) -> list[str]:
    """Map ``--by`` names to parameter keys: exact, else ``<name>.name``, else dotted suffix.

    Raises:
        CompareError: A name matches no key or several; the message lists the keys.
    """
    keys = sorted(c[6:] for c in runs.columns if c.startswith("param."))
    out = []
    for name in (n.removeprefix("param.") for n in names):
        hits = [k for k in keys if k.endswith("." + name)]
        hits = [name] if name in keys else [f"{name}.name"] if f"{name}.name" in keys else hits
        if len(hits) != 1:
            why = f"is ambiguous ({', '.join(hits)})" if hits else "matches no parameter"
            swept = ", ".join(runs.attrs["swept"]) or "none"
            raise CompareError(f"--by {name!r} {why}; swept: {swept}; all: {', '.join(keys)}")
        out.append(hits[0])
    return out


def group_labels(runs: pd.DataFrame, keys: list[str]) -> pd.Series:
    """Label each run by its group values ("running" or "tau=0.005, name=running")."""
    if not keys:
        return pd.Series("all runs", index=runs.index)
    short = [k.removesuffix(".name").rsplit(".", 1)[-1] for k in keys]
    vals = runs[keys].astype(str).to_numpy()
    if len(keys) == 1:
        return pd.Series(vals[:, 0], index=runs.index)
    return pd.Series(
        [", ".join(f"{s}={v}" for s, v in zip(short, r, strict=True)) for r in vals], runs.index
    )


def summarize(
    runs: pd.DataFrame, keys: list[str], metric: str = "final_eval_return", **boot: int
) -> pd.DataFrame:
    """Per-group statistics of ``metric`` over finished runs, best mean first.

    ``p_improve`` is P(a run of the group beats a run of the best group by mean).
    ``frac_solved`` is NaN without a solved score; ``steps_to_solve`` averages the runs that
    solved. ``boot`` (``n_resamples``, ``seed``) goes to :func:`ddpg.stats.summarize`.
    """
    runs = runs[runs["status"] != "damaged"]  # No params, so no group; listed as problems.
    recs, samples = [], {}
    for label, g in runs.groupby(group_labels(runs, keys), sort=True):
        fin = g[g["status"].isin(FINISHED)]
        samples[label] = fin[metric].dropna().to_numpy(float)
        s = stats.summarize(samples[label], **boot)
        has_target = fin["solved_score"].notna().any()
        recs.append(
            {"group": label, **g[keys].iloc[0].to_dict(), "n_seeds": int(s.pop("n"))}
            | {"n_unfinished": len(g) - len(fin), **s}
            | {"frac_solved": fin["steps_to_solve"].notna().mean() if has_target else np.nan}
            | {"auc": fin["auc"].mean(), "steps_to_solve": fin["steps_to_solve"].mean()}
        )
    table = pd.DataFrame(recs).sort_values("mean", ascending=False, na_position="last")
    best = samples[table["group"].iloc[0]]
    pois = [stats.probability_of_improvement(samples[g], best) for g in table["group"]]
    return table.assign(p_improve=pois).reset_index(drop=True)


def _fmt(v: object) -> str:
    if not isinstance(v, float | np.floating):
        return str(v).replace("|", "\\|").replace("\n", " ")[:300]  # Keep table rows intact.
    x = float(v)
    if np.isnan(x):
        return ""
    if x.is_integer() or abs(x) >= 1000:
        return f"{x:.0f}"
    return f"{x:.2f}" if abs(x) >= 1 else f"{x:.3g}"


def _with_ci(value: float, low: float, high: float) -> str:
    return _fmt(value) if np.isnan(low) else f"{_fmt(value)} [{_fmt(low)}, {_fmt(high)}]"


def _markdown(df: pd.DataFrame) -> str:
    lines = [" | ".join(map(str, df.columns)), " | ".join("---" for _ in df.columns)]
    lines += [" | ".join(map(_fmt, row)) for row in df.itertuples(index=False)]
    return "\n".join(f"| {line} |" for line in lines)


def report(table: pd.DataFrame, runs: pd.DataFrame, keys: list[str], metric: str) -> str:
    """The markdown report: the group table, then the failed/unfinished/damaged runs."""
    cis = {}
    for name, c in (("mean", "mean"), ("IQM", "iqm")):
        parts = (table[c], table[f"{c}_ci_low"], table[f"{c}_ci_high"])
        cis[f"{name} [95% CI]"] = [_with_ci(*r) for r in zip(*parts, strict=True)]
    cols = ["median", "p_improve", "frac_solved", "auc", "steps_to_solve"]
    shown = pd.concat([table[["group", "n_seeds", "n_unfinished"]], pd.DataFrame(cis)], axis=1)
    shown = pd.concat([shown, table[cols]], axis=1)
    bad = runs[~runs["status"].isin(FINISHED)][["run_dir", *keys, "seed", "status", "error"]]
    return (
        f"# Run comparison\n\nMetric `{metric}` over finished runs, grouped by "
        f"{', '.join(keys) or 'nothing (no swept keys)'}; 95% percentile-bootstrap CIs; "
        f"p_improve = P(run beats a run of the best group).\n\n{_markdown(shown)}\n\n"
        "## Problems: failed, unfinished or damaged runs (excluded from statistics)\n\n"
        f"{_markdown(bad) if len(bad) else 'None: every run finished.'}\n"
    )


def plot_curves(curves: pd.DataFrame, path: Path, key: str = EVAL_KEY) -> None:
    """Learning curves of the finished runs per ``group`` (drawn by ddpg.plots)."""
    from ddpg.plots import save_learning_curves  # matplotlib loads only when plotting

    save_learning_curves(curves[curves["status"].isin(FINISHED)], path, key)


def main(argv: list[str] | None = None) -> int:
    """Run the command line; returns the exit code (2 for user errors)."""
    p = argparse.ArgumentParser(prog="python -m ddpg.compare", description=__doc__.split("\n")[0])
    p.add_argument("paths", nargs="+", type=Path, help="run, sweep or output directories")
    p.add_argument("--by", nargs="+", action="extend", metavar="KEY", help="grouping keys")
    p.add_argument("--out", type=Path, help="output directory (default: the first PATH)")
    metrics = ["final_eval_return", "best_eval_return", "auc"]
    p.add_argument("--metric", default=metrics[0], choices=metrics)
    p.add_argument("--resamples", type=int, default=2000, help="bootstrap resamples")
    p.add_argument("--seed", type=int, default=0, help="bootstrap seed")
    args = p.parse_args(argv)
    try:
        runs, scalars = _load(args.paths)
        keys = resolve_keys(runs, args.by) if args.by else runs.attrs["swept"]
        runs = runs.assign(**{k: runs[f"param.{k}"] for k in keys if k not in runs})
        table = summarize(runs, keys, args.metric, n_resamples=args.resamples, seed=args.seed)
        text = report(table, runs, keys, args.metric)
        out = args.out or args.paths[0]
        out.mkdir(parents=True, exist_ok=True)
        table.to_csv(out / "compare.csv", index=False)
        (out / "compare.md").write_text(text)
        labelled = runs.assign(group=group_labels(runs, keys))
        plot_curves(_curves(labelled, scalars, EVAL_KEY, ["group"]), out / "learning_curves.png")
    except (CompareError, OSError) as e:
        print(f"compare: error: {e}", file=sys.stderr)
        return 2
    print(text)
    print(f"wrote {out / 'compare.csv'}, {out / 'compare.md'}, {out / 'learning_curves.png'}")
    return 0


if __name__ == "__main__":
    raise SystemExit(main())
