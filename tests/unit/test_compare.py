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

from ddpg import compare

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
) -> Path:
    """Write one run directory following the run-directory contract."""
    (run_dir / ".hydra").mkdir(parents=True)
    overrides = f"- reward_norm={reward_norm}\n- seed={seed}\n"
    (run_dir / ".hydra" / "overrides.yaml").write_text(overrides)
    params = {
        "seed": seed,
        "agent.actor_lr": 0.001,
        "agent.tau": 0.005,
        "agent.hidden": [64, 64],
        "reward_norm.name": reward_norm,
        "env.id": "Pendulum-v1",
        "env.solved_score": SOLVED,
        "output_dir": str(run_dir),  # differs per run but must never become a group key
    }
    (run_dir / "params.json").write_text(json.dumps(params))
    lines = ["step,key,value"]
    for step, value in evals:
        lines += [f"{step},eval/return_mean,{value}", f"{step},eval/return_std,10.0"]
        lines += [f"{step},train/episode_return,{value - 50}"]
    (run_dir / "scalars.csv").write_text("\n".join(lines) + "\n")
    summary = {
        "status": status,
        "env_id": "Pendulum-v1",
        "seed": seed,
        "env_steps": evals[-1][0] if evals else 0,
        "episodes": 10,
        "final_eval_return": final,
        "final_eval_std": 10.0,
        "best_eval_return": max((v for _, v in evals), default=None),
        "solved_score": SOLVED,
        "steps_to_solve": None,
        "wall_time_s": 12.5,
        "steps_per_sec": 160.0,
        "error": error,
    }
    (run_dir / "summary.json").write_text(json.dumps(summary))
    return run_dir


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
    failed = runs[runs["status"] == "failed"].iloc[0]
    assert math.isnan(failed["auc"])  # a single eval point has no area
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
    assert compare.main([str(sweep), "--resamples", "200"]) == 0
    printed = capsys.readouterr().out
    assert "| group |" in printed and "running" in printed
    table = pd.read_csv(sweep / "compare.csv")
    assert table["group"].tolist() == ["running", "none"]  # best mean first
    best, worst = table.iloc[0], table.iloc[1]
    assert best["n_seeds"] == 3 and best["n_unfinished"] == 1  # failed run excluded
    assert best["mean"] == pytest.approx(np.mean([-150.0, -160.0, -170.0]))
    assert worst["mean"] == pytest.approx(-400.0)
    assert worst["median"] == pytest.approx(-400.0)
    assert best["mean_ci_low"] <= best["mean"] <= best["mean_ci_high"]
    assert best["frac_solved"] == 1.0 and worst["frac_solved"] == 0.0
    assert best["p_improve"] == 0.5 and worst["p_improve"] == 0.0
    assert best["steps_to_solve"] == pytest.approx((2000 + 1000 + 2000) / 3)
    md = (sweep / "compare.md").read_text()
    assert "## Problems" in md
    problems = md.split("## Problems")[1]
    assert (
        str(sweep / "6") in problems and "failed" in problems and "NaN in critic loss" in problems
    )
    png = sweep / "learning_curves.png"
    assert png.stat().st_size > 1000 and png.read_bytes()[:4] == b"\x89PNG"


def test_by_short_name_and_out_dir(sweep: Path, tmp_path: Path) -> None:
    out = tmp_path / "report"
    assert compare.main([str(sweep), "--by", "reward_norm", "--out", str(out)]) == 0
    table = pd.read_csv(out / "compare.csv")
    assert "reward_norm.name" in table.columns
    assert set(table["group"]) == {"none", "running"}
    assert not (sweep / "compare.csv").exists()
    # A key that is not swept still groups (one group); dotted suffix matching works.
    assert compare.main([str(sweep), "--by", "tau", "--out", str(out)]) == 0
    table = pd.read_csv(out / "compare.csv")
    assert table["n_seeds"].tolist() == [6]


def test_by_several_keys(sweep: Path, tmp_path: Path) -> None:
    assert compare.main([str(sweep), "--by", "reward_norm", "env.id", "--out", str(tmp_path)]) == 0
    table = pd.read_csv(tmp_path / "compare.csv")
    assert set(table["group"]) == {
        "reward_norm=running, id=Pendulum-v1",
        "reward_norm=none, id=Pendulum-v1",
    }


def test_unknown_by_key_lists_available(sweep: Path, capsys: pytest.CaptureFixture[str]) -> None:
    assert compare.main([str(sweep), "--by", "gamma"]) == 2
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
    assert compare.main([str(a), str(b), "--resamples", "100"]) == 0
    table = pd.read_csv(a / "compare.csv")  # written to the first path
    assert dict(zip(table["group"], table["n_seeds"], strict=True)) == {"running": 3, "none": 3}


def test_single_run_directory(tmp_path: Path) -> None:
    run = write_run(tmp_path / "run", "none", 0, [(0, -500.0), (100, -100.0)], -100.0)
    assert compare.main([str(run)]) == 0
    table = pd.read_csv(run / "compare.csv")
    assert table["group"].tolist() == ["all runs"] and table["mean"].item() == -100.0
    assert math.isnan(table["mean_ci_low"].item())  # one run: no CI


def test_identical_scores_do_not_crash(tmp_path: Path) -> None:
    for seed in range(3):
        write_run(tmp_path / str(seed), "none", seed, [(0, -5.0), (10, -5.0)], -5.0)
    assert compare.main([str(tmp_path)]) == 0
    table = pd.read_csv(tmp_path / "compare.csv")
    assert table["mean_ci_low"].item() == table["mean_ci_high"].item() == -5.0


def _error(argv: list[str], capsys: pytest.CaptureFixture[str]) -> str:
    assert compare.main(argv) == 2
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
    assert compare.main([str(sweep), "--resamples", "100"]) == 0
    table = pd.read_csv(sweep / "compare.csv").set_index("group")
    assert table.loc["none", "n_seeds"] == 2
    assert table.loc["none", "mean"] == pytest.approx(-350.0)
    problems = (sweep / "compare.md").read_text().split("## Problems")[1]
    assert "damaged" in problems and str(sweep / "2" / "summary.json") in problems


def test_runs_as_module_without_tensorflow(sweep: Path) -> None:
    # A fresh interpreter: other tests in this process import TensorFlow themselves.
    code = f"import sys; from ddpg import compare; compare.load_runs({str(sweep)!r}); "
    code += "assert 'tensorflow' not in sys.modules"
    subprocess.run([sys.executable, "-c", code], check=True)
