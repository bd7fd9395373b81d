"""The closing blocks of a run and of a sweep; a sweep that made no job folder leaves none."""

import json
import shlex
import subprocess

import pytest
from hydra.core.override_parser.overrides_parser import OverridesParser
from omegaconf import OmegaConf

from ddpg.launch.console import SweepReportCallback, interrupted_line, run_report, sweep_report


def test_run_report_names_the_outcome_and_the_next_commands(tmp_path):
    summary = {
        "status": "completed",
        "env_steps": 20000,
        "final_eval_return": -145.26,
        "final_eval_std": 80.14,
        "best_eval_return": -120.0,
        "solved_score": -200.0,
        "steps_to_solve": 6000,
        "wall_time_s": 71.25,
        "steps_per_sec": 280.7,
        "error": None,
    }
    lines = run_report(tmp_path / "my run", summary).splitlines()
    assert lines == [
        f"Run completed: {tmp_path / 'my run'}",
        "  final eval   -145.3 +- 80.1 (at env step 20000)",
        "  best eval    -120.0",
        "  solved       at env step 6000 (eval >= -200)",
        "  time         71.2 s, 281 env steps/s",
        "Next:",
        f"  tensorboard --logdir '{tmp_path / 'my run'}'",
        f"  python -m ddpg.evaluate run_dir='{tmp_path / 'my run'}'",
    ]


def test_run_report_of_a_diverged_run_without_evaluations(tmp_path):
    summary = {"status": "diverged", "env_steps": 300, "final_eval_return": None}
    summary |= {"solved_score": 90.0, "steps_to_solve": None, "error": "loss/critic"}
    text = run_report(tmp_path, summary)
    assert "Run diverged" in text and "final eval   - (at env step 300)" in text
    assert "solved       not reached (eval >= 90)" in text and "error        loss/critic" in text


def test_sweep_report_lists_jobs_in_job_order(tmp_path):
    """By job number, from today's names (`... job10`) and those before spaces (`...,job3`)."""
    for name, status, final in (
        ("tau=0.001 s=1 job10", "completed", -150.04),
        ("tau=0.01 s=0 job2", "failed", None),
        ("tau=0.1,s=0,job3", "completed", -170.0),
        ("tau=0.005 s=2 job1", "diverged", -900.0),
    ):
        (tmp_path / name).mkdir()
        record = {"status": status, "final_eval_return": final}
        (tmp_path / name / "summary.json").write_text(json.dumps(record))
    lines = sweep_report(tmp_path).splitlines()
    assert lines[0] == f"Sweep finished: {tmp_path} (4 jobs)"
    assert [line.strip().rsplit(maxsplit=2) for line in lines[2:6]] == [
        ["tau=0.005 s=2 job1", "diverged", "-900.0"],
        ["tau=0.01 s=0 job2", "failed", "-"],
        ["tau=0.1,s=0,job3", "completed", "-170.0"],
        ["tau=0.001 s=1 job10", "completed", "-150.0"],
    ]
    assert lines[-2] == f"  python -m ddpg.compare {tmp_path}"


def argv_of(command: str) -> list[str]:
    """The words the shell hands a command line's program."""
    return subprocess.run(
        ["sh", "-c", f'printf "%s\\n" {command}'], capture_output=True, text=True, check=True
    ).stdout.splitlines()


@pytest.mark.parametrize(
    "name",
    [
        "it's a sweep",  # a quote and a space
        "alr=1e-4 tau=0.001 s=0 job7",  # a job folder: `=` needs Hydra's quotes
        'odd "x"=1, \\ end\\',  # Hydra's quotes, escaped, and backslashes before them
    ],
)
def test_the_interrupt_line_gives_a_resume_command_the_shell_and_hydra_read_back(tmp_path, name):
    stopped = tmp_path / "multirun" / name
    line = interrupted_line(stopped)
    assert line.startswith(f"interrupted: {stopped}; continue with: python -m ddpg.run ")
    argv = argv_of(line.split("; continue with: ", 1)[1])
    assert argv[:3] == ["python", "-m", "ddpg.run"] and len(argv) == 4
    (override,) = OverridesParser.create().parse_overrides(argv[3:])
    assert override.key_or_group == "resume" and not override.is_sweep_override()
    assert override.value() == str(stopped)


def test_a_plain_folder_needs_no_hydra_quotes_and_a_job_resumes_with_its_sweep(tmp_path):
    stopped = tmp_path / "multirun" / "2026-12-06_12-00-00"
    assert argv_of(interrupted_line(stopped).split("; continue with: ")[1])[3] == (
        f"resume={stopped}"
    )
    job = stopped / "s=0 job0"  # a sweep's job: the sweep's folder continues every job
    assert interrupted_line(job, stopped) == (
        f"interrupted: {job}; continue with: python -m ddpg.run resume={shlex.quote(str(stopped))}"
    )


def test_an_interrupted_run_and_sweep_end_with_the_resume_command(tmp_path):
    summary = {"status": "interrupted", "env_steps": 400, "error": "stopped by SIGINT"}
    lines = run_report(tmp_path, summary).splitlines()
    assert lines[lines.index("Next:") + 1].startswith(f"  python -m ddpg.run resume={tmp_path}")
    for name, status in (("0_seed=0", "completed"), ("1_seed=1", "interrupted")):
        (tmp_path / name).mkdir()
        (tmp_path / name / "summary.json").write_text(json.dumps({"status": status}))
    lines = sweep_report(tmp_path).splitlines()
    assert lines[lines.index("Next:") + 1].startswith(f"  python -m ddpg.run resume={tmp_path}")
    (tmp_path / "1_seed=1" / "summary.json").write_text(json.dumps({"status": "completed"}))
    assert "resume=" not in sweep_report(tmp_path)  # nothing left to continue


def _sweep(callback, sweep_dir, jobs=()):
    """Hydra's side of a sweep: start, the sweeper's multirun.yaml, job folders, end."""
    config = OmegaConf.create({"hydra": {"sweep": {"dir": str(sweep_dir)}}})
    callback.on_multirun_start(config)
    sweep_dir.mkdir(parents=True, exist_ok=True)
    (sweep_dir / "multirun.yaml").write_text("{}")
    for job in jobs:
        (sweep_dir / job).mkdir()
        (sweep_dir / job / "summary.json").write_text(json.dumps({"status": "completed"}))
    callback.on_multirun_end(config)


def test_a_sweep_whose_jobs_made_no_folder_leaves_nothing_behind(tmp_path, capsys):
    (tmp_path / "outputs").mkdir()
    _sweep(SweepReportCallback(), tmp_path / "outputs" / "multirun" / "t0")
    assert [p.name for p in tmp_path.rglob("*")] == ["outputs"]  # what was there stays
    assert capsys.readouterr().out == ""
    _sweep(SweepReportCallback(), tmp_path / "outputs" / "multirun" / "t1", jobs=["0_seed=0"])
    assert (tmp_path / "outputs" / "multirun" / "t1" / "0_seed=0").is_dir()
    assert "Sweep finished" in capsys.readouterr().out
    (tmp_path / "given").mkdir()
    _sweep(SweepReportCallback(), tmp_path / "given")  # a folder the user made: kept
    assert (tmp_path / "given" / "multirun.yaml").is_file()
