"""A real SLURM cluster for the tests of the cluster launchers, or a skip that says how to get one.

    from slurm_cluster import partition, require_slurm, run_multirun

    @pytest.fixture(scope="session")
    def slurm() -> str:
        return require_slurm()  # the partition to submit to; skips the test if there is no SLURM

:func:`require_slurm` uses a SLURM that answers `sinfo` (any cluster, this machine's or not). If
none answers it brings up the single-node cluster of ``../shared/tools/slurm/slurm_up.sh`` (next
to the repository; root and Debian, ~3 s when installed, ~15 s with its apt install) when that
script exists (``DDPG_SLURM_UP=0``: never). Otherwise, or when bringing it up fails, the tests
skip with a reason that says what to do; with ``DDPG_SLURM_UP=1`` they fail instead (for a CI
that must run them). It runs once per test session (the outcome is cached) and never waits
longer than its timeouts (`sinfo` takes ~9 s to give up on a controller that is down). A cluster
it brought up is left running for the next session (``slurm_down.sh`` stops it).

Environment:
    DDPG_SLURM_UP=0|1          0: never bring a cluster up; 1: no SLURM fails the tests
    DDPG_SLURM_UP_SCRIPT=PATH  the bring-up script (default ../shared/tools/slurm/slurm_up.sh)
    DDPG_SLURM_UP_TIMEOUT=S    seconds for the script, apt install included (default 240)
    DDPG_SLURM_PARTITION=NAME  the partition to use (default: the cluster's default partition)
    DDPG_SLURM_WORKDIR=PATH    where sweep folders go (default: the test's tmp_path); on a
                               cluster of several nodes this must be a shared filesystem
"""

from __future__ import annotations

import contextlib
import fcntl
import functools
import os
import re
import shlex
import signal
import subprocess
import sys
import tempfile
import time
import uuid
from collections.abc import Sequence
from pathlib import Path

import pytest

REPO = Path(__file__).resolve().parents[1]
DEFAULT_UP_SCRIPT = REPO.parent / "shared" / "tools" / "slurm" / "slurm_up.sh"
USABLE_NODE_STATES = ("idle", "mixed", "allocated", "completing")
ACTIVE_JOB_STATES = ("PENDING", "RUNNING", "COMPLETING", "REQUEUED", "RESIZING", "SUSPENDED")
HOW_TO_ENABLE = (
    "run `bash ../shared/tools/slurm/slurm_up.sh` from the repository root (root, Debian; see "
    "../shared/tools/slurm/README.md) or set DDPG_SLURM_UP_SCRIPT=<path to slurm_up.sh>, or "
    "make any SLURM reachable so that `sinfo` answers (DDPG_SLURM_PARTITION=<name> picks the "
    "partition)"
)


# ------------------------------------------------------------------------- finding a cluster


def _run(command: Sequence[str], timeout: float = 20) -> subprocess.CompletedProcess[str]:
    """Run a SLURM client command; never raises, never waits past `timeout`."""
    try:
        return subprocess.run(
            list(command), capture_output=True, text=True, timeout=timeout, check=False
        )
    except FileNotFoundError:
        return subprocess.CompletedProcess(command, 127, "", f"{command[0]}: command not found")
    except subprocess.TimeoutExpired:
        return subprocess.CompletedProcess(command, 124, "", f"no answer in {timeout:.0f} s")


def _last_line(text: str) -> str:
    lines = [line.strip() for line in text.strip().splitlines() if line.strip()]
    return lines[-1] if lines else "no output"


def find_partition() -> tuple[str | None, str]:
    """(partition, "") when a SLURM answers and the partition has a node that can run jobs,
    else (None, why not)."""
    listed = _run(["sinfo", "-h", "-o", "%P %a"])
    if listed.returncode != 0:
        return None, f"`sinfo` failed: {_last_line(listed.stderr or listed.stdout)}"
    partitions = [line.split() for line in listed.stdout.splitlines() if line.split()]
    wanted = os.environ.get("DDPG_SLURM_PARTITION")
    if wanted:
        names = [name.rstrip("*") for name, *_ in partitions]
        if wanted not in names:
            return None, f"no partition {wanted!r} (DDPG_SLURM_PARTITION) in {names}"
        name = wanted
    else:
        up = [p for p in partitions if len(p) > 1 and p[1] == "up"]
        default = [p for p in up if p[0].endswith("*")]
        if not up:
            return None, f"`sinfo` lists no partition that is up: {listed.stdout.strip()!r}"
        name = (default or up)[0][0].rstrip("*")
    states = _run(["sinfo", "-h", "-p", name, "-o", "%T"])
    # A trailing "*" (not responding), "!" or "%" (powering down) rules a node out.
    usable = [s for s in states.stdout.split() if s.rstrip("~#$@^-") in USABLE_NODE_STATES]
    if not usable:
        found = " ".join(states.stdout.split()) or _last_line(states.stderr)
        return None, f"partition {name!r} has no node that can run jobs (node states: {found})"
    return name, ""


def _up_script() -> Path:
    return Path(os.environ.get("DDPG_SLURM_UP_SCRIPT") or DEFAULT_UP_SCRIPT)


def _up_timeout() -> float:
    return float(os.environ.get("DDPG_SLURM_UP_TIMEOUT") or 240)


def bring_up(script: Path, timeout: float) -> str:
    """Run `bash script` (in its own process group, output to a file, killed after `timeout`);
    "" when it succeeded, else why not. One bring-up at a time on this machine (a lock file)."""
    log_path = Path(tempfile.gettempdir()) / "ddpg_slurm_up.log"
    deadline = time.monotonic() + timeout
    with open(Path(tempfile.gettempdir()) / "ddpg_slurm_up.lock", "w") as lock:
        waited = False
        while True:  # another test session may be bringing it up right now
            try:
                fcntl.flock(lock, fcntl.LOCK_EX | fcntl.LOCK_NB)
                break
            except BlockingIOError:
                if time.monotonic() > deadline:
                    return f"another process held {lock.name} for {timeout:.0f} s"
                waited = True
                time.sleep(0.5)
        if waited and find_partition()[0] is not None:  # the other one brought it up
            return ""
        # A file, not a pipe: daemons the script starts keep no pipe of ours open.
        with open(log_path, "w") as log:
            process = subprocess.Popen(
                ["bash", str(script)],
                stdin=subprocess.DEVNULL,
                stdout=log,
                stderr=subprocess.STDOUT,
                start_new_session=True,
            )
            try:
                returncode = process.wait(max(1.0, deadline - time.monotonic()))
            except subprocess.TimeoutExpired:
                with contextlib.suppress(ProcessLookupError):
                    os.killpg(process.pid, signal.SIGKILL)  # the script and its apt-get
                process.wait()
                return f"`bash {script}` did not finish in {timeout:.0f} s (log: {log_path})"
    if returncode != 0:
        tail = _last_line(log_path.read_text(errors="replace"))
        return f"`bash {script}` failed with exit code {returncode}: {tail!r} (log: {log_path})"
    return ""


@functools.cache
def _cluster() -> tuple[str | None, str]:
    """(partition, "") or (None, skip reason); computed once per test session."""
    name, why = find_partition()
    if name is not None:
        return name, ""
    wanted = os.environ.get("DDPG_SLURM_UP", "").strip()
    script = _up_script()
    if wanted == "0":
        return None, f"no SLURM reachable ({why}) and DDPG_SLURM_UP=0: {HOW_TO_ENABLE}"
    if not script.is_file():
        return None, f"no SLURM reachable ({why}), and no {script} to bring one up: {HOW_TO_ENABLE}"
    if os.geteuid() != 0:
        return None, f"no SLURM reachable ({why}); {script} needs root: {HOW_TO_ENABLE}"
    failure = bring_up(script, _up_timeout())
    if failure:
        readme = script.parent / "README.md"
        see = f"; see {readme}" if readme.is_file() else ""
        return None, f"no SLURM reachable ({why}) and bringing one up failed: {failure}{see}"
    name, why = find_partition()
    if name is None:
        return None, f"{script} succeeded but SLURM is still not usable: {why}"
    return name, ""


def require_slurm() -> str:
    """The partition to submit to; skips the calling test (with how to enable it) if none, or
    fails it if DDPG_SLURM_UP=1 asked for SLURM."""
    name, reason = _cluster()
    if name is None:
        if os.environ.get("DDPG_SLURM_UP", "").strip() == "1":
            pytest.fail(f"DDPG_SLURM_UP=1 but {reason}", pytrace=False)
        pytest.skip(reason)
    return name


def partition() -> str:
    """The partition the SLURM tests submit to (same as require_slurm())."""
    return require_slurm()


# ------------------------------------------------------------------------- running sweeps


def fresh_sweep_dir(base: Path | None = None) -> Path:
    """A sweep folder that does not exist yet (Hydra makes it): submitit must never find an older
    job's files there (job ids restart at 1 when the controller's state is wiped)."""
    root = os.environ.get("DDPG_SLURM_WORKDIR")
    parent = Path(root) if root else (base or Path(tempfile.gettempdir()))
    parent.mkdir(parents=True, exist_ok=True)
    return parent / f"slurm_sweep_{uuid.uuid4().hex[:12]}"


def multirun_command(
    overrides: Sequence[str], sweep_dir: Path, module: str = "ddpg.run"
) -> list[str]:
    """`python -m <module> -m <overrides> hydra.sweep.dir=<sweep_dir>` with this interpreter
    (submitit runs the jobs with the same one: sbatch passes the environment on)."""
    return [sys.executable, "-m", module, "-m", *overrides, f"hydra.sweep.dir={sweep_dir}"]


def start_multirun(
    overrides: Sequence[str],
    base: Path | None = None,
    module: str = "ddpg.run",
    sweep_dir: Path | None = None,
) -> tuple[subprocess.Popen[str], Path]:
    """Start a Hydra multirun in a fresh sweep folder; returns (process, sweep_dir). The
    process has its own process group and its output (stdout and stderr) is on a pipe."""
    sweep_dir = sweep_dir or fresh_sweep_dir(base)
    process = subprocess.Popen(
        multirun_command(overrides, sweep_dir, module),
        cwd=REPO,
        stdin=subprocess.DEVNULL,
        stdout=subprocess.PIPE,
        stderr=subprocess.STDOUT,
        text=True,
        start_new_session=True,
    )
    return process, sweep_dir


def finish_multirun(
    process: subprocess.Popen[str], sweep_dir: Path, timeout: float
) -> subprocess.CompletedProcess[str]:
    """Wait for a multirun; past `timeout` kill it, cancel its SLURM jobs and fail the test."""
    try:
        output, _ = process.communicate(timeout=timeout)
    except subprocess.TimeoutExpired:
        with contextlib.suppress(ProcessLookupError):
            os.killpg(process.pid, signal.SIGKILL)
        output, _ = process.communicate()
        cancel(sweep_job_ids(sweep_dir))
        pytest.fail(f"the multirun did not end in {timeout:.0f} s:\n{output[-3000:]}")
    return subprocess.CompletedProcess(process.args, process.returncode, output, "")


def run_multirun(
    overrides: Sequence[str],
    base: Path | None = None,
    timeout: float = 180,
    module: str = "ddpg.run",
) -> tuple[subprocess.CompletedProcess[str], Path]:
    """Run a Hydra multirun in a fresh sweep folder to its end; returns (result, sweep_dir)."""
    process, sweep_dir = start_multirun(overrides, base, module)
    return finish_multirun(process, sweep_dir, timeout), sweep_dir


# ------------------------------------------------------------------------- SLURM jobs


def sweep_job_ids(sweep_dir: Path, submitit_folder: str = ".submitit") -> list[str]:
    """The SLURM job ids submitit used for a sweep, from its `.submitit/` folder: array tasks
    as "<job>_<task>" (task = the Hydra job number), ordered by task; plain jobs as "<job>"."""
    folder = Path(sweep_dir) / submitit_folder
    if not folder.is_dir():
        return []
    names = [p.name for p in folder.iterdir() if p.is_dir() and re.fullmatch(r"\d+(_\d+)?", p.name)]
    tasks = {n.split("_")[0] for n in names if "_" in n}
    ids = [n for n in names if "_" in n or n not in tasks]  # an array's own folder is no job
    return sorted(ids, key=lambda n: tuple(int(part) for part in n.split("_")))


def queued(job_ids: Sequence[str]) -> dict[str, str]:
    """{job id: state} for those of `job_ids` still in squeue (pending, running, completing)."""
    if not job_ids:
        return {}
    result = _run(["squeue", "-h", "-r", "-o", "%i %T", "-j", ",".join(job_ids)])
    states = dict(line.split(None, 1) for line in result.stdout.splitlines() if " " in line)
    return {job: states[job] for job in job_ids if job in states}


def wait_until_gone(job_ids: Sequence[str], timeout: float) -> dict[str, str]:
    """Wait until none of `job_ids` is queued; returns those still queued at the timeout."""
    deadline = time.monotonic() + timeout
    while (left := queued(job_ids)) and time.monotonic() < deadline:
        time.sleep(0.5)
    return left


def cancel(job_ids: Sequence[str], *options: str) -> subprocess.CompletedProcess[str]:
    """`scancel [options] <job ids>` (e.g. options "--signal=USR2" to only signal them)."""
    if not job_ids:
        return subprocess.CompletedProcess(["scancel"], 0, "", "")
    return _run(["scancel", *options, *job_ids])


def job_states(job_ids: Sequence[str]) -> dict[str, str]:
    """{job id: state} from sacct (empty when the cluster keeps no accounting)."""
    if not job_ids:
        return {}
    result = _run(["sacct", "-n", "-X", "-P", "-o", "JobID,State", "-j", ",".join(job_ids)])
    pairs = (line.split("|", 1) for line in result.stdout.splitlines() if "|" in line)
    return {job: state for job, state in pairs if job in job_ids}


def final_job_states(job_ids: Sequence[str], timeout: float = 30) -> dict[str, str]:
    """job_states() once no job is pending, running or completing any more in sacct (slurmdbd
    records a job's end a moment after squeue drops it); empty without accounting."""
    deadline = time.monotonic() + timeout
    while True:
        states = job_states(job_ids)
        active = [s for s in states.values() if s.split()[0] in ACTIVE_JOB_STATES]
        if not active or time.monotonic() > deadline:
            return states
        time.sleep(0.5)


def describe(job_ids: Sequence[str]) -> str:
    """squeue and sacct lines for a failure message."""
    ids = ",".join(job_ids) or "none"
    return "\n".join(
        f"$ {shlex.join(c)}\n{_run(c).stdout.strip()}"
        for c in (["squeue", "-j", ids], ["sacct", "-X", "-j", ids])
    )
