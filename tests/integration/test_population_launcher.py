"""`hydra/launcher=population`: real multiruns whose jobs train together as populations.

Two kinds of sweep. With real training (tiny budgets): the run-dir contract in every job
folder, compare on the sweep, the HParams config read back from each job's tb/ with
TensorBoard's own loader, a rejected value, and two network sizes giving two populations.
With `fake_population.train_population` in the launcher's real child processes (put there by a
sitecustomize on PYTHONPATH): which jobs trained together, each job's Hydra callbacks and
return value, a child that dies unrecorded, Ctrl-C, and the SLURM backend on a real cluster.
"""

from __future__ import annotations

import json
import math
import os
import re
import shlex
import signal
import subprocess
import sys
import time
from pathlib import Path

import pytest
from conftest import checkpointed_run
from omegaconf import OmegaConf
from processes import wait_while_running
from slurm_cluster import cancel, require_slurm, sweep_job_ids
from tensorboard.backend.event_processing import event_accumulator
from tensorboard.plugins.hparams import plugin_data_pb2
from tensorboard.util import tensor_util
from test_sweep import TINY  # the same tiny training as the other sweep tests

from ddpg import compare as compare_command

REPO = Path(__file__).resolve().parents[2]
HERE = Path(__file__).resolve().parent
CONTRACT = ("params.json", "tb", "scalars.csv", "summary.json", "policy", "checkpoints")
HYDRA_RECORD = (".hydra/config.yaml", ".hydra/hydra.yaml", ".hydra/overrides.yaml")


def start(sweep_dir: Path, *overrides: str, env: dict | None = None) -> subprocess.Popen[str]:
    command = [sys.executable, "-m", "ddpg.run", "-m", "hydra/launcher=population", *overrides]
    command.append(f"hydra.sweep.dir={sweep_dir}")
    return subprocess.Popen(
        command,
        cwd=REPO,
        env=env,
        stdout=subprocess.PIPE,
        stderr=subprocess.STDOUT,
        text=True,
        start_new_session=True,
    )


def finish(process: subprocess.Popen[str], timeout: float = 400) -> str:
    try:
        output, _ = process.communicate(timeout=timeout)
    except subprocess.TimeoutExpired:
        os.killpg(process.pid, signal.SIGKILL)
        pytest.fail(f"the sweep did not end in {timeout} s: {process.communicate()[0][-3000:]}")
    assert process.returncode == 0, output[-3000:]
    return output


def summaries(sweep_dir: Path) -> dict[str, dict]:
    return {p.parent.name: json.loads(p.read_text()) for p in sweep_dir.glob("*/summary.json")}


def population_logs(sweep_dir: Path) -> dict[str, list[str]]:
    """populations/<n>.log -> the member folders its first line names."""
    logs = {}
    for path in sorted((sweep_dir / "populations").glob("*.log")):
        header = path.read_text().splitlines()[0]
        assert header.startswith("population of "), header
        logs[path.name] = [Path(d).name for d in header.split(": ", 1)[1].split(", ")]
    return logs


# ------------------------------------------------------------------------- real training


@pytest.fixture(scope="module")
def real_sweep(tmp_path_factory: pytest.TempPathFactory) -> tuple[Path, str]:
    sweep_dir = tmp_path_factory.mktemp("population")
    return sweep_dir, finish(start(sweep_dir, *TINY, "agent.tau=0.001,0.005", "seed=0,1"))


@pytest.mark.slow
def test_every_member_writes_the_run_dir_contract(real_sweep) -> None:
    sweep_dir, output = real_sweep
    jobs = summaries(sweep_dir)
    assert sorted(jobs) == [
        "tau=0.001 s=0 job0",
        "tau=0.001 s=1 job1",
        "tau=0.005 s=0 job2",
        "tau=0.005 s=1 job3",
    ]
    for name, summary in jobs.items():
        assert summary["status"] == "completed", summary
        assert summary["env_steps"] == 100
        for part in CONTRACT + HYDRA_RECORD:
            assert (sweep_dir / name / part).exists(), (name, part)
        params = json.loads((sweep_dir / name / "params.json").read_text())
        assert name.startswith(f"tau={params['agent.tau']:g} s={params['seed']} job")
    assert population_logs(sweep_dir) == {"0.log": sorted(jobs)}  # one population of four
    assert f"Sweep finished: {sweep_dir} (4 jobs)" in output


@pytest.mark.slow
def test_compare_reads_the_population_sweep(real_sweep, tmp_path: Path) -> None:
    sweep_dir = real_sweep[0]
    assert compare_command.main([str(sweep_dir), "--out", str(tmp_path)]) == 0
    table = (tmp_path / "compare.md").read_text()
    assert "| 0.001 | 2 | 0 |" in table and "| 0.005 | 2 | 0 |" in table


@pytest.mark.slow
def test_hparams_config_reads_back_from_each_jobs_tb(real_sweep) -> None:
    sweep_dir = real_sweep[0]
    for name, summary in summaries(sweep_dir).items():
        events = event_accumulator.EventAccumulator(str(sweep_dir / name / "tb"))
        events.Reload()
        found = {}
        for raw in events.PluginTagToContent("hparams").values():
            data = plugin_data_pb2.HParamsPluginData.FromString(raw)
            found[data.WhichOneof("data")] = data
        experiment = found["experiment"].experiment  # the sweep's config (HParams callback)
        assert sorted(info.name for info in experiment.hparam_infos) == ["agent.tau", "seed"]
        assert "hparams/final_eval_return" in [m.name.tag for m in experiment.metric_infos]
        params = json.loads((sweep_dir / name / "params.json").read_text())
        values = found["session_start_info"].session_start_info.hparams  # the job's own
        assert values["agent.tau"].number_value == pytest.approx(params["agent.tau"])
        assert values["seed"].string_value == str(params["seed"])
        final = events.Tensors("hparams/final_eval_return")[-1]
        assert final.step == 100
        assert float(tensor_util.make_ndarray(final.tensor_proto)) == pytest.approx(
            summary["final_eval_return"], rel=1e-5
        )


@pytest.mark.slow
def test_a_rejected_value_fails_alone_and_network_sizes_split_populations(tmp_path: Path):
    overrides = [*TINY, "agent.tau=0.001,7", "network.actor_hidden=[16],[32]"]
    output = finish(start(tmp_path, *overrides))
    jobs = summaries(tmp_path)
    assert len(jobs) == 4, output[-3000:]
    for name, summary in jobs.items():
        if "tau=7" in name:
            assert summary["status"] == "failed"
            assert "agent.tau=7.0 is invalid" in summary["error"]
            assert (tmp_path / name / "params.json").exists()  # compare can place it
            assert not (tmp_path / name / "tb").exists()  # it never trained
            assert f"error: job {name}: agent.tau=7.0 is invalid" in output
        else:
            assert summary["status"] == "completed", summary
    completed = sorted(name for name in jobs if "tau=7" not in name)
    assert [name.rsplit(" job", 1)[0] for name in completed] == [
        "tau=0.001 actor_hidden=[16]",
        "tau=0.001 actor_hidden=[32]",
    ]
    assert sorted(population_logs(tmp_path).values()) == [[name] for name in completed]


@pytest.mark.slow
def test_the_terminal_shows_each_populations_log_and_progress_before_the_end_table(tmp_path):
    """Output that is not a terminal (a pipe here): the log's path once per population, then
    whole lines of its steps and members, never a carriage return, before the sweep's table."""
    overrides = [*TINY, "network.actor_hidden=[16],[32]", "seed=0,1"]
    output = finish(start(tmp_path, *overrides))
    assert "\r" not in output
    before_table = output.split(f"Sweep finished: {tmp_path}")[0]
    for index, log in enumerate(("0.log", "2.log")):  # logs are named by their first job
        assert f"population {index} (2 jobs) log: {tmp_path / 'populations' / log}\n" in output
        live = re.findall(
            rf"^population {index}: (\d+)/100 steps \(\d+%\), running (\d), done (\d), "
            r"diverged 0, best \S+, median \S+",
            before_table,
            re.MULTILINE,
        )
        assert live, output[-3000:]
        assert all(int(running) + int(done) == 2 for _, running, done in live)
        ended = rf"^population {index} ended at env step 100: done 2, diverged 0, best -?\d"
        assert re.search(ended, before_table, re.MULTILINE), output[-3000:]


def population_child(launcher_pid: int) -> int | None:
    """The pid of the launcher's running population process (python -m ddpg.launch.sweep_child)."""
    for cmdline in Path("/proc").glob("[0-9]*/cmdline"):
        try:
            argv = cmdline.read_bytes().split(b"\0")
        except OSError:
            continue
        if b"ddpg.launch.sweep_child" in argv and str(launcher_pid).encode() in argv:
            return int(cmdline.parent.name)
    return None


@pytest.mark.slow
def test_a_sigkilled_population_leaves_its_members_to_resume(tmp_path: Path) -> None:
    """Two populations one after the other: 300 steps (completes), then 3000 steps, whose
    process is SIGKILLed once both members have checkpointed. Its members are "interrupted",
    the others keep "completed", and `resume=<sweep>` (the README's form) trains the two on."""
    sweep_dir = tmp_path / "sweep"
    overrides = [*TINY, "trainer.total_steps=300,3000", "seed=0,1", "trainer.checkpoint_every=100"]
    process = start(sweep_dir, *overrides)
    long_dirs = [sweep_dir / "total_steps=3000 s=0 job2"]
    long_dirs.append(sweep_dir / "total_steps=3000 s=1 job3")
    wait_while_running(
        process,
        lambda: all(any((d / "checkpoints").glob("step_*")) for d in long_dirs),
        timeout=300,
        poll_s=0.1,
    )
    child = population_child(process.pid)
    assert child is not None
    os.kill(child, signal.SIGKILL)
    output = finish(process)

    jobs = summaries(sweep_dir)
    log = sweep_dir / "populations" / "2.log"
    for d in long_dirs:
        assert jobs[d.name]["status"] == "interrupted", jobs[d.name]
        assert jobs[d.name]["error"] == f"population process killed by SIGKILL (see {log})"
        assert f"error: job {d.name}: population process killed by SIGKILL" in output
    short = ["total_steps=300 s=0 job0", "total_steps=300 s=1 job1"]
    assert [jobs[name]["status"] for name in short] == ["completed", "completed"]
    finished = {name: jobs[name] for name in short}

    resumed = subprocess.run(
        [sys.executable, "-m", "ddpg.run", f"resume={sweep_dir}"],
        cwd=REPO,
        capture_output=True,
        text=True,
        timeout=400,
    )
    assert resumed.returncode == 0, resumed.stderr[-3000:]
    assert f"resuming 2 runs in {sweep_dir}" in resumed.stderr
    jobs = summaries(sweep_dir)
    for d in long_dirs:
        assert jobs[d.name]["status"] == "completed", jobs[d.name]
        assert jobs[d.name]["env_steps"] == 3000
    assert {name: jobs[name] for name in short} == finished  # left as they were


# ------------------------------------------------------------------------- fake training


@pytest.fixture
def fake(tmp_path: Path) -> tuple[dict[str, str], Path]:
    """(environment for the sweep, the folder fake_population records into)."""
    site, record = tmp_path / "site", tmp_path / "record"
    site.mkdir()
    record.mkdir()
    (site / "sitecustomize.py").write_text("import fake_population  # noqa: F401\n")
    path = [str(site), str(HERE), os.environ.get("PYTHONPATH", "")]
    env = dict(os.environ, PYTHONPATH=os.pathsep.join(path), DDPG_FAKE_POPULATIONS=str(record))
    return env, record


def records(record: Path, name: str) -> list[dict]:
    path = record / name
    return [json.loads(line) for line in path.read_text().splitlines()] if path.exists() else []


PROBE = "+hydra.callbacks.probe._target_=fake_population.Probe"


@pytest.mark.slow
def test_jobs_sharing_shapes_train_together_and_each_gets_its_callbacks(fake, tmp_path):
    env, record = fake
    sweep_dir = tmp_path / "sweep"
    overrides = ["+experiment=smoke", "agent.tau=0.001,0.005", "seed=0,1", "network=mlp64,mlp256"]
    output = finish(start(sweep_dir, *overrides, PROBE, env=env))

    populations = [
        [Path(d).name for d in p["run_dirs"]] for p in records(record, "populations.jsonl")
    ]
    names = sorted(summaries(sweep_dir), key=lambda n: int(n.rsplit(" job", 1)[1]))
    assert len(names) == 8 and len({p["pid"] for p in records(record, "populations.jsonl")}) == 2
    assert populations == [
        [n for n in names if "mlp64" in n],  # sweep order within each; by first job
        [n for n in names if "mlp256" in n],
    ]
    assert population_logs(sweep_dir) == {"0.log": populations[0], "1.log": populations[1]}
    events = records(record, "callbacks.jsonl")
    for num, name in enumerate(names):
        params = json.loads((sweep_dir / name / "params.json").read_text())
        (started,) = [i for i, e in enumerate(events) if e == {"event": "start", "num": num}]
        ((ended, end),) = [
            (i, e) for i, e in enumerate(events) if e["event"] == "end" and e["num"] == num
        ]
        assert started < ended
        assert end["output_dir"] == str(sweep_dir / name)
        assert end["status"] == "COMPLETED" and end["tb_exists"]
        assert end["value"] == pytest.approx(1000 * params["agent.tau"] + params["seed"])
        for part in HYDRA_RECORD:
            assert (sweep_dir / name / part).exists(), part
        overrides_yaml = OmegaConf.load(sweep_dir / name / ".hydra/overrides.yaml")
        assert f"seed={params['seed']}" in list(overrides_yaml)
    assert f"Sweep finished: {sweep_dir} (8 jobs)" in output


@pytest.mark.slow
def test_rejected_jobs_get_their_callbacks_and_env_set_reaches_training(fake, tmp_path):
    """Every job gets on_job_start/on_job_end, the rejected ones too; population.size is
    refused in a sweep as ddpg.run refuses it under any launcher; hydra.job.env_set is in the
    training process's environment, and jobs whose env_set differs train apart."""
    env, record = fake
    sweep_dir = tmp_path / "sweep"
    overrides = ["+experiment=smoke", "agent.tau=0.001,7", "population.size=1,2", "seed=0,1"]
    env_set = "+hydra.job.env_set.DDPG_FAKE_ENV=s${hydra.job.num}"  # differs: apart
    output = finish(start(sweep_dir, *overrides, PROBE, env_set, env=env))

    jobs = summaries(sweep_dir)
    names = sorted(jobs, key=lambda n: int(n.rsplit(" job", 1)[1]))
    assert len(names) == 8, output[-3000:]
    trained = names[:2]  # tau 0.001, size 1, seeds 0 and 1 (size is not in a job's name)
    assert [jobs[n]["status"] for n in names] == ["completed"] * 2 + ["failed"] * 6
    for name in names[2:4]:  # tau 0.001, size 2
        assert jobs[name]["error"].startswith("population.size applies to single runs")
    events = records(record, "callbacks.jsonl")
    assert sorted(e["num"] for e in events if e["event"] == "start") == list(range(8))
    assert sorted(e["num"] for e in events if e["event"] == "end") == list(range(8))
    populations = records(record, "populations.jsonl")
    assert sorted((p["env"], [Path(d).name for d in p["run_dirs"]]) for p in populations) == [
        ("s0", [trained[0]]),
        ("s1", [trained[1]]),
    ]


@pytest.mark.slow
def test_a_killed_population_leaves_its_members_interrupted_the_others_go_on(fake, tmp_path):
    env, record = fake
    sweep_dir = tmp_path / "sweep"
    overrides = ["+experiment=smoke", "agent.tau=0.001,0.9,0.005", "hydra.launcher.max_members=1"]
    output = finish(start(sweep_dir, *overrides, "hydra.launcher.n_workers=2", PROBE, env=env))

    jobs = summaries(sweep_dir)
    assert jobs["tau=0.001 job0"]["status"] == "completed"
    assert jobs["tau=0.005 job2"]["status"] == "completed"
    died = jobs["tau=0.9 job1"]
    assert died["status"] == "interrupted"  # resume= continues it from its checkpoint
    log = sweep_dir / "populations" / "1.log"
    assert died["error"] == f"population process killed by SIGKILL (see {log})"
    assert "error: job tau=0.9 job1: population process killed by SIGKILL" in output
    values = {
        e["num"]: e["value"] for e in records(record, "callbacks.jsonl") if e["event"] == "end"
    }
    assert values[0] == pytest.approx(1.0) and values[2] == pytest.approx(5.0)
    assert math.isnan(values[1])
    assert len(population_logs(sweep_dir)) == 3


@pytest.mark.slow
def test_ctrl_c_stops_running_populations_and_records_them_interrupted(fake, tmp_path: Path):
    env, record = fake
    sweep_dir = tmp_path / "sweep"
    overrides = ["+experiment=smoke", "agent.tau=0.8,0.005", "hydra.launcher.max_members=1"]
    process = start(sweep_dir, *overrides, "hydra.launcher.n_workers=2", env=env)
    done = sweep_dir / "tau=0.005 job1" / "summary.json"
    wait_while_running(
        process,
        lambda: (
            (record / "sleeping").exists() and done.exists() and "completed" in done.read_text()
        ),
        timeout=120,
        poll_s=0.2,
    )
    time.sleep(1.0)  # the launcher has seen the finished population

    os.kill(process.pid, signal.SIGINT)
    output, _ = process.communicate(timeout=60)

    assert process.returncode == 130, output[-3000:]
    resume = f"python -m ddpg.run resume={shlex.quote(str(sweep_dir))}"
    assert f"interrupted: {sweep_dir}; continue with: {resume}\n" in output
    jobs = summaries(sweep_dir)
    assert jobs["tau=0.8 job0"] == {"error": "interrupted", "status": "interrupted"}
    assert jobs["tau=0.005 job1"]["status"] == "completed"


# ------------------------------------------------------------------------- SLURM backend


def slurm_backend() -> list[str]:
    """The slurm backend on the cluster's partition (skips, saying how to get one, when no
    SLURM answers), sized for two populations side by side on 2 cores, with a time limit that
    ends a job a test left behind."""
    return [
        "hydra.launcher.backend=slurm",
        f"hydra.launcher.slurm.partition={require_slurm()}",
        "hydra.launcher.slurm.cpus_per_task=1",
        "hydra.launcher.slurm.mem_gb=1",
        "hydra.launcher.slurm.timeout_min=5",
    ]


@pytest.mark.slow
def test_slurm_backend_runs_each_population_as_one_slurm_job(tmp_path: Path) -> None:
    slurm, partition = slurm_backend(), require_slurm()
    sweep_dir = tmp_path / "sweep"
    process = start(sweep_dir, *TINY, "seed=0,1", "network.critic_hidden=[16],[8]", *slurm)
    try:
        output = finish(process, timeout=300)
    finally:
        cancel(sweep_job_ids(sweep_dir))
    jobs = summaries(sweep_dir)
    assert len(jobs) == 4, output[-3000:]
    assert all(summary["status"] == "completed" for summary in jobs.values()), jobs
    tasks = sweep_job_ids(sweep_dir)  # one array task per population, not per job
    assert [task.split("_")[1] for task in tasks] == ["0", "1"], tasks
    array = tasks[0].split("_")[0]
    script = (sweep_dir / ".submitit" / array / f"{array}_submission.sh").read_text()
    assert f"#SBATCH --partition={partition}" in script and "#SBATCH --array=0-1" in script
    assert len(population_logs(sweep_dir)) == 2


@pytest.mark.slow
def test_a_sweep_of_one_population_is_one_plain_slurm_job(tmp_path: Path) -> None:
    """As submitit (and so Hydra's submitit launcher) submits an array of one: a plain job."""
    sweep_dir = tmp_path / "sweep"
    process = start(sweep_dir, *TINY, "seed=0,1", *slurm_backend())
    try:
        output = finish(process, timeout=300)
    finally:
        cancel(sweep_job_ids(sweep_dir))
    jobs = summaries(sweep_dir)
    assert [summary["status"] for summary in jobs.values()] == ["completed"] * 2, output[-3000:]
    (job,) = sweep_job_ids(sweep_dir)
    assert "_" not in job  # no array task
    assert population_logs(sweep_dir) == {"0.log": sorted(jobs)}


# ------------------------------------------------------------------------- the preset


def test_the_population_preset_composes_with_its_defaults() -> None:
    command = [sys.executable, "-m", "ddpg.run", "hydra/launcher=population", "--cfg", "hydra"]
    output = subprocess.run(
        [*command, "-p", "hydra.launcher"], cwd=REPO, capture_output=True, text=True, check=True
    ).stdout
    launcher = OmegaConf.create(output)
    assert launcher._target_.endswith("population_launcher.PopulationLauncher")
    assert (launcher.max_members, launcher.n_workers, launcher.backend) == (64, 1, "local")
    slurm_preset = OmegaConf.load(REPO / "conf/hydra/launcher/slurm.yaml")
    for key in ("partition", "timeout_min", "cpus_per_task", "mem_gb", "array_parallelism"):
        assert launcher.slurm[key] == slurm_preset[key], key


def test_hydra_finds_the_launcher_beside_the_installed_ones() -> None:
    """From outside the repository, so only the install can provide hydra_plugins/."""
    stamp = Path(sys.prefix) / ".installed"  # the Makefile's: when it last installed the package
    if stamp.exists() and stamp.stat().st_mtime < (REPO / "pyproject.toml").stat().st_mtime:
        pytest.skip("the venv predates pyproject.toml (which installs hydra_plugins): make venv")
    code = (
        "from hydra.core.plugins import Plugins; from hydra.plugins.launcher import Launcher; "
        "print(*sorted(c.__name__ for c in Plugins.instance().discover(Launcher)))"
    )
    found = subprocess.run(
        [sys.executable, "-c", code], cwd="/", capture_output=True, text=True, check=True
    )
    assert found.stderr == ""  # Hydra's plugin scan imports the module at every start-up
    names = found.stdout.split()
    assert {"PopulationLauncher", "JoblibLauncher", "SlurmLauncher", "BasicLauncher"} <= set(names)


def test_resuming_members_group_by_their_checkpoint_step() -> None:
    from hydra.core.utils import JobReturn

    from ddpg.config.schema import RunConfig
    from ddpg.launch.resume_plan import ResumePlan
    from ddpg.population.keys import group_jobs
    from hydra_plugins.ddpg_population_launcher._jobs import Job, Member

    def member(seed: int, step: int | None) -> Member:
        run_dir = Path(f"/runs/{seed}")
        config = RunConfig(seed=seed, resume=None if step is None else str(run_dir))
        checkpoint = run_dir / "checkpoints" / f"step_{step or 0:09d}"
        plan = None if step is None else ResumePlan(config, run_dir, checkpoint, False)
        return Member(config, run_dir, plan)

    job = Job(0, OmegaConf.create(), JobReturn(), Path("/runs"))
    members = [member(0, 100), member(1, 200), member(2, 100), member(3, None), member(4, None)]
    assert group_jobs([job.grouping_params(m) for m in members], 64) == [[0, 2], [1], [3, 4]]


@pytest.mark.slow
def test_a_population_cancelled_on_slurm_is_recorded_and_the_other_completes(
    tmp_path: Path,
) -> None:
    """Two populations (budgets 300 and 100,000 steps, two seeds each), one SLURM array task
    each; `scancel` of the long one's task while it trains."""
    slurm = slurm_backend()
    sweep_dir = tmp_path / "sweep"
    process = start(sweep_dir, *TINY, "seed=0,1", "trainer.total_steps=300,100000", *slurm)
    long_dirs = [sweep_dir / "total_steps=100000 s=0 job2"]
    long_dirs.append(sweep_dir / "total_steps=100000 s=1 job3")
    try:
        wait_while_running(
            process,
            lambda: all(
                json.loads((d / "summary.json").read_text()).get("status") == "running"
                if (d / "summary.json").is_file()
                else False
                for d in long_dirs
            ),
            timeout=240,
            poll_s=0.5,
            message="never trained",
        )
        tasks = sweep_job_ids(sweep_dir)
        assert len(tasks) == 2, tasks
        assert cancel([tasks[1]]).returncode == 0  # the long population's array task
        output, _ = process.communicate(timeout=240)
    finally:
        if process.poll() is None:
            os.killpg(process.pid, signal.SIGKILL)
        cancel(sweep_job_ids(sweep_dir))
    jobs = summaries(sweep_dir)
    assert jobs["total_steps=300 s=0 job0"]["status"] == "completed", jobs
    assert jobs["total_steps=300 s=1 job1"]["status"] == "completed", jobs
    for d in long_dirs:  # never left "running"
        assert jobs[d.name]["status"] in ("interrupted", "failed"), jobs[d.name]
        assert jobs[d.name]["env_steps"] < 100_000


@pytest.mark.parametrize("named", ["runs", "folder"])
def test_resumed_runs_with_no_step_to_share_fail_their_jobs_in_one_line(tmp_path, named):
    """m1's only checkpoint is damaged, and m0 has none at an earlier step: they cannot resume
    together. Named one by one (two jobs) or by their folder (one job), each job fails with one
    line naming the file, recorded in its own sweep folder; the runs are left as they were."""
    runs = tmp_path / "runs"
    checkpointed_run(runs / "m0", 0, (250, 500))
    checkpointed_run(runs / "m1", 1, (500,))
    arrays = runs / "m1" / "checkpoints" / "step_000000500" / "arrays.npz"
    arrays.write_bytes(arrays.read_bytes()[:-5])
    before = {p: p.read_bytes() for p in runs.rglob("*") if p.is_file()}
    resume = f"{runs / 'm0'},{runs / 'm1'}" if named == "runs" else str(runs)
    output = finish(start(tmp_path / "sweep", f"resume={resume}"), timeout=120)
    problem = (
        f"resume={resume} is invalid: damaged checkpoint file {arrays}: checksum mismatch, and "
        "its population (2 runs) has no earlier step at which every member's checkpoint verifies"
    )
    jobs = summaries(tmp_path / "sweep")
    assert len(jobs) == (2 if named == "runs" else 1), output[-3000:]
    for name, summary in jobs.items():
        assert summary == {"status": "failed", "error": problem}
        assert f"error: job {name}: {problem}" in output.splitlines()
    assert "Traceback" not in output
    assert {p: p.read_bytes() for p in runs.rglob("*") if p.is_file()} == before
