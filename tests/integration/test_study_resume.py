"""A tune study killed with SIGKILL and continued by the same command ends bit-identical to an
uninterrupted one: a PBT study (after an exploit round and a snapshot; continued, stopped by
SIGTERM, continued again) and an Optuna study with refilled slots (after a refill and a
snapshot). The signals are sent on what the snapshot files hold, not on timing."""

from __future__ import annotations

import json
import signal
import subprocess
import sys
import time
from pathlib import Path

import optuna
import pytest
from optuna.storages import JournalStorage
from optuna.storages.journal import JournalFileBackend

REPO = Path(__file__).resolve().parents[2]
TINY = [
    "env=pendulum",
    "search=ddpg_members",
    "+experiment=smoke",
    "trainer.total_steps=300",
    "trainer.eval_every=100",
    "env.warmup_steps=100",
    "tune.population=2",
]
PBT = ["tune.algorithm=pbt", "tune.population=3", "trainer.total_steps=500"]
OPTUNA = ["tune.n_trials=5", "tune.startup_trials=1", "tune.warmup_evals=0"]


def command(study_dir: Path, extra: list[str]) -> list[str]:
    return [sys.executable, "-m", "ddpg.tune", *TINY, *extra, f"tune.dir={study_dir}"]


def run(study_dir: Path, extra: list[str]) -> None:
    done = subprocess.run(
        command(study_dir, extra), cwd=REPO, capture_output=True, text=True, timeout=600
    )
    assert done.returncode == 0, done.stderr[-3000:]


def kill_when(
    study_dir: Path, extra: list[str], ready: str, signum: int = signal.SIGKILL
) -> tuple[int, str]:
    """Start the study, send `signum` once a snapshot's state.json contains `ready`; its exit
    code and stderr."""
    child = subprocess.Popen(
        command(study_dir, extra),
        cwd=REPO,
        stdout=subprocess.DEVNULL,
        stderr=subprocess.PIPE,
        text=True,
    )
    deadline = time.monotonic() + 300
    while time.monotonic() < deadline and child.poll() is None:
        states = (study_dir / "snapshots").glob("step_*/state.json")
        if any(ready in json.dumps(json.loads(p.read_text())) for p in _whole(states)):
            break
        time.sleep(0.05)
    assert child.poll() is None, "the study finished before it could be killed"
    child.send_signal(signum)
    _, stderr = child.communicate(timeout=300)
    return child.returncode, stderr


def _whole(states: object) -> list[Path]:
    """state.json files of snapshots whose manifest is there (written whole)."""
    return [p for p in states if (p.parent / "manifest.json").is_file()]  # type: ignore[attr-defined]


def records(study_dir: Path) -> dict[str, object]:
    """Every run folder's scalars (less perf/*), final evals, schedules and lineage."""
    out: dict[str, object] = {}
    for run_dir in sorted(p.parent for p in study_dir.glob("*/params.json")):
        rows = (run_dir / "scalars.csv").read_text().splitlines()
        out[f"{run_dir.name}/scalars"] = [r for r in rows if ",perf/" not in r]
        summary = json.loads((run_dir / "summary.json").read_text())
        out[f"{run_dir.name}/summary"] = {
            k: v for k, v in summary.items() if k not in ("wall_time_s", "steps_per_sec")
        }
        for name in ("schedule.json", "lineage.json", "trial.json"):
            if (run_dir / name).is_file():
                out[f"{run_dir.name}/{name}"] = json.loads((run_dir / name).read_text())
    return out


def trials(study_dir: Path) -> list[tuple[object, ...]]:
    storage = JournalStorage(JournalFileBackend(str(study_dir / "journal.log")))
    (summary,) = optuna.get_all_study_summaries(storage)
    study = optuna.load_study(study_name=summary.study_name, storage=storage)
    return [(t.number, t.state, t.value, t.params, t.intermediate_values) for t in study.trials]


@pytest.mark.slow
def test_a_killed_pbt_study_continues_bit_identically(tmp_path: Path) -> None:
    run(tmp_path / "whole", PBT)
    killed = tmp_path / "killed"
    code, _ = kill_when(killed, PBT, '"source":')  # a snapshot after an exploit round
    assert code == -signal.SIGKILL
    assert not all(
        json.loads((d / "summary.json").read_text())["status"] == "completed"
        for d in killed.glob("member*")
    )
    # Continued, then stopped by SIGTERM: it snapshots and names the command that continues.
    code, stderr = kill_when(killed, PBT, '"tick": 300', signal.SIGTERM)
    assert code == 130, stderr[-3000:]
    assert "continue with: python -m ddpg.tune env=pendulum" in stderr
    run(killed, PBT)
    assert not (killed / "snapshots").exists()  # a finished study keeps no snapshots
    whole, again = records(tmp_path / "whole"), records(killed)
    assert len(whole) == 3 * 5
    assert again == whole


@pytest.mark.slow
def test_a_killed_study_with_refilled_slots_continues_bit_identically(tmp_path: Path) -> None:
    run(tmp_path / "whole", OPTUNA)
    killed = tmp_path / "killed"
    kill_when(killed, OPTUNA, '"trained": [0, 1, 2')  # a snapshot after a refill
    run(killed, OPTUNA)
    whole, again = records(tmp_path / "whole"), records(killed)
    assert len(whole) >= 5 * 3
    assert {k: v for k, v in again.items() if "trial.json" not in k} == {
        k: v for k, v in whole.items() if "trial.json" not in k
    }
    assert trials(killed) == trials(tmp_path / "whole")
