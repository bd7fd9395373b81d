"""Tests for ddpg.compare on hand-written run directories (no training, no TensorFlow)."""

from __future__ import annotations

import json
import math
import subprocess
import sys
from pathlib import Path

import numpy as np
import pandas as pd
import pytest
from scipy import stats as sps

from ddpg import compare as compare_command
from ddpg.analysis import compare

from . import rundirs

SOLVED = -200.0
# Per reward_norm value: three seeds of (eval curve points, final eval return).
CURVES = {
    "none": [
        ([(0, -1200.0), (1000, -800.0), (2000, -400.0)], -400.0),
        ([(0, -1100.0), (1000, -700.0), (2000, -300.0)], -300.0),
        ([(0, -1300.0), (1000, -900.0), (2000, -500.0)], -500.0),
    ],
    "running": [
        ([(0, -1200.0), (1000, -300.0), (2000, -150.0)], -150.0),
        ([(0, -1000.0), (1000, -190.0), (2000, -160.0)], -160.0),
        ([(0, -1100.0), (1000, -250.0), (2000, -170.0)], -170.0),
    ],
}


def write_run(
    run_dir: Path,
    reward_norm: str,
    seed: int,
    evals: list[tuple[int, float]],
    final: float | None,
    status: str = "completed",
    error: str | None = None,
    budget: int = 2000,
    extra: dict[str, float] | None = None,
) -> Path:
    """One run directory (rundirs.write_run) with compare's whole record: eval std and training
    returns in scalars.csv, `final` as the final eval return, the summary's every field.

    `extra` params are also written as overrides, as a sweep over them would.
    """
    overrides = [f"reward_norm={reward_norm}", f"seed={seed}"]
    overrides += [f"{k}={v}" for k, v in (extra or {}).items()]
    params = {"agent.actor_lr": 0.001, "agent.hidden": [64, 64], "env.solved_score": SOLVED}
    rows = [(step, "eval/return_std", 10.0) for step, _ in evals]
    rows += [(step, "train/episode_return", value - 50) for step, value in evals]
    summary = {
        "env_id": "Pendulum-v1",
        "episodes": 10,
        "final_eval_return": final,
        "final_eval_std": 10.0,
        "solved_score": SOLVED,
        "steps_to_solve": None,
        "wall_time_s": 12.5,
        "steps_per_sec": 160.0,
        "error": error,
    }
    return rundirs.write_run(
        run_dir,
        evals,
        seed=seed,
        reward_norm=reward_norm,
        budget=budget,
        status=status,
        params=params | (extra or {}),
        overrides=overrides,
        rows=rows,
        summary=summary,
    )


@pytest.fixture()
def sweep(tmp_path: Path) -> Path:
    """A multirun: 2 reward_norm values x 3 seeds, plus one failed run."""
    root = tmp_path / "multirun" / "2025-01-01" / "12-00-00"
    root.mkdir(parents=True)
    (root / "multirun.yaml").write_text("hydra: {}\n")
    job = 0
    for norm, seeds in CURVES.items():
        for seed, (evals, final) in enumerate(seeds):
            write_run(root / str(job), norm, seed, evals, final)
            job += 1
    write_run(root / str(job), "running", 3, [(0, -1200.0)], None, "failed", "NaN in critic loss")
    return root


def test_load_runs_values(sweep: Path) -> None:
    runs = compare.load_runs(sweep)
    assert len(runs) == 7
    assert runs.attrs["swept"] == ["reward_norm.name"]
    assert list(runs.columns[:3]) == ["run_dir", "reward_norm.name", "seed"]
    row = runs[runs["run_dir"] == str(sweep / "3")].iloc[0]
    assert row["reward_norm.name"] == "running" and row["seed"] == 0
    assert row["status"] == "completed"
    assert row["final_eval_return"] == -150.0
    assert row["best_eval_return"] == -150.0
    # Trapezoid mean over [0, 2000]: ((-1200-300)/2*1000 + (-300-150)/2*1000) / 2000.
    assert row["auc"] == pytest.approx(-487.5)
    assert row["steps_to_solve"] == 2000.0
    assert runs.loc[runs["run_dir"] == str(sweep / "4"), "steps_to_solve"].item() == 1000.0
    assert math.isnan(runs.loc[runs["run_dir"] == str(sweep / "0"), "steps_to_solve"].item())
    assert row["wall_time_s"] == 12.5 and row["steps_per_sec"] == 160.0
    # All params kept with a prefix; lists as JSON text.
    assert row["param.agent.tau"] == 0.005
    assert row["param.agent.hidden"] == "[64, 64]"
    assert row["budget"] == 2000.0 and row["last_eval_step"] == 2000.0
    assert row["worst_eval_return"] == -1200.0
    failed = runs[runs["status"] == "failed"].iloc[0]
    assert failed["auc"] == -1200.0  # one eval, held over the whole budget
    assert failed["error"] == "NaN in critic loss"


def test_load_curves(sweep: Path) -> None:
    curves = compare.load_curves(sweep)
    assert list(curves.columns) == [
        "run_dir",
        "reward_norm.name",
        "seed",
        "status",
        "step",
        "value",
    ]
    assert len(curves) == 6 * 3 + 1
    one = curves[curves["run_dir"] == str(sweep / "1")]
    assert one["value"].tolist() == [-1100.0, -700.0, -300.0]
    ema = compare.load_curves(sweep, key="train/episode_return")
    assert ema[ema["run_dir"] == str(sweep / "1")]["value"].tolist() == [-1150.0, -750.0, -350.0]


def test_auc_is_the_mean_return_over_the_whole_budget(tmp_path: Path) -> None:
    # Stopped early at 2000 of a 4000-step budget: -400 held back to step 0, linear to -100
    # at 2000, held to 4000: (-400 * 1000 - 250 * 1000 - 100 * 2000) / 4000 = -212.5.
    early = [(1000, -400.0), (2000, -100.0)]
    write_run(tmp_path / "0", "none", 0, early, -100.0, "stopped_early", budget=4000)
    write_run(tmp_path / "1", "none", 1, [(500, -300.0)], -300.0, budget=1000)  # one eval
    runs = compare.load_runs(tmp_path).set_index("seed")
    assert runs.loc[0, "auc"] == pytest.approx(-212.5)
    assert runs.loc[1, "auc"] == pytest.approx(-300.0)


def diverged_sweep(root: Path) -> Path:
    """'none': 3 steady seeds. 'running': 3 better seeds and 2 that diverged (5 runs)."""
    for seed, final in enumerate([-300.0, -310.0, -320.0]):
        write_run(root / f"n{seed}", "none", seed, [(1000, -900.0), (2000, final)], final)
    for seed, final in enumerate([-150.0, -160.0, -170.0]):
        write_run(root / f"r{seed}", "running", seed, [(1000, -1000.0), (2000, final)], final)
    # One diverged after an eval at -1400, one before any eval (it scores the floor: -1400,
    # the lowest eval return of any counted run).
    write_run(root / "r3", "running", 3, [(1000, -1400.0)], -1400.0, "diverged", "NaN q")
    write_run(root / "r4", "running", 4, [], None, "diverged", "NaN critic loss")
    return root


def test_diverged_runs_count_and_the_best_group_is_ranked_with_them(tmp_path: Path) -> None:
    diverged_sweep(tmp_path)
    assert compare_command.main([str(tmp_path), "--resamples", "200"]) == 0
    table = pd.read_csv(tmp_path / "compare.csv").set_index("group")
    # On its 3 survivors 'running' would win (-160 vs -310); with all 5 runs it loses.
    assert table.index.tolist() == ["none", "running"]
    risky = table.loc["running"]
    assert risky["n_runs"] == 5 and risky["n_diverged"] == 2 and risky["n_at_floor"] == 1
    assert risky["mean"] == pytest.approx((-150 - 160 - 170 - 1400 - 1400) / 5)
    assert risky["median"] == -170.0
    # 3 of 5 runs beat every 'none' run, 2 lose to all: 9 of 15 pairs.
    assert risky["p_improve"] == pytest.approx(0.6) and table.loc["none", "p_improve"] == 0.5
    assert risky["frac_final_solved"] == pytest.approx(0.6)
    # A survivor's AUC: (-1000 * 1000 + (-1000 + final) / 2 * 1000) / 2000, e.g. -787.5 for
    # -150; the diverged runs hold -1400 (their last eval, and the floor) over the budget.
    assert risky["auc"] == pytest.approx((-787.5 - 790 - 792.5 - 1400 - 1400) / 5)
    md = (tmp_path / "compare.md").read_text()
    small = md.split("**Warning:**")[1].splitlines()[0]
    assert "1 of 2 groups (none)" in small and "running" not in small  # 'running' has 5
    rows = md.split("## Diverged runs")[1].split("## Problems")[0]
    assert str(tmp_path / "r3") in rows and str(tmp_path / "r4") in rows
    assert "floor (no eval)" in rows and "NaN critic loss" in rows
    assert "None: every run finished." in md


def test_learning_curves_count_diverged_runs_with_the_tables_interval(tmp_path: Path) -> None:
    runs, scalars = compare._load(diverged_sweep(tmp_path))
    boot = {"n_resamples": 300, "seed": 4}
    table = compare.summarize(runs, ["reward_norm.name"], **boot).set_index("group")
    bands = compare.learning_curve_bands(runs, scalars, ["reward_norm.name"])
    band = bands["running"]
    assert (band.n_runs, band.n_diverged) == (5, 2)
    assert band.steps[0] == 0.0 and band.steps[-1] == 2000.0
    # At the budget the band is the table's CI of the final return: Student t over the 5 runs.
    ci = table.loc["running", ["mean", "mean_ci_low", "mean_ci_high"]].to_numpy(float)
    assert [band.mean[-1], band.low[-1], band.high[-1]] == pytest.approx(ci, rel=1e-12)
    final = np.array([-150.0, -160.0, -170.0, -1400.0, -1400.0])  # diverged runs hold -1400
    half = sps.t.ppf(0.975, 4) * final.std(ddof=1) / np.sqrt(5)
    assert ci == pytest.approx([final.mean(), final.mean() - half, final.mean() + half])
    assert band.mean[0] == pytest.approx((-1000 * 3 - 1400 - 1400) / 5)  # first eval held back


def test_failed_jobs_values_are_never_grouping_keys(tmp_path: Path) -> None:
    for seed, norm in enumerate(["none", "running"] * 2):
        evals = [(1000, -500.0), (2000, -300.0 - seed)]
        write_run(tmp_path / str(seed), norm, seed, evals, -300.0 - seed, extra={"agent.tau": 0.01})
    # The sweep also asked for tau=5, which failed validation: its folder stays.
    bad = {"agent.tau": 5.0}
    write_run(tmp_path / "9", "none", 0, [], None, "failed", "agent.tau=5.0 is invalid", extra=bad)
    runs = compare.load_runs(tmp_path)
    assert runs.attrs["swept"] == ["reward_norm.name"]
    assert compare_command.main([str(tmp_path), "--resamples", "100"]) == 0
    table = pd.read_csv(tmp_path / "compare.csv").set_index("group")
    assert table["n_runs"].to_dict() == {"none": 2, "running": 2}
    assert table["n_failed"].to_dict() == {"none": 1, "running": 0}
    # Grouped by tau on purpose: a group that only failed jobs make is no row.
    assert compare_command.main([str(tmp_path), "--by", "tau", "--resamples", "100"]) == 0
    assert pd.read_csv(tmp_path / "compare.csv", dtype=str)["group"].tolist() == ["0.01"]
    assert "agent.tau=5.0 is invalid" in (tmp_path / "compare.md").read_text()


def test_solved_fractions_final_and_ever_are_told_apart(tmp_path: Path) -> None:
    # Seed 0 reached the target (-150 >= -200) and fell back; seed 1 ends solved.
    write_run(tmp_path / "0", "none", 0, [(1000, -150.0), (2000, -250.0)], -250.0)
    write_run(tmp_path / "1", "none", 1, [(1000, -400.0), (2000, -190.0)], -190.0)
    write_run(tmp_path / "2", "none", 2, [(1000, -400.0), (2000, -300.0)], -300.0)
    table = compare.summarize(compare.load_runs(tmp_path), [], n_resamples=100)
    assert table["frac_final_solved"].item() == pytest.approx(1 / 3)
    assert table["frac_ever_solved"].item() == pytest.approx(2 / 3)
    assert table["steps_to_solve"].item() == pytest.approx(1500.0)


def test_a_run_without_any_eval_is_never_solved_even_at_a_solved_floor(tmp_path: Path) -> None:
    # The only eval logged is above the target, so the floor is too; the diverged run that
    # never evaluated ranks at the floor but did not solve anything.
    write_run(tmp_path / "0", "none", 0, [(1000, -150.0)], -150.0)
    write_run(tmp_path / "1", "none", 1, [], None, status="diverged")
    table = compare.summarize(compare.load_runs(tmp_path), [], n_resamples=100)
    assert table["n_runs"].item() == 2 and table["mean"].item() == pytest.approx(-150.0)
    assert table["frac_final_solved"].item() == pytest.approx(0.5)


def test_unfinished_runs_are_counted_apart_and_warned_about(sweep: Path) -> None:
    write_run(sweep / "7", "none", 7, [(1000, 0.0)], 0.0, "interrupted", "stopped by SIGTERM")
    assert compare_command.main([str(sweep), "--resamples", "100"]) == 0
    table = pd.read_csv(sweep / "compare.csv").set_index("group")
    assert table.loc["none", "n_unfinished"] == 1 and table.loc["none", "n_runs"] == 3
    assert table.loc["none", "mean"] == pytest.approx(-400.0)
    md = (sweep / "compare.md").read_text()
    assert "**Warning:** 1 runs are unfinished" in md


def test_only_failed_runs_still_reports_them(tmp_path: Path) -> None:
    for seed in range(2):
        write_run(tmp_path / str(seed), "none", seed, [], None, "failed", "Bogus-v9 not found")
    assert compare_command.main([str(tmp_path)]) == 0
    md = (tmp_path / "compare.md").read_text()
    assert "No run can be counted" in md and md.count("Bogus-v9 not found") == 2


def test_swept_keys_fall_back_to_differing_keys(tmp_path: Path) -> None:
    for i, norm in enumerate(["none", "running"]):
        write_run(tmp_path / str(i), norm, 0, [(0, -1.0), (10, 0.0)], 0.0)
        (tmp_path / str(i) / ".hydra" / "overrides.yaml").unlink()
    assert compare.load_runs(tmp_path).attrs["swept"] == ["reward_norm.name"]


def test_sub_keys_that_follow_the_option_name_are_not_swept(tmp_path: Path) -> None:
    # reward_norm=episode_return brings its own gamma: one treatment, not two.
    for i, (norm, gamma) in enumerate([("none", 0.99), ("episode_return", 0.999)] * 2):
        run = write_run(tmp_path / str(i), norm, i, [(0, -1.0), (10, 0.0)], 0.0)
        params = json.loads((run / "params.json").read_text())
        (run / "params.json").write_text(json.dumps({**params, "reward_norm.gamma": gamma}))
    assert compare.load_runs(tmp_path).attrs["swept"] == ["reward_norm.name"]


def test_experiment_preset_is_a_grouping_key(tmp_path: Path) -> None:
    for i in range(4):
        run = write_run(tmp_path / str(i), "none", i, [(0, -1.0), (10, float(i))], float(i))
        if i % 2:
            overrides = run / ".hydra" / "overrides.yaml"
            overrides.write_text(overrides.read_text() + "- +experiment=seed_pendulum\n")
    runs = compare.load_runs(tmp_path)
    assert runs.attrs["swept"] == ["experiment"]
    assert sorted(runs["experiment"]) == ["none", "none", "seed_pendulum", "seed_pendulum"]


def test_main_writes_outputs_and_stats(sweep: Path, capsys: pytest.CaptureFixture[str]) -> None:
    assert compare_command.main([str(sweep), "--resamples", "200"]) == 0
    printed = capsys.readouterr().out
    assert "| group |" in printed and "running" in printed
    table = pd.read_csv(sweep / "compare.csv")
    assert table["group"].tolist() == ["running", "none"]  # best mean first
    best, worst = table.iloc[0], table.iloc[1]
    assert best["n_runs"] == 3 and best["n_failed"] == 1  # failed run excluded
    assert best["n_unfinished"] == 0 and best["n_diverged"] == 0
    assert best["mean"] == pytest.approx(np.mean([-150.0, -160.0, -170.0]))
    assert worst["mean"] == pytest.approx(-400.0)
    assert worst["median"] == pytest.approx(-400.0)
    assert best["mean_ci_low"] <= best["mean"] <= best["mean_ci_high"]
    assert best["frac_final_solved"] == 1.0 and worst["frac_final_solved"] == 0.0
    assert best["frac_ever_solved"] == 1.0 and worst["frac_ever_solved"] == 0.0
    assert best["p_improve"] == 0.5 and worst["p_improve"] == 0.0
    assert best["steps_to_solve"] == pytest.approx((2000 + 1000 + 2000) / 3)
    md = (sweep / "compare.md").read_text()
    assert "## Problems" in md
    assert "mean eval return over [0, budget]" in md  # the AUC's definition in the header
    assert "**Warning:** fewer than 5 counted runs in 2 of 2 groups (all):" in md
    problems = md.split("## Problems")[1]
    assert (
        str(sweep / "6") in problems and "failed" in problems and "NaN in critic loss" in problems
    )
    png = sweep / "learning_curves.png"
    assert png.stat().st_size > 1000 and png.read_bytes()[:4] == b"\x89PNG"


def test_by_short_name_and_out_dir(sweep: Path, tmp_path: Path) -> None:
    out = tmp_path / "report"
    assert compare_command.main([str(sweep), "--by", "reward_norm", "--out", str(out)]) == 0
    table = pd.read_csv(out / "compare.csv")
    assert "reward_norm.name" in table.columns
    assert set(table["group"]) == {"none", "running"}
    assert not (sweep / "compare.csv").exists()
    # A key that is not swept still groups (one group); dotted suffix matching works.
    assert compare_command.main([str(sweep), "--by", "tau", "--out", str(out)]) == 0
    table = pd.read_csv(out / "compare.csv")
    assert table["n_runs"].tolist() == [6]


def test_by_several_keys(sweep: Path, tmp_path: Path) -> None:
    assert (
        compare_command.main([str(sweep), "--by", "reward_norm", "env.id", "--out", str(tmp_path)])
        == 0
    )
    table = pd.read_csv(tmp_path / "compare.csv")
    assert set(table["group"]) == {
        "reward_norm=running, id=Pendulum-v1",
        "reward_norm=none, id=Pendulum-v1",
    }


def test_unknown_by_key_lists_available(sweep: Path, capsys: pytest.CaptureFixture[str]) -> None:
    assert compare_command.main([str(sweep), "--by", "gamma"]) == 2
    err = capsys.readouterr().err
    assert "'gamma'" in err and "reward_norm.name" in err and "agent.tau" in err
    assert len(err.strip().splitlines()) == 1


def test_multiple_input_paths(tmp_path: Path) -> None:
    a, b = tmp_path / "a", tmp_path / "b"
    for seed, (evals, final) in enumerate(CURVES["none"]):
        write_run(a / str(seed), "none", seed, evals, final)
    for seed, (evals, final) in enumerate(CURVES["running"]):
        write_run(b / str(seed), "running", seed, evals, final)
    runs = compare.load_runs([a, b])
    assert len(runs) == 6 and runs.attrs["swept"] == ["reward_norm.name"]
    assert compare_command.main([str(a), str(b), "--resamples", "100"]) == 0
    table = pd.read_csv(a / "compare.csv")  # written to the first path
    assert dict(zip(table["group"], table["n_runs"], strict=True)) == {"running": 3, "none": 3}
    # Merged by a key neither sweep varies: six runs over three distinct seeds.
    assert compare_command.main([str(a), str(b), "--by", "tau", "--resamples", "100"]) == 0
    table = pd.read_csv(a / "compare.csv")
    assert "n_seeds" not in table.columns and table["n_runs"].tolist() == [6]


def test_single_run_directory(tmp_path: Path) -> None:
    run = write_run(tmp_path / "run", "none", 0, [(0, -500.0), (100, -100.0)], -100.0)
    assert compare_command.main([str(run)]) == 0
    table = pd.read_csv(run / "compare.csv")
    assert table["group"].tolist() == ["all runs"] and table["mean"].item() == -100.0
    assert math.isnan(table["mean_ci_low"].item())  # one run: no CI


def test_identical_scores_do_not_crash(tmp_path: Path) -> None:
    for seed in range(3):
        write_run(tmp_path / str(seed), "none", seed, [(0, -5.0), (10, -5.0)], -5.0)
    assert compare_command.main([str(tmp_path)]) == 0
    table = pd.read_csv(tmp_path / "compare.csv")
    assert table["mean_ci_low"].item() == table["mean_ci_high"].item() == -5.0


def _error(argv: list[str], capsys: pytest.CaptureFixture[str]) -> str:
    assert compare_command.main(argv) == 2
    err = capsys.readouterr().err
    assert len(err.strip().splitlines()) == 1 and "Traceback" not in err
    return err


def test_error_missing_path(tmp_path: Path, capsys: pytest.CaptureFixture[str]) -> None:
    missing = tmp_path / "nope"
    assert str(missing) in _error([str(missing)], capsys)


def test_error_empty_directory(tmp_path: Path, capsys: pytest.CaptureFixture[str]) -> None:
    err = _error([str(tmp_path)], capsys)
    assert "empty" in err and str(tmp_path) in err


def test_error_no_runs(tmp_path: Path, capsys: pytest.CaptureFixture[str]) -> None:
    (tmp_path / "notes.txt").write_text("hi")
    err = _error([str(tmp_path)], capsys)
    assert "no runs" in err and str(tmp_path) in err


@pytest.mark.parametrize(
    ("name", "content"),
    [
        ("summary.json", "{not json"),
        ("params.json", "[1, 2]"),
        ("scalars.csv", "a,b\n1,2\n"),
        ("scalars.csv", "step,key,value\n0,eval/return_mean,abc\n"),
    ],
)
def test_error_damaged_single_run(
    tmp_path: Path, capsys: pytest.CaptureFixture[str], name: str, content: str
) -> None:
    run = write_run(tmp_path / "run", "none", 0, [(0, -1.0), (10, 0.0)], 0.0)
    (run / name).write_text(content)
    assert str(run / name) in _error([str(run)], capsys)


def test_damaged_run_among_good_ones_is_listed(
    sweep: Path, capsys: pytest.CaptureFixture[str]
) -> None:
    (sweep / "2" / "summary.json").write_text("{broken")
    assert compare_command.main([str(sweep), "--resamples", "100"]) == 0
    table = pd.read_csv(sweep / "compare.csv").set_index("group")
    assert table.loc["none", "n_runs"] == 2
    assert table.loc["none", "mean"] == pytest.approx(-350.0)
    problems = (sweep / "compare.md").read_text().split("## Problems")[1]
    assert "damaged" in problems and str(sweep / "2" / "summary.json") in problems


def test_runs_as_module_without_tensorflow(sweep: Path) -> None:
    # A fresh interpreter: other tests in this process import TensorFlow themselves.
    code = f"import sys; from ddpg import compare; compare.load_runs({str(sweep)!r}); "
    code += "assert 'tensorflow' not in sys.modules"
    subprocess.run([sys.executable, "-c", code], check=True)


def test_pruned_runs_are_listed_apart_and_never_counted(sweep: Path) -> None:
    # A search (ddpg.tune) stopped two 'none' runs early; one more setting only has a pruned run.
    write_run(sweep / "8", "none", 8, [(0, -1300.0), (1000, -1250.0)], -1250.0, "pruned")
    write_run(sweep / "9", "none", 9, [(0, -1400.0)], -1400.0, "pruned")
    write_run(sweep / "10", "scale", 0, [(0, -1500.0)], -1500.0, "pruned")
    assert compare_command.main([str(sweep), "--resamples", "100"]) == 0
    table = pd.read_csv(sweep / "compare.csv").set_index("group")
    assert "scale" not in table.index  # only pruned runs: no row
    none = table.loc["none"]
    assert none["n_runs"] == 3 and none["n_pruned"] == 2 and none["n_unfinished"] == 0
    assert none["mean"] == pytest.approx(-400.0)  # the pruned -1250 and -1400 not in it
    assert table.loc["running", "n_pruned"] == 0
    md = (sweep / "compare.md").read_text()
    assert "runs are unfinished" not in md
    pruned = md.split("## Pruned runs")[1].split("## Problems")[0]
    for run in ("8", "9", "10"):
        assert str(sweep / run) in pruned
    assert "| n_pruned |" in md.split("## Diverged runs")[0]
    problems = md.split("## Problems")[1]
    assert str(sweep / "8") not in problems and str(sweep / "6") in problems


def test_without_pruned_runs_the_report_has_no_pruned_section(sweep: Path) -> None:
    assert compare_command.main([str(sweep), "--resamples", "100"]) == 0
    md = (sweep / "compare.md").read_text()
    assert "## Pruned runs" not in md and "| n_pruned |" not in md
    assert pd.read_csv(sweep / "compare.csv")["n_pruned"].tolist() == [0, 0]


def test_peak_of_mean_curve_ranks_groups_and_differs_from_each_runs_best(tmp_path: Path) -> None:
    # 'none' swaps its best and worst evals between seeds: each run's best is -100, but the
    # mean curve is -200 at both evals. 'running' is steady at -150 and -160: peak -155.
    write_run(tmp_path / "n0", "none", 0, [(1000, -100.0), (2000, -300.0)], -300.0)
    write_run(tmp_path / "n1", "none", 1, [(1000, -300.0), (2000, -100.0)], -100.0)
    write_run(tmp_path / "r0", "running", 0, [(1000, -150.0), (2000, -150.0)], -150.0)
    write_run(tmp_path / "r1", "running", 1, [(1000, -160.0), (2000, -160.0)], -160.0)
    args = [str(tmp_path), "--resamples", "400", "--metric"]
    assert compare_command.main([*args, "best_eval_return"]) == 0
    assert pd.read_csv(tmp_path / "compare.csv")["group"].tolist() == ["none", "running"]
    assert compare_command.main([*args, "peak_of_mean_curve"]) == 0
    table = pd.read_csv(tmp_path / "compare.csv").set_index("group")  # plain read_csv
    assert table.index.tolist() == ["running", "none"]  # ranked by the peak now
    none = table.loc["none"]
    assert none["mean"] == -100.0  # the per-run columns: best_eval_return
    assert (none["peak_of_mean_curve"], none["peak_step"]) == (-200.0, 1000.0)
    # Runs resampled: n0 n0 peaks at -100, n1 n1 at -100, mixed at -200 (each half the time).
    assert (none["peak_ci_low"], none["peak_ci_high"]) == (-200.0, -100.0)
    assert table.loc["running", "peak_of_mean_curve"] == -155.0
    assert table["ci_level"].tolist() == [0.95, 0.95]
    assert table["resamples"].tolist() == [400, 400] and table["bootstrap_seed"].tolist() == [0, 0]
    assert "mean: Student t" in none["ci_method"] and "p_improve: BCa" in none["ci_method"]
    # The best group has no p_improve interval (0.5 against itself); the other one has one.
    assert math.isnan(table.loc["running", "p_improve_ci_low"])
    assert 0.0 <= none["p_improve_ci_low"] <= none["p_improve"] <= none["p_improve_ci_high"]
    md = (tmp_path / "compare.md").read_text()
    assert "Metric `peak_of_mean_curve` (groups ranked by it" in md
    assert "two-sided 95% confidence intervals" in md and "draw 400 resamples, seed 0" in md
    assert "| peak of mean curve [95% CI] |" in md and "-200 [-200, -100]" in md


def test_peak_metric_needs_the_curves(tmp_path: Path) -> None:
    write_run(tmp_path / "n0", "none", 0, [(1000, -100.0)], -100.0)
    with pytest.raises(compare.CompareError, match="peak_of_mean_curve needs"):
        compare.summarize(compare.load_runs(tmp_path), [], "peak_of_mean_curve")


def test_a_blown_up_value_is_printed_short(tmp_path: Path, capsys) -> None:
    """A diverged run's 1e30 (its last eval after the losses blew up) prints as -1e+30."""
    for seed in range(3):
        write_run(tmp_path / f"ok{seed}", "none", seed, [(1000, -300.0), (2000, -200.0)], -200.0)
    blown = [(1000, -1e30)]
    write_run(tmp_path / "blown", "none", 3, blown, -1e30, "diverged", "loss/critic is not finite")
    assert compare_command.main([str(tmp_path), "--resamples", "50"]) == 0
    out = capsys.readouterr().out
    assert "-1e+30" in out and "1000000000000000019884624838656" not in out


def test_tables_print_swept_values_as_the_labels_do(tmp_path: Path) -> None:
    # A search's trials: gamma 0.99985 was pruned; the statistics' rounding would show it as 1.
    for seed, (gamma, lr) in enumerate([(0.99, 0.001127188175138778), (0.995, 3e-4)]):
        extra = {"agent.gamma": gamma, "agent.actor_lr": lr}
        write_run(tmp_path / f"t{seed}", "none", seed, [(1000, -300.0)], -300.0, extra=extra)
    extra = {"agent.gamma": 0.99985, "agent.actor_lr": 1e-4}
    write_run(tmp_path / "t2", "none", 2, [(1000, -900.0)], -900.0, "pruned", extra=extra)
    assert compare_command.main([str(tmp_path), "--resamples", "50"]) == 0
    md = (tmp_path / "compare.md").read_text()
    pruned = md.split("## Pruned runs")[1].split("## Problems")[0]
    assert f"| {tmp_path / 't2'} | 1e-4 | 0.99985 |" in pruned
    table = md.split("## Diverged runs")[0]
    assert "| actor_lr=0.001127, gamma=0.99 |" in table
    assert "| actor_lr=3e-4, gamma=0.995 |" in table
