"""`python -m ddpg.run pbt_schedule=...`: a replay switches its hyperparameters at the listed
steps (pbt/* in scalars.csv, and training itself changes from there), a one-entry schedule is
bit-identical to a plain run with the same overrides, and a bad schedule leaves nothing."""

from __future__ import annotations

import json
import subprocess
import sys
from pathlib import Path
from typing import Any

import pandas as pd
import pytest

pytestmark = pytest.mark.slow

BUDGET = [
    "seed=7",
    "trainer.total_steps=600",
    "trainer.eval_every=200",
    "trainer.eval_episodes=1",
    "trainer.log_every=100",
    "trainer.progress=false",
    "agent.learning_starts=100",
]
FIRST = ["agent.tau=0.01", "agent.actor_lr=0.001"]


def run_cli(repo: Path, run_dir: Path, *overrides: str) -> subprocess.CompletedProcess:
    command = [sys.executable, "-m", "ddpg.run", *BUDGET, *overrides, f"hydra.run.dir={run_dir}"]
    return subprocess.run(command, cwd=repo, capture_output=True, text=True, timeout=300)


def schedule(path: Path, *entries: tuple[int, list[str], dict[str, float]]) -> Path:
    data: dict[str, Any] = {
        "member": 0,
        "schedule": [
            {"step": step, "params": {}, "overrides": overrides, "scalars": scalars}
            for step, overrides, scalars in entries
        ],
    }
    path.write_text(json.dumps(data))
    return path


def learned(run_dir: Path) -> pd.DataFrame:
    """scalars.csv without wall-clock (perf/*) and schedule (pbt/*) rows, values as written."""
    table = pd.read_csv(run_dir / "scalars.csv", dtype={"value": str})
    keep = ~table.key.str.startswith(("perf/", "pbt/"))
    return table[keep].reset_index(drop=True)


def test_replays_switch_at_listed_steps_and_one_entry_equals_a_plain_run(tmp_path, repo):
    switching = schedule(
        tmp_path / "switching.json",
        (0, FIRST, {"pbt/agent.tau": 0.01}),
        (200, ["agent.tau=0.05", "noise.sigma=0.4"], {"pbt/agent.tau": 0.05}),
        (400, ["agent.tau=0.02"], {"pbt/agent.tau": 0.02}),
    )
    single = schedule(tmp_path / "single.json", (0, FIRST, {"pbt/agent.tau": 0.01}))
    runs = {
        "switching": [f"pbt_schedule={switching}"],
        "single": [f"pbt_schedule={single}"],
        "plain": FIRST,
    }
    for name, overrides in runs.items():
        done = run_cli(repo, tmp_path / name, *overrides)
        assert done.returncode == 0, done.stderr[-2000:]

    scalars = pd.read_csv(tmp_path / "switching" / "scalars.csv")
    tau = scalars[scalars.key == "pbt/agent.tau"]
    assert list(zip(tau.step, tau.value, strict=True)) == [(200, 0.05), (400, 0.02)]
    params = json.loads((tmp_path / "switching" / "params.json").read_text())
    assert params["agent.tau"] == 0.01 and params["pbt_schedule"] == str(switching)
    own = json.loads((tmp_path / "switching" / "schedule.json").read_text())
    assert own["replay_of"] == str(switching)
    assert [e["step"] for e in own["schedule"]] == [0, 200, 400]

    # The switch changes training from step 200 on (the episode ending there already logs the
    # new noise scale), and nothing before it.
    switched, single_run = learned(tmp_path / "switching"), learned(tmp_path / "single")
    before, after = switched[switched.step < 200], switched[switched.step >= 200]
    pd.testing.assert_frame_equal(before, single_run[single_run.step < 200])
    single_after = single_run[single_run.step >= 200].reset_index(drop=True)
    assert not after.reset_index(drop=True).equals(single_after)
    pd.testing.assert_frame_equal(single_run, learned(tmp_path / "plain"))
    single_tau = pd.read_csv(tmp_path / "single" / "scalars.csv").query("key == 'pbt/agent.tau'")
    assert list(single_tau.step) == [200, 400] and set(single_tau.value) == {0.01}


def test_a_schedule_that_changes_a_shape_stops_in_one_line_and_leaves_nothing(tmp_path, repo):
    bad = schedule(tmp_path / "bad.json", (0, FIRST, {}), (200, ["network=mlp256"], {}))
    done = run_cli(repo, tmp_path / "run", f"pbt_schedule={bad}")
    assert done.returncode == 2
    assert (
        done.stderr.strip()
        .splitlines()[-1]
        .startswith(f"error: pbt_schedule={bad} sets network (step 200)")
    )
    assert not (tmp_path / "run").exists()
