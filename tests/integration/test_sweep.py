"""End-to-end sweeps: real multiruns of tiny jobs with the basic, joblib and submitit_local
launchers; failed jobs recorded while the rest complete; HParams read back through TensorBoard's
own backend; compare on the output.
"""

from __future__ import annotations

import contextlib
import json
import shlex
import signal
import stat
import subprocess
import sys
import time
from pathlib import Path

import pytest
from omegaconf import OmegaConf
from processes import wait_while_running
from tensorboard import context
from tensorboard.backend.event_processing import data_provider, plugin_event_multiplexer
from tensorboard.plugins import base_plugin
from tensorboard.plugins.hparams import (
    api_pb2,
    backend_context,
    get_experiment,
    list_session_groups,
)

from ddpg import compare as compare_command
from ddpg.config.schema import RunConfig
from ddpg.launch import job_names, sweep, sweep_hparams

pytestmark = pytest.mark.slow

REPO = Path(__file__).resolve().parents[2]
TINY = [
    "+experiment=smoke",
    "trainer.total_steps=100",
    "trainer.eval_every=100",
    "trainer.log_every=50",
    "agent.learning_starts=32",
    "agent.batch_size=16",
    "network.actor_hidden=[16]",
    "network.critic_hidden=[16]",
]


def launch(sweep_dir: Path, *overrides: str) -> subprocess.Popen[str]:
    command = [sys.executable, "-m", "ddpg.run", "-m", *TINY, *overrides]
    command.append(f"hydra.sweep.dir={sweep_dir}")
    return subprocess.Popen(
        command,
        cwd=REPO,
        stdout=subprocess.PIPE,
        stderr=subprocess.STDOUT,
        text=True,
        # As from a terminal: a shell without job control starts background commands (such as
        # a CI script's `... &`) with SIGINT ignored, and Python keeps an ignored SIGINT.
        preexec_fn=lambda: signal.signal(signal.SIGINT, signal.SIG_DFL),
    )


def finish(process: subprocess.Popen[str], timeout: float = 300) -> str:
    output, _ = process.communicate(timeout=timeout)
    assert process.returncode == 0, output[-3000:]
    return output


def tensorboard_view(logdir: Path) -> tuple[list[str], api_pb2.Experiment, list]:
    """What `tensorboard --logdir logdir` shows, through TensorBoard's own backend: the run
    names, the HParams dashboard's experiment (columns) and its rows (session groups)."""
    multiplexer = plugin_event_multiplexer.EventMultiplexer()
    multiplexer.AddRunsFromDirectory(str(logdir))
    multiplexer.Reload()
    provider = data_provider.MultiplexerDataProvider(multiplexer, str(logdir))
    request_context = context.RequestContext()
    runs = sorted(run.run_name for run in provider.list_runs(request_context, experiment_id=""))
    hparams = backend_context.Context(
        base_plugin.TBContext(logdir=str(logdir), multiplexer=multiplexer, data_provider=provider)
    )
    experiment = get_experiment.Handler(
        request_context, hparams, "", api_pb2.GetExperimentRequest()
    ).run()
    statuses = [api_pb2.STATUS_UNKNOWN, api_pb2.STATUS_SUCCESS, api_pb2.STATUS_RUNNING]
    request = api_pb2.ListSessionGroupsRequest(slice_size=1000, allowed_statuses=statuses)
    rows = list_session_groups.Handler(request_context, hparams, "", request).run()
    return runs, experiment, list(rows.session_groups)


@pytest.fixture(scope="module")
def basic_sweep(tmp_path_factory: pytest.TempPathFactory) -> tuple[Path, str, bool, list[int]]:
    """agent.tau x seed with the basic launcher; tau=5 fails validation. Also watches the
    launching process: whether it maps TensorFlow, and its mapping count after each job."""
    sweep_dir = tmp_path_factory.mktemp("basic")
    process = launch(sweep_dir, "agent.tau=0.005,0.01,5", "seed=0,1")
    tf_mapped, maps_after_job, done = False, [], 0
    while process.poll() is None:
        try:
            maps = Path(f"/proc/{process.pid}/maps").read_text()
        except OSError:
            break
        tf_mapped |= "libtensorflow" in maps
        finished = sum(s.get("status") != "running" for s in summaries(sweep_dir).values())
        if finished > done:
            maps_after_job.append(maps.count("\n"))
            done = finished
        time.sleep(0.5)
    return sweep_dir, finish(process), tf_mapped, maps_after_job


def summaries(sweep_dir: Path) -> dict[str, dict]:
    """Job folder name -> its summary.json (skipping one being written)."""
    found = {}
    for path in sweep_dir.glob("*/summary.json"):
        with contextlib.suppress(ValueError):  # being written: the next poll reads it
            found[path.parent.name] = json.loads(path.read_text())
    return found


def test_basic_sweep_records_every_job_and_goes_on_after_a_failure(basic_sweep) -> None:
    sweep_dir, output, tf_mapped, maps_after_job = basic_sweep
    jobs = summaries(sweep_dir)
    assert sorted(jobs) == [
        "tau=0.005 s=0 job0",
        "tau=0.005 s=1 job1",
        "tau=0.01 s=0 job2",
        "tau=0.01 s=1 job3",
        "tau=5 s=0 job4",
        "tau=5 s=1 job5",
    ]
    for name, summary in jobs.items():
        if name.startswith("tau=5 "):
            assert summary["status"] == "failed"
            assert "agent.tau" in summary["error"]
        else:
            assert summary["status"] == "completed", summary
            assert summary["env_steps"] == 100
            run_dir = sweep_dir / name
            for part in ("params.json", "scalars.csv", "tb", "policy", ".hydra/overrides.yaml"):
                assert (run_dir / part).exists(), part
    assert "error: job tau=5 s=0 job4: agent.tau=5.0 is invalid" in output
    # The closing table: one line per job in job order, then how to compare the sweep.
    table = output[output.index(f"Sweep finished: {sweep_dir} (6 jobs)") :].splitlines()
    rows = [line.strip().rsplit(maxsplit=2) for line in table[2:8]]
    assert [row[:2] for row in rows] == [
        [name, jobs[name]["status"]]
        for name in sorted(jobs, key=lambda n: int(n.rsplit(" job", 1)[1]))
    ]
    assert rows[0][2] == f"{jobs['tau=0.005 s=0 job0']['final_eval_return']:.1f}"
    assert f"  python -m ddpg.compare {sweep_dir}" in table
    assert not tf_mapped, "the launching process imported TensorFlow"
    # Training in-process added ~200 mappings per job (XLA); the launcher's count stays flat.
    assert len(maps_after_job) >= 3 and max(maps_after_job) - maps_after_job[0] < 50, maps_after_job


def test_compare_reads_the_sweep(basic_sweep, tmp_path: Path) -> None:
    sweep_dir = basic_sweep[0]
    assert compare_command.main([str(sweep_dir), "--out", str(tmp_path)]) == 0
    table = (tmp_path / "compare.md").read_text()
    jobs = summaries(sweep_dir)
    for tau in ("0.005", "0.01"):
        finals = [s["final_eval_return"] for n, s in jobs.items() if n.startswith(f"tau={tau} ")]
        mean = sum(finals) / len(finals)
        row = next(line for line in table.splitlines() if line.startswith(f"| {tau} |"))
        assert f"| {tau} | 2 | 0 | {mean:.0f} " in row, row
    assert "agent.tau=5.0 is invalid" in table  # listed under Problems
    assert (tmp_path / "learning_curves.png").stat().st_size > 0


def test_hparams_table_as_tensorboard_shows_it_without_a_root_run(basic_sweep) -> None:
    sweep_dir = basic_sweep[0]
    runs, experiment, rows = tensorboard_view(sweep_dir)
    jobs = summaries(sweep_dir)
    completed = sorted(name for name, summary in jobs.items() if summary["status"] == "completed")
    assert runs == [f"{name}/tb" for name in completed]  # no "." run, none for rejected jobs
    assert not list(sweep_dir.glob("events.out.tfevents.*"))

    infos = {info.name: info for info in experiment.hparam_infos}
    assert sorted(infos) == ["agent.tau", "seed"]
    assert infos["agent.tau"].type == api_pb2.DATA_TYPE_FLOAT64
    assert [v.number_value for v in infos["agent.tau"].domain_discrete.values] == [0.005, 0.01, 5.0]
    assert infos["seed"].type == api_pb2.DATA_TYPE_STRING  # the table shows 0, not 0.0000
    assert [v.string_value for v in infos["seed"].domain_discrete.values] == ["0", "1"]
    assert [m.name.tag for m in experiment.metric_infos] == list(sweep_hparams.HPARAM_METRICS)

    assert sorted(session.name for row in rows for session in row.sessions) == runs
    for row in rows:
        name = row.sessions[0].name.removesuffix("/tb")
        params = json.loads((sweep_dir / name / "params.json").read_text())
        assert row.hparams["seed"].string_value == str(params["seed"])
        assert row.hparams["agent.tau"].number_value == pytest.approx(params["agent.tau"])
        metrics = {m.name.tag: m for m in row.metric_values}
        # Every metric, even with no run solving (100 steps), or the parallel coordinates
        # view draws no line at all.
        assert sorted(metrics) == sorted(sweep_hparams.HPARAM_METRICS)
        assert metrics["hparams/final_eval_return"].training_step == 100
        final = metrics["hparams/final_eval_return"].value
        assert final == pytest.approx(jobs[name]["final_eval_return"], rel=1e-5)
        assert (metrics["hparams/solved"].value, metrics["hparams/steps_to_solve"].value) == (
            0.0,
            100.0,
        )


def test_joblib_runs_jobs_in_parallel_and_records_a_job_that_fails_in_training(tmp_path: Path):
    output = finish(
        launch(
            tmp_path,
            "hydra/launcher=joblib",
            "hydra.launcher.n_jobs=2",
            "reward_norm=none,running",
            "env.id=Pendulum-v1,Bogus-v9",
        )
    )
    jobs = summaries(tmp_path)
    assert len(jobs) == 4, output[-3000:]
    for name, summary in jobs.items():
        if "Bogus" in name:
            assert summary["status"] == "failed"
            assert "Bogus" in summary["error"]
            assert (tmp_path / name / "params.json").exists()  # so compare can place it
        else:
            assert summary["status"] == "completed", summary
    _, experiment, _ = tensorboard_view(tmp_path)
    assert sorted(i.name for i in experiment.hparam_infos) == ["env.id", "reward_norm.name", "seed"]
    assert compare_command.main([str(tmp_path), "--by", "reward_norm"]) == 0


def test_submitit_local_launcher(tmp_path: Path) -> None:
    finish(launch(tmp_path, "hydra/launcher=submitit_local", "seed=3"))
    ((name, summary),) = summaries(tmp_path).items()
    assert name == "job0"  # nothing is swept: the job number alone
    assert summary["status"] == "completed"
    assert (tmp_path / ".submitit").is_dir()


def test_a_child_killed_by_a_signal_is_recorded_interrupted(tmp_path: Path, monkeypatch) -> None:
    fake_python = tmp_path / "python"
    fake_python.write_text("#!/bin/sh\nkill -9 $$\n")
    fake_python.chmod(fake_python.stat().st_mode | stat.S_IEXEC)
    monkeypatch.setattr(sys, "executable", str(fake_python))

    summary = sweep.train_in_child(RunConfig(), tmp_path / "job")

    assert summary["status"] == "interrupted"  # resume= continues it from its checkpoint
    assert summary["error"] == "job process killed by SIGKILL (see train.log)"
    assert json.loads((tmp_path / "job" / "summary.json").read_text()) == summary


def test_job_dirname_shows_the_swept_values_in_one_safe_path_component(tmp_path: Path) -> None:
    hydra_node = {"sweeper": {"params": {"agent.tau": "0.001,0.01"}}, "overrides": {"task": []}}
    hydra_node["overrides"]["task"] = ["+experiment=smoke", "seed=0,1", "resume=a,b/c"]
    OmegaConf.save({"hydra": hydra_node}, tmp_path / "multirun.yaml")
    task = ["agent.tau=0.01", "+experiment=smoke", "seed=1", "resume=b/c"]

    # Treatments first with short keys, then the seed, then locations; the job number last.
    assert job_names.job_dirname(3, task, str(tmp_path)) == "tau=0.01 s=1 resume=b_c job3"
    assert job_names.job_dirname(3, ["seed=1"], str(tmp_path / "none")) == "s=1 job3"
    assert job_names.job_dirname(0, [], str(tmp_path)) == "job0"
    long_a = job_names.job_dirname(2, ["x=" + "a" * 400], str(tmp_path / "none"))
    long_b = job_names.job_dirname(2, ["x=" + "a" * 401], str(tmp_path / "none"))
    assert len(long_a.encode()) <= 255 and long_a != long_b


def test_swept_hparams_merge_sweeper_params_and_command_line() -> None:
    config = OmegaConf.create(
        {
            "hydra": {
                "sweeper": {"params": {"agent.tau": "0.001,0.005", "reward_norm": "none,running"}},
                "overrides": {
                    "task": ["+experiment=x", "agent.actor_lr=1e-4,1e-3", "seed=range(3)"]
                },
            },
            "agent": {"tau": 0.005, "actor_lr": 1e-3},
            "reward_norm": {"name": "none"},
            "seed": 0,
        }
    )
    hparams = {h.name: h.domain for h in sweep_hparams.swept_hparams(config)}
    assert sorted(hparams) == ["agent.actor_lr", "agent.tau", "reward_norm.name", "seed"]
    assert hparams["reward_norm.name"].values == ["none", "running"]
    assert hparams["seed"].values == ["0", "1", "2"]  # integers as strings, as jobs log them
    assert hparams["agent.actor_lr"].values == [1e-4, 1e-3]
    config.hydra.overrides.task.append("agent.tau=0.01")  # a plain value ends the sweep of tau
    assert "agent.tau" not in {h.name for h in sweep_hparams.swept_hparams(config)}


def test_hparams_domains_take_the_type_each_job_logs() -> None:
    task = ["agent.batch_size=64,128", "agent.tau=1,0.5", "agent.compile=true,false"]
    config = OmegaConf.create(
        {
            "hydra": {"sweeper": {"params": {}}, "overrides": {"task": task}},
            "agent": {"batch_size": 64, "tau": 0.005, "compile": True},
            "seed": 7,
        }
    )
    hparams = {h.name: h.domain for h in sweep_hparams.swept_hparams(config)}
    assert hparams["agent.batch_size"].values == ["128", "64"]  # Discrete sorts its values
    assert hparams["agent.tau"].values == [0.5, 1.0]  # a float setting: 1 is logged as 1.0
    assert hparams["agent.compile"].values == [False, True]
    assert hparams["seed"].values == ["7"]  # not swept: its one value


def test_the_slurm_preset_composes() -> None:
    command = [sys.executable, "-m", "ddpg.run", "hydra/launcher=slurm", "--cfg", "hydra"]
    command += ["-p", "hydra.launcher"]
    output = subprocess.run(command, cwd=REPO, capture_output=True, text=True, check=True).stdout
    launcher = OmegaConf.create(output)
    assert launcher._target_.endswith("SlurmLauncher")
    assert {"partition", "timeout_min", "cpus_per_task", "mem_gb"} <= set(launcher)
    assert launcher.cpus_per_task == 2


def test_ctrl_c_in_a_sweep_names_the_command_that_continues_it(tmp_path: Path) -> None:
    """The basic launcher: SIGINT stops the running job (recorded interrupted, checkpointed),
    and the last line gives `resume=` with the sweep's folder, quoted for the shell."""
    sweep_dir = tmp_path / "a sweep"
    process = launch(sweep_dir, "trainer.total_steps=100000", "seed=0,1")
    job = sweep_dir / "s=0 job0"
    # Training has begun (past TF's start-up).
    wait_while_running(process, (job / "scalars.csv").exists, timeout=120, poll_s=0.2)
    process.send_signal(signal.SIGINT)
    try:
        output, _ = process.communicate(timeout=120)
    except subprocess.TimeoutExpired:  # say where it was: the launcher's and the job's output
        process.kill()
        output, _ = process.communicate()
        log = (job / "train.log").read_text()[-3000:] if (job / "train.log").exists() else ""
        raise AssertionError(f"no exit 120 s after SIGINT\n{output[-3000:]}\n{log}") from None
    assert process.returncode == 130, output[-3000:]
    resume = f"python -m ddpg.run resume={shlex.quote(str(sweep_dir))}"
    assert output.splitlines()[-1] == f"interrupted: {job}; continue with: {resume}"
    assert json.loads((job / "summary.json").read_text())["status"] == "interrupted"
    assert not (sweep_dir / "s=1 job1").exists()
