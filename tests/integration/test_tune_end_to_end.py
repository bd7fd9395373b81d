"""`python -m ddpg.tune` end to end: a tiny real study (4 trials of 300 steps, populations of
2), its run folders, pruning recorded, a rerun that continues the journal, compare on the study,
and bad input refused with one line."""

from __future__ import annotations

import json
import subprocess
import sys
from pathlib import Path

import optuna
import pytest
from optuna.storages import JournalStorage
from optuna.storages.journal import JournalFileBackend

REPO = Path(__file__).resolve().parents[2]
TINY = [
    "env=pendulum",
    "tune.sampler=random",
    "tune.population=2",
    "tune.startup_trials=1",  # the median pruner starts after one complete trial
    "tune.warmup_evals=0",
    "trainer.total_steps=300",
    "trainer.eval_every=100",
    "trainer.eval_episodes=1",
    "trainer.progress=false",
    "env.warmup_steps=100",
    "search.dimensions.3.choices=[64,128]",  # batch size: two shapes, so two populations
    "search.dimensions.6.choices=[mlp64]",  # small networks only, to stay fast
]


def tune(*args: str, base: list[str] = TINY) -> subprocess.CompletedProcess[str]:
    """`python -m ddpg.tune` with `base`'s overrides, then `args`, to its end (output captured)."""
    return subprocess.run(
        [sys.executable, "-m", "ddpg.tune", *base, *args],
        cwd=REPO,
        capture_output=True,
        text=True,
        timeout=600,
    )


@pytest.mark.slow
def test_a_tiny_study_end_to_end(tmp_path: Path) -> None:
    study_dir = tmp_path / "study"
    first = tune("tune.n_trials=4", f"tune.dir={study_dir}")
    assert first.returncode == 0, first.stderr[-3000:]
    assert "Best trial" in first.stdout and "python -m ddpg.run env=pendulum" in first.stdout

    runs = sorted(study_dir.glob("*trial[0-9]*"), key=lambda p: int(p.name.rsplit("trial")[-1]))
    assert [int(p.name.rsplit("trial")[-1]) for p in runs] == [0, 1, 2, 3]
    assert all(p.name.startswith("1-gamma=") for p in runs)  # values first (trial_names.py)
    storage = JournalStorage(JournalFileBackend(str(study_dir / "journal.log")))
    study = optuna.load_study(study_name="pendulum_ddpg", storage=storage)
    for run, trial in zip(runs, study.get_trials(), strict=True):
        for name in ("params.json", "scalars.csv", "tb", "policy", "checkpoints", ".hydra"):
            assert (run / name).exists(), f"{run / name} missing"
        record = json.loads((run / "trial.json").read_text())
        assert record["trial"] == trial.number and record["params"] == trial.params
        summary = json.loads((run / "summary.json").read_text())
        assert trial.user_attrs["run_dir"] == str(run)
        expected = {"completed": "COMPLETE", "pruned": "PRUNED"}[summary["status"]]
        assert trial.state.name == expected and trial.value == summary["final_eval_return"]
        assert max(trial.intermediate_values) == summary["env_steps"]  # each eval reported
    statuses = [json.loads((r / "summary.json").read_text())["status"] for r in runs]
    assert "pruned" in statuses and "completed" in statuses

    # The same command with a larger budget continues the journal's numbering.
    again = tune("tune.n_trials=6", f"tune.dir={study_dir}")
    assert again.returncode == 0, again.stderr[-3000:]
    study = optuna.load_study(study_name="pendulum_ddpg", storage=storage)
    assert [t.number for t in study.get_trials()] == list(range(6))
    assert len(list(study_dir.glob("* trial[45]"))) == 2

    compared = subprocess.run(
        [sys.executable, "-m", "ddpg.compare", str(study_dir), "--resamples", "100"],
        capture_output=True,
        text=True,
        timeout=300,
    )
    assert compared.returncode == 0, compared.stderr
    assert "## Pruned runs" in (study_dir / "compare.md").read_text()


@pytest.mark.slow
@pytest.mark.parametrize(
    ("override", "named"),
    [
        ("search.dimensions.2.name=agent.tauu", "unknown config key 'agent.tauu'"),
        ("search.dimensions.2.low=0.5", "the range [0.5, 0.08] is empty"),
        ("tune.storage=/proc/no/journal.log", "tune.storage=/proc/no/journal.log is not writable"),
    ],
)
def test_bad_input_is_one_line_and_exit_code_2(tmp_path: Path, override: str, named: str) -> None:
    result = tune(f"tune.dir={tmp_path / 'study'}", override)
    assert result.returncode == 2
    assert result.stderr.strip().count("\n") == 0 and named in result.stderr
    assert "Traceback" not in result.stderr


@pytest.mark.slow
@pytest.mark.parametrize("algorithm", ["optuna", "pbt"])
def test_a_schedule_replay_is_refused_in_one_line_leaving_nothing(
    tmp_path: Path, algorithm: str
) -> None:
    """`pbt_schedule=` belongs to ddpg.run (one replayed run): a study refuses it, even with a
    valid schedule, before it writes anything."""
    schedule = tmp_path / "schedule.json"
    schedule.write_text(json.dumps({"member": 0, "schedule": [{"step": 0, "overrides": []}]}))
    study = tmp_path / "study"
    result = tune(
        f"tune.dir={study}",
        f"tune.algorithm={algorithm}",
        f"pbt_schedule={schedule}",
    )
    assert result.returncode == 2
    assert result.stderr.strip().count("\n") == 0 and "Traceback" not in result.stderr
    assert "pbt_schedule apply to ddpg.run" in result.stderr
    assert sorted(p.name for p in tmp_path.iterdir()) == ["schedule.json"]  # no study folder


PBT = [
    "tune.algorithm=pbt",
    "tune.population=4",
    "search=ddpg_members",
    "env=pendulum",
    "trainer.total_steps=600",
    "trainer.eval_every=200",
    "trainer.eval_episodes=1",
    "trainer.progress=false",
    "env.warmup_steps=100",
]


@pytest.mark.slow
def test_population_based_training_end_to_end_and_the_same_command_repeats(tmp_path: Path) -> None:
    """Two rounds (steps 200 and 400) of a 4-member PBT study: each member's records, the
    copies in lineage.json, the pbt/ scalars; the same command elsewhere gives the same study."""
    studies = []
    for name in ("a", "b"):
        result = tune(f"tune.dir={tmp_path / name}", base=PBT)
        assert result.returncode == 0, result.stderr[-3000:]
        assert "Population-based training: 4 members" in result.stdout
        studies.append(tmp_path / name)
    for k in range(4):
        member = studies[0] / f"member{k:02d}"
        for name in ("params.json", "scalars.csv", "summary.json", "policy", "trial.json"):
            assert (member / name).exists(), f"{member / name} missing"
        schedule = json.loads((member / "schedule.json").read_text())["schedule"]
        lineage = json.loads((member / "lineage.json").read_text())["copies"]
        assert [e["step"] for e in schedule] == [0] + [c["step"] for c in lineage]
        assert {c["step"] for c in lineage} <= {200, 400}
        rows = [line.split(",") for line in (member / "scalars.csv").read_text().splitlines()]
        assert {r[0] for r in rows if r[1] == "pbt/agent.tau"} == {"200", "400"}
        again = studies[1] / member.name
        for name in ("schedule.json", "lineage.json", "summary.json"):
            ours, theirs = (json.loads((d / name).read_text()) for d in (member, again))
            for record in (ours, theirs):  # wall-clock figures differ from run to run
                for key in ("wall_time_s", "steps_per_sec"):
                    record.pop(key, None)
            assert ours == theirs, f"{member.name}/{name}"
    copies = [
        json.loads((studies[0] / f"member{k:02d}" / "lineage.json").read_text())["copies"]
        for k in range(4)
    ]
    assert sum(map(len, copies)) == 2  # one of 4 members copies another at each round


@pytest.mark.slow
def test_population_based_training_refuses_a_search_that_changes_shapes(tmp_path: Path) -> None:
    result = tune(f"tune.dir={tmp_path / 'study'}", "search=ddpg", base=PBT)
    assert result.returncode == 2
    assert (
        result.stderr.strip().count("\n") == 0 and "cannot search agent.batch_size" in result.stderr
    )
    assert not (tmp_path / "study").exists()


@pytest.mark.slow
def test_compare_on_a_pbt_study_writes_its_ranking_schedule_and_lineage(tmp_path: Path) -> None:
    """A tiny PBT study (4 members, rounds at 200 and 400), then `python -m ddpg.compare` on it:
    pbt.md ranks all four members and counts the copies lineage.json records; both pictures."""
    study = tmp_path / "study"
    result = tune(f"tune.dir={study}", base=PBT)
    assert result.returncode == 0, result.stderr[-3000:]
    out = tmp_path / "compared"
    shown = subprocess.run(
        [sys.executable, "-m", "ddpg.compare", str(study), "--out", str(out)],
        cwd=REPO,
        capture_output=True,
        text=True,
        timeout=600,
    )
    assert shown.returncode == 0, shown.stderr[-3000:]
    for name in ("pbt.md", "pbt_schedule.png", "pbt_lineage.png"):
        assert (out / name).stat().st_size > 0 and str(out / name) in shown.stdout
    text = (out / "pbt.md").read_text()
    rows = [ln.strip("| ").split(" | ") for ln in text.splitlines() if ln.startswith("| ")][2:6]
    assert sorted(row[1] for row in rows) == [f"member{k:02d}" for k in range(4)]
    copies = sum(
        len(json.loads((study / f"member{k:02d}" / "lineage.json").read_text())["copies"])
        for k in range(4)
    )
    assert sum(int(row[4]) for row in rows) == sum(int(row[5]) for row in rows) == copies == 2
    assert text.rstrip().endswith("## Problems\n\nNone.")
