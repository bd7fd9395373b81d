"""ddpg.analysis.results: runs.csv and learning_curves.csv read back with pandas; budgets never
mix in a group unless --by says so, and a curve says where its number of runs changes."""

from __future__ import annotations

import json
from pathlib import Path

import numpy as np
import pandas as pd

from ddpg import compare as compare_command
from ddpg.analysis.plots import Band, _mark_n_changes

from .rundirs import write_run

EVALS = {
    0: [(0, -1200.0), (1000, -300.0), (2000, -400.0)],
    1: [(0, -1100.0), (1000, -700.0), (2000, -250.0)],
}


def two_seeds(root: Path) -> Path:
    for seed, evals in EVALS.items():
        write_run(root / str(seed), evals, seed=seed, reward_norm="running")
    return root


def read_runs_csv(path: Path) -> pd.DataFrame:
    return pd.read_csv(path, dtype={"run": str}, converters={"eval_curve": json.loads})


def test_runs_csv_carries_each_runs_final_best_and_whole_curve(tmp_path: Path) -> None:
    root = two_seeds(tmp_path / "sweep")
    write_run(root / "2", [(1000, -900.0)], seed=2, reward_norm="none", status="diverged")
    assert compare_command.main([str(root), "--out", str(tmp_path / "out")]) == 0
    runs = read_runs_csv(tmp_path / "out" / "runs.csv").set_index("run")
    assert runs.index.tolist() == ["0", "1", "2"]  # relative to the compared folder
    assert runs.loc["1", "group"] == "running" and runs.loc["2", "reward_norm.name"] == "none"
    assert runs.loc["1", "seed"] == 1 and runs.loc["2", "status"] == "diverged"
    assert runs.loc["1", "env_id"] == "Pendulum-v1" and runs.loc["1", "budget"] == 2000
    assert runs.loc["1", "env_steps"] == 2000
    assert runs.loc["1", "final_eval_return"] == -250.0
    assert runs.loc["0", "best_eval_return"] == -300.0
    assert runs.loc["0", "steps_to_solve"] != runs.loc["0", "steps_to_solve"]  # NaN: never
    assert runs.loc["1", "steps_to_solve"] != runs.loc["1", "steps_to_solve"]
    for run in ("0", "1"):  # the curve alone gives back the final and best numbers
        curve = runs.loc[run, "eval_curve"]
        assert curve == [list(p) for p in EVALS[int(run)]]
        assert curve[-1][1] == runs.loc[run, "final_eval_return"]
        assert max(v for _, v in curve) == runs.loc[run, "best_eval_return"]
    assert runs.loc["2", "eval_curve"] == [[1000, -900.0]]


def test_run_names_are_relative_to_the_common_folder(tmp_path: Path) -> None:
    for name in ("a", "b"):
        write_run(tmp_path / name / "0", EVALS[0], reward_norm=name)
    out = tmp_path / "out"
    assert compare_command.main([str(tmp_path / "a"), str(tmp_path / "b"), "--out", str(out)]) == 0
    assert read_runs_csv(out / "runs.csv")["run"].tolist() == ["a/0", "b/0"]
    # A run compared alone is named by its own folder, not "."
    assert compare_command.main([str(tmp_path / "a" / "0"), "--out", str(out)]) == 0
    assert read_runs_csv(out / "runs.csv")["run"].tolist() == ["0"]


def mixed_budgets(root: Path) -> Path:
    """Seeds 0, 1 at a 2000-step budget, seed 2 at 4000; one setting, no budget override."""
    two_seeds(root)
    write_run(root / "2", [(2000, -500.0), (4000, -100.0)], seed=2, reward_norm="running",
              budget=4000)  # fmt: skip
    return root


def test_runs_of_different_budgets_are_different_groups(tmp_path: Path) -> None:
    root = mixed_budgets(tmp_path / "sweep")
    write_run(root / "3", EVALS[0], seed=3, reward_norm="none")
    assert compare_command.main([str(root), "--out", str(tmp_path / "out")]) == 0
    table = pd.read_csv(tmp_path / "out" / "compare.csv").set_index("group")
    assert sorted(table.index) == [
        "reward_norm=none, total_steps=2000",
        "reward_norm=running, total_steps=2000",
        "reward_norm=running, total_steps=4000",
    ]
    assert table.loc["reward_norm=running, total_steps=2000", "n_runs"] == 2
    curves = pd.read_csv(tmp_path / "out" / "learning_curves.csv")
    assert curves.groupby("group")["n_runs"].nunique().eq(1).all()  # every curve keeps its n


def test_by_may_pool_budgets_and_the_curve_gives_n_per_step(tmp_path: Path) -> None:
    root = mixed_budgets(tmp_path / "sweep")
    out = tmp_path / "out"
    assert compare_command.main([str(root), "--by", "reward_norm", "--out", str(out)]) == 0
    table = pd.read_csv(out / "compare.csv")
    assert table["group"].tolist() == ["running"] and table["n_runs"].item() == 3
    curve = pd.read_csv(out / "learning_curves.csv")
    assert curve["step"].max() == 4000
    assert set(curve.loc[curve["step"] <= 2000, "n_runs"]) == {3}
    assert set(curve.loc[curve["step"] > 2000, "n_runs"]) == {1}  # only seed 2 went on
    past = curve[curve["step"] > 2000]
    assert past["ci_low"].isna().all()  # one run: no interval
    np.testing.assert_allclose(curve.loc[curve["step"] == 4000, "mean"], -100.0)


def test_the_plot_marks_where_n_changes() -> None:
    from matplotlib.figure import Figure

    steps = np.array([0.0, 1000.0, 2000.0, 3000.0, 4000.0])
    band = Band(steps, -steps, -steps, -steps, 3, 0, np.array([3, 3, 3, 1, 1]))
    ax = Figure().subplots()
    _mark_n_changes(ax, band, "tab:blue")
    assert [t.get_text() for t in ax.texts] == ["n=1"]
    assert ax.texts[0].xy == (3000.0, -3000.0)
    ax = Figure().subplots()
    _mark_n_changes(ax, band._replace(n=np.array([3, 3, 3, 3, 3])), "tab:blue")
    assert not ax.texts  # n never changes: nothing to mark


def test_a_damaged_run_has_a_row_and_whole_numbers_stay_whole(tmp_path: Path) -> None:
    root = two_seeds(tmp_path / "sweep")
    (root / "9").mkdir()
    (root / "9" / "summary.json").write_text("{not json")
    assert compare_command.main([str(root), "--out", str(tmp_path / "out")]) == 0
    text = (tmp_path / "out" / "runs.csv").read_text().splitlines()
    assert text[1].startswith("0,all runs,0,completed,Pendulum-v1,2000,2000,")  # not 0.0
    runs = read_runs_csv(tmp_path / "out" / "runs.csv").set_index("run")
    assert runs.loc["9", "status"] == "damaged" and runs.loc["9", "eval_curve"] == []
