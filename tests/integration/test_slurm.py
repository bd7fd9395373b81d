"""The `hydra/launcher=slurm` preset on a real SLURM cluster (sbatch, squeue, scancel, sacct).

Needs a SLURM that answers `sinfo`; tests/slurm_cluster.py brings up the single-node cluster of
../shared/tools/slurm/slurm_up.sh when that script is there, and otherwise skips these tests with
the reason and how to enable them. Each sweep has two tiny jobs (~10 s on 2 cores).
"""

from __future__ import annotations

import contextlib
import csv
import json
import os
import signal
import subprocess
import sys
import time
from pathlib import Path
from typing import Any

import pytest
from slurm_cluster import (
    REPO,
    cancel,
    describe,
    final_job_states,
    finish_multirun,
    require_slurm,
    run_multirun,
    start_multirun,
    sweep_job_ids,
    wait_until_gone,
)

pytestmark = pytest.mark.slow

LONG_STEPS = 100_000  # minutes of training: the job is always cancelled long before its end
SWEEP_TIMEOUT_S = 240  # a sweep takes ~10 s here; this only keeps a broken one from hanging


@pytest.fixture(scope="session")
def slurm() -> str:
    """The partition to submit to; skips (saying how to enable) when there is no SLURM."""
    return require_slurm()


def launcher(partition: str) -> list[str]:
    """The preset under test, sized so that two jobs run side by side on a 2-core node, and with
    a time limit that ends a job this test left behind."""
    return [
        "hydra/launcher=slurm",
        f"hydra.launcher.partition={partition}",
        "hydra.launcher.cpus_per_task=1",
        "hydra.launcher.mem_gb=1",
        "hydra.launcher.timeout_min=5",
    ]


def summaries(sweep_dir: Path) -> dict[str, dict[str, Any]]:
    return {p.parent.name: json.loads(p.read_text()) for p in sweep_dir.glob("*/summary.json")}


def status_of(run_dir_glob: str, sweep_dir: Path) -> str | None:
    for path in sweep_dir.glob(f"{run_dir_glob}/summary.json"):
        try:
            return json.loads(path.read_text()).get("status")
        except ValueError:  # written atomically, but be safe
            return None
    return None


def wait_for(what: str, condition, process: subprocess.Popen[str], timeout: float) -> Any:
    """Poll `condition` until it returns something truthy; fail if the sweep ends first."""
    deadline = time.monotonic() + timeout
    while time.monotonic() < deadline:
        if value := condition():
            return value
        if process.poll() is not None:
            pytest.fail(f"the sweep ended before {what}:\n{process.communicate()[0][-3000:]}")
        time.sleep(0.25)
    pytest.fail(f"no {what} after {timeout:.0f} s")


def start_long_and_short(
    partition: str, tmp_path: Path, cleanup
) -> tuple[subprocess.Popen[str], Path, str]:
    """Start a sweep of a short job (0) and a long one (1); return once the long one trains,
    with its SLURM job id ("<array>_1")."""
    process, sweep_dir = start_multirun(
        [*launcher(partition), "+experiment=smoke", f"trainer.total_steps=300,{LONG_STEPS}"],
        tmp_path,
    )
    cleanup(process, sweep_dir)
    wait_for(
        "the long job's summary.json says running",
        lambda: status_of("* job1", sweep_dir) == "running",
        process,
        timeout=120,
    )
    job_id = wait_for(
        "the long job's SLURM id",
        lambda: next((j for j in sweep_job_ids(sweep_dir) if j.endswith("_1")), None),
        process,
        timeout=10,
    )
    time.sleep(1)  # "running" is written just before the trainer takes over SIGTERM
    return process, sweep_dir, job_id


def end_sweep(process: subprocess.Popen[str], sweep_dir: Path) -> subprocess.CompletedProcess:
    """The sweep's end (killed, with its jobs cancelled, past the timeout); then every one of
    its SLURM jobs has left the queue."""
    result = finish_multirun(process, sweep_dir, timeout=SWEEP_TIMEOUT_S)
    job_ids = sweep_job_ids(sweep_dir)
    assert not wait_until_gone(job_ids, timeout=60), describe(job_ids)
    return result


@pytest.fixture
def cleanup():
    """However the test ended: kills the sweep processes it registered and cancels their jobs."""
    sweeps: list[tuple[subprocess.Popen[str], Path]] = []
    yield lambda process, sweep_dir: sweeps.append((process, sweep_dir))
    for process, sweep_dir in sweeps:
        if process.poll() is None:
            with contextlib.suppress(ProcessLookupError):
                os.killpg(process.pid, signal.SIGKILL)
            process.communicate()
        cancel(sweep_job_ids(sweep_dir))


def test_slurm_sweep_completes_every_job_and_compare_reads_it(slurm: str, tmp_path: Path):
    result, sweep_dir = run_multirun(
        [*launcher(slurm), "+experiment=smoke", "seed=0,1"], tmp_path, timeout=SWEEP_TIMEOUT_S
    )

    assert result.returncode == 0, result.stdout[-3000:]
    found = summaries(sweep_dir)
    assert sorted(found) == ["s=0 job0", "s=1 job1"], result.stdout[-3000:]
    for name, summary in found.items():
        assert summary["status"] == "completed", (name, summary)
        assert summary["env_steps"] == 300
    # The jobs went through SLURM: an array of two, submitted to the partition, run to the end.
    job_ids = sweep_job_ids(sweep_dir)
    assert [job.split("_")[1] for job in job_ids] == ["0", "1"], job_ids
    array = job_ids[0].split("_")[0]
    script = (sweep_dir / ".submitit" / array / f"{array}_submission.sh").read_text()
    assert f"#SBATCH --partition={slurm}" in script and "#SBATCH --array=0-1" in script
    assert not wait_until_gone(job_ids, timeout=60), describe(job_ids)
    states = final_job_states(job_ids)  # empty on a cluster without accounting
    assert all(state == "COMPLETED" for state in states.values()), describe(job_ids)

    compared = subprocess.run(
        [sys.executable, "-m", "ddpg.compare", str(sweep_dir)],
        cwd=REPO,
        capture_output=True,
        text=True,
        timeout=180,
    )
    assert compared.returncode == 0, compared.stdout[-2000:] + compared.stderr[-2000:]
    assert "every run finished" in compared.stdout
    with open(sweep_dir / "compare.csv") as table:
        (row,) = csv.DictReader(table)
    assert (row["n_runs"], row["n_failed"], row["n_unfinished"]) == ("2", "0", "0")


def test_a_job_cancelled_while_training_is_recorded_and_the_other_completes(
    slurm: str, tmp_path: Path, cleanup
):
    process, sweep_dir, job_id = start_long_and_short(slurm, tmp_path, cleanup)

    cancelled = cancel([job_id])  # SIGCONT+SIGTERM to every process of the job, SIGKILL later
    assert cancelled.returncode == 0, cancelled.stderr
    result = end_sweep(process, sweep_dir)

    found = summaries(sweep_dir)
    short = found["total_steps=300 job0"]
    long = found[f"total_steps={LONG_STEPS} job1"]
    assert short["status"] == "completed", short
    assert long["status"] in ("interrupted", "failed"), long  # never left "running"
    assert long["env_steps"] < LONG_STEPS
    if long["status"] == "interrupted":  # the trainer saw SIGTERM: checkpoint at episode end
        assert long["error"] == "stopped by SIGTERM; resume to continue", long
        checkpoints = sorted(
            (sweep_dir / f"total_steps={LONG_STEPS} job1").glob("checkpoints/step_*")
        )
        assert checkpoints and checkpoints[-1].name == f"step_{long['env_steps']:09d}", checkpoints
    assert final_job_states([job_id]).get(job_id, "CANCELLED").startswith("CANCELLED")
    # The sweep process ended by itself. It ends normally (0) when the job returned before SLURM's
    # KillWait ran out (5 s on slurm_up.sh's cluster, 30 s by default); when SIGKILL came first,
    # submitit finds no result for that job and Hydra's launcher raises UncompletedJobError (1).
    if result.returncode != 0:
        assert "UncompletedJobError" in result.stdout, result.stdout[-3000:]
        assert f"Job {job_id} " in result.stdout, result.stdout[-3000:]


def test_a_job_warned_of_its_time_limit_checkpoints_and_records_interrupted(
    slurm: str, tmp_path: Path, cleanup
):
    """USR2 is what SLURM sends signal_delay_s before a job's time limit (submitit asks for it;
    preemption too). It reaches every process of the job; submitit, in the launching process,
    ends the job (no requeue at max_num_timeout=0) and ddpg.launch.sweep passes SIGTERM to the
    child."""
    process, sweep_dir, job_id = start_long_and_short(slurm, tmp_path, cleanup)

    signalled = cancel([job_id], "--signal=USR2")  # only a signal: the job goes on
    assert signalled.returncode == 0, signalled.stderr
    end_sweep(process, sweep_dir)

    found = summaries(sweep_dir)
    short = found["total_steps=300 job0"]
    long = found[f"total_steps={LONG_STEPS} job1"]
    assert short["status"] == "completed", short
    assert long["status"] in ("interrupted", "failed"), long  # never left "running"
    checkpoints = sorted((sweep_dir / f"total_steps={LONG_STEPS} job1").glob("checkpoints/step_*"))
    assert long["status"] == "interrupted", long
    assert long["error"] == "stopped by SIGTERM; resume to continue", long
    assert checkpoints and checkpoints[-1].name == f"step_{long['env_steps']:09d}", checkpoints


@pytest.mark.parametrize(
    "overrides, key",
    [
        (["hydra/launcher=slurm"], "hydra.launcher.partition"),
        (
            ["hydra/launcher=population", "hydra.launcher.backend=slurm"],
            "hydra.launcher.slurm.partition",
        ),
    ],
    ids=["submitit", "population"],
)
def test_a_partition_slurm_does_not_have_is_one_line_and_leaves_nothing(
    slurm: str, tmp_path: Path, overrides: list[str], key: str
) -> None:
    """Asked of SLURM (sbatch --test-only) before the sweep folder exists: exit 2, one line
    naming the key and the value, no traceback, no folder, nothing queued."""
    sweep_dir = tmp_path / "sweep"
    result = subprocess.run(
        [
            sys.executable,
            "-m",
            "ddpg.run",
            "-m",
            *overrides,
            f"{key}=no_such_partition",
            "+experiment=smoke",
            f"hydra.sweep.dir={sweep_dir}",
        ],
        cwd=REPO,
        capture_output=True,
        text=True,
        timeout=120,
    )
    assert result.returncode == 2, result.stderr[-3000:]
    (line,) = result.stderr.splitlines()
    assert line.startswith(f"error: {key}='no_such_partition' is refused by SLURM: "), line
    assert "no_such_partition" in line.split("SLURM: ", 1)[1]  # SLURM's own words
    assert not sweep_dir.exists()
