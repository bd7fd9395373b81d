"""ddpg.compare --across: normalized scores per task, stratified aggregates, performance
profiles, the normalization stated; bad input is one line and exit 2."""

from __future__ import annotations

import json
from pathlib import Path

import numpy as np
import pandas as pd
import pytest

from ddpg import compare as compare_command
from ddpg.analysis import normalized

from .rundirs import write_run

# Two tasks with scales of their own: (random, reference) and the final return per seed.
TASKS = {"a": (0.0, 100.0), "b": (-100.0, 0.0)}
FINALS = {
    ("a", "none"): [50.0, 70.0],  # normalized 0.5, 0.7
    ("a", "running"): [90.0, 100.0],  # 0.9, 1.0
    ("b", "none"): [-80.0, -60.0],  # 0.2, 0.4
    ("b", "running"): [-20.0, -10.0],  # 0.8, 0.9
}


def two_tasks(root: Path, scales: bool = True) -> Path:
    for (task, norm), finals in FINALS.items():
        random, reference = TASKS[task]
        for seed, final in enumerate(finals):
            params = {"env.name": task, "env.id": f"Task{task.upper()}-v0"}
            if scales:
                params |= {"env.random_score": random, "env.reference_score": reference}
            write_run(root / f"{task}_{norm}_{seed}", [(0, random), (2000, final)], seed=seed,
                      reward_norm=norm, params=params,
                      overrides=[f"env={task}", f"reward_norm={norm}", f"seed={seed}"])  # fmt: skip
    return root


def run_across(root: Path, out: Path, *extra: str) -> int:
    argv = [str(root), "--by", "reward_norm", "--across", "env", "--out", str(out), *extra]
    return compare_command.main([*argv, "--resamples", "500"])


def test_aggregates_over_tasks_on_the_normalized_scale(tmp_path: Path, capsys) -> None:
    out = tmp_path / "out"
    assert run_across(two_tasks(tmp_path / "runs"), out) == 0
    table = pd.read_csv(out / "across.csv").set_index("group")
    assert table.index.tolist() == ["running", "none"]  # best IQM first
    # none: tasks' means 0.6 and 0.3; pooled 0.2, 0.4, 0.5, 0.7 -> IQM mean(0.4, 0.5).
    assert table.loc["none", "mean"] == pytest.approx(0.45)
    assert table.loc["none", "iqm"] == pytest.approx(0.45)
    assert table.loc["running", "mean"] == pytest.approx(0.9)  # (0.95 + 0.85) / 2
    assert table.loc["running", "iqm"] == pytest.approx(0.9)  # mean(0.9, 0.9)
    assert (table["n_runs"] == 4).all() and (table["n_tasks"] == 2).all()
    # Stratified: each resample keeps 2 runs of each task, so the mean of 'none' stays within
    # [(0.5 + 0.2) / 2, (0.7 + 0.4) / 2].
    assert 0.35 <= table.loc["none", "mean_ci_low"] < table.loc["none", "mean_ci_high"] <= 0.55
    assert table.loc["none", "method"] == "percentile stratified bootstrap over runs within tasks"
    assert table.loc["none", "level"] == 0.95 and table.loc["none", "resamples"] == 500
    runs = pd.read_csv(out / "across_runs.csv").set_index("run")
    assert runs.loc["b_none_1", "normalized"] == pytest.approx(0.4)
    assert runs.loc["b_none_1", "task"] == "b" and runs.loc["b_none_1", "score"] == -60.0
    # Every aggregate is recomputable from across_runs.csv.
    none = runs[runs["group"] == "none"]
    assert none.groupby("task")["normalized"].mean().mean() == pytest.approx(0.45)


def test_profiles_and_the_stated_normalization(tmp_path: Path, capsys) -> None:
    out = tmp_path / "out"
    assert run_across(two_tasks(tmp_path / "runs"), out) == 0
    profiles = pd.read_csv(out / "performance_profiles.csv")
    at = profiles[np.isclose(profiles["tau"], 0.45)].set_index("group")
    # tau 0.45: 'none' has both runs of a above and none of b; 'running' all four.
    assert at.loc["none", "fraction"] == pytest.approx(0.5)
    assert at.loc["running", "fraction"] == pytest.approx(1.0)
    assert (profiles["ci_low"] <= profiles["fraction"] + 1e-12).all()
    assert (out / "performance_profiles.png").read_bytes()[:8] == b"\x89PNG\r\n\x1a\n"
    md = capsys.readouterr().out
    scales = md.split("## Normalization used")[1].split("- `iqm`")[0]
    assert "| a | TaskA-v0 | 0 | 100 | params.json |" in scales
    assert "| b | TaskB-v0 | -100 | 0 | params.json |" in scales
    assert (out / "across.md").read_text() in md
    # The per-task comparison is written too, grouped by the setting and the task.
    per_task = pd.read_csv(out / "compare.csv")
    assert len(per_task) == 4 and "env.name" in per_task.columns
    assert len(pd.read_csv(out / "runs.csv", converters={"eval_curve": json.loads})) == 8


def test_runs_without_the_keys_take_the_tables_scores(tmp_path: Path, capsys) -> None:
    root = tmp_path / "runs"
    write_run(root / "0", [(2000, -200.0)], reward_norm="none", params={"env.name": "pendulum"})
    write_run(root / "1", [(2000, -1250.45)], seed=1, reward_norm="running",
              params={"env.name": "pendulum"})  # fmt: skip
    assert run_across(root, tmp_path / "out") == 0
    scores = pd.read_csv(tmp_path / "out" / "across_runs.csv").set_index("group")
    assert scores.loc["none", "normalized"] == pytest.approx(1.0)  # Pendulum's reference, -200
    assert scores.loc["running", "normalized"] == pytest.approx(0.0)  # its random score
    assert normalized.FROM_TABLE in capsys.readouterr().out


def error_of(argv_root: Path, out: Path, capsys, *extra: str) -> str:
    assert run_across(argv_root, out, *extra) == 2
    err = capsys.readouterr().err.strip()
    assert err.count("\n") == 0 and "Traceback" not in err
    return err


def test_bad_input_is_one_line_naming_what_is_wrong(tmp_path: Path, capsys) -> None:
    root = two_tasks(tmp_path / "runs")
    out = tmp_path / "out"
    argv = [str(root), "--across", "nope", "--by", "reward_norm", "--out", str(out)]
    assert compare_command.main(argv) == 2
    assert "--across 'nope' matches no parameter" in capsys.readouterr().err
    assert compare_command.main([str(root), "--across", "env"]) == 2
    assert "--across needs --by" in capsys.readouterr().err
    assert "per-run --metric" in error_of(root, out, capsys, "--metric", "peak_of_mean_curve")
    unknown = tmp_path / "unknown"
    write_run(unknown / "0", [(2000, 10.0)], env_id="Swimmer-v5", params={"env.name": "swim"})
    err = error_of(unknown, out, capsys)
    assert "'Swimmer-v5'" in err and str(unknown / "0" / "params.json") in err


def test_runs_of_one_task_must_agree_on_its_scale(tmp_path: Path, capsys) -> None:
    root = two_tasks(tmp_path / "runs")
    params = {"env.name": "a", "env.id": "TaskA-v0", "env.random_score": 5.0,
              "env.reference_score": 100.0}  # fmt: skip
    write_run(root / "odd", [(2000, 50.0)], seed=9, params=params)
    assert "runs of env.name=a disagree" in error_of(root, tmp_path / "out", capsys)
