"""One sweep job as the population launcher sees it: set up, validated, the runs it trains,
and its value.

ddpg.run.main's sweep path up to training, split so that training can wait for a population:
validation records a rejected job "failed" (with its raw params) exactly as ddpg.run does; a
resume trains in the resumed runs' folders: one run, or every unfinished run of the population's
or sweep's folder that resume= names (as `python -m ddpg.run resume=<folder>` does), and runs
that will train together step back together past a damaged checkpoint
(ddpg.launch.resume.step_back_together), whichever jobs named them. A finished job's value is
what ddpg.run returns. It calls the helpers ddpg.run calls (ddpg.launch.job_outcome,
ddpg.launch.resume, ddpg.launch.run_folders), so a job's record and its printed line are those
of any other launcher, not a copy that could drift. It never imports ddpg.run: that is the
command, and the launcher may serve any Hydra app.
"""

from __future__ import annotations

import contextlib
import math
import sys
from collections.abc import Iterator, Sequence
from dataclasses import dataclass, field
from pathlib import Path
from typing import Any

from hydra._internal.callbacks import Callbacks
from hydra.core.hydra_config import HydraConfig
from hydra.core.utils import JobReturn, JobStatus, env_override, run_job
from hydra.types import HydraContext
from omegaconf import DictConfig, OmegaConf, open_dict

from ddpg.config.schema import ConfigError, RunConfig
from ddpg.launch.job import params_of, read_summary
from ddpg.launch.job_outcome import (
    check_sweep_job,
    command_line_values,
    fail,
    final_eval,
    job_value,
    to_run_config,
    write_raw_params,
)
from ddpg.launch.resume import nothing_to_do, plan_runs, step_back_together
from ddpg.launch.resume_plan import ResumePlan
from ddpg.launch.run_folders import remove_unstarted
from ddpg.population.keys import group_jobs


@dataclass
class Member:
    """One run a job trains: its config and folder; for resume=, the plan it continues."""

    run_config: RunConfig
    run_dir: Path
    plan: ResumePlan | None = None
    summary: dict[str, Any] | None = None  # how it ended, once its population has


@dataclass
class Job:
    """One job of the sweep once set up: where it trains and what, or that it needs nothing."""

    num: int
    config: DictConfig  # the job's full config, hydra.runtime.output_dir set (for callbacks)
    job_return: JobReturn
    run_dir: Path  # its sweep folder; for resume=, the run or the folder of runs it names
    members: list[Member] = field(default_factory=list)  # none: recorded already
    value: float = math.nan

    @property
    def env_set(self) -> dict[str, str]:
        """hydra.job.env_set: what the job's training process adds to its environment."""
        node = OmegaConf.select(self.config, "hydra.job.env_set", default=None)
        env_set = OmegaConf.to_container(node, resolve=True) if node is not None else {}
        assert isinstance(env_set, dict)
        return {str(key): str(value) for key, value in env_set.items()}

    def grouping_params(self, member: Member) -> dict[str, Any]:
        """What decides a member's population: its params, the job's env_set (one process has
        one environment), and for a resume its checkpoint's step
        (ddpg.launch.job.train_population resumes its members together, from one step)."""
        checkpoint = member.plan.checkpoint.name if member.plan is not None else None
        extra = {"checkpoint": checkpoint, "hydra.job.env_set": self.env_set}
        return params_of(member.run_config) | extra

    @property
    def ended(self) -> bool:
        return all(member.summary is not None for member in self.members)

    def end_value(self) -> float:
        """Its value once every member has ended: each member that did not succeed prints its
        line; the mean final eval of the others (as ddpg.run returns for a folder of runs)."""
        values = [job_value(m.run_dir, m.summary or {}) for m in self.members]
        finite = [value for value in values if not math.isnan(value)]
        return sum(finite) / len(finite) if finite else math.nan

    def reject(self, message: str) -> None:
        """Fail it before training, recorded in its own sweep folder (never in a resumed run)."""
        own = Path(str(self.config.hydra.runtime.output_dir))
        self.members, self.value = [], fail(own, message, multirun=True)
        self.job_return.return_value = self.value


def set_up(
    hydra_context: HydraContext, sweep: DictConfig, num: int, overrides: Sequence[str]
) -> Job:
    """What Hydra's run_job does for a job (output folder via hydra.sweep.subdir, .hydra/,
    logging) with no callbacks, validating the config where the task function would run; the
    launcher calls the callbacks around training."""
    config = hydra_context.config_loader.load_sweep_config(sweep, list(overrides))
    with open_dict(config):
        config.hydra.job.id = f"{config.hydra.job.name}_{num}"
        config.hydra.job.num = num
    job_return = run_job(
        hydra_context=HydraContext(hydra_context.config_loader, Callbacks()),
        task_function=validate,
        config=config,
        job_dir_key="hydra.sweep.dir",
        job_subdir_key="hydra.sweep.subdir",
    )
    members, run_dir, value = job_return._return_value  # never raises
    job_return.status, job_return.return_value = JobStatus.COMPLETED, value
    return Job(num, config, job_return, run_dir, members, value)


def validate(cfg: DictConfig) -> tuple[list[Member], Path, float]:
    """(the runs it trains, where, value): ddpg.run.main up to training, for one job of a sweep.
    A rejected job is recorded "failed" with its raw params; a resume with nothing to train
    leaves the runs as they are and says so, with the final eval there is."""
    hydra_cfg = HydraConfig.get()
    run_dir = hydra_dir = Path(hydra_cfg.runtime.output_dir)
    try:
        config = to_run_config(cfg)
        check_sweep_job(config)
        if config.resume is None:
            return [Member(config, run_dir)], run_dir, math.nan
        changes = command_line_values(cfg, hydra_cfg.overrides.task)
        plans = plan_runs(config.resume, changes)
        where = Path(config.resume) if len(plans) > 1 else plans[0].run_dir
        if all(plan.finished for plan in plans):
            remove_unstarted(hydra_dir)
            print(nothing_to_do(where, plans))
            return [], where, final_eval(read_summary(plans[0].run_dir / "summary.json"))
        todo = [Member(p.config, p.run_dir, p) for p in plans if not p.finished]
        return todo, where, math.nan
    except ConfigError as error:
        write_raw_params(cfg, run_dir)
        return [], run_dir, fail(run_dir, f"error: {error}", multirun=True)
    except Exception as error:
        message = f"error: {type(error).__name__}: {error}"
        return [], run_dir, fail(run_dir, message, multirun=True)


def refuse_shared_run_dirs(jobs: list[Job]) -> None:
    """Two jobs resuming the same run would train into one folder at once: the later is failed
    (recorded in its own sweep folder, never in the resumed run)."""
    claimed: dict[Path, int] = {}
    for job in jobs:
        taken = [member.run_dir for member in job.members if member.run_dir in claimed]
        if taken:
            job.reject(f"error: {taken[0]} is already trained by job {claimed[taken[0]]}")
        for member in job.members:
            claimed[member.run_dir] = job.num


def step_back(jobs: list[Job]) -> None:
    """Resumed runs that will train together (equal grouping, at one step; populations that
    max_members splits included) step back together past a damaged checkpoint, whichever jobs
    named them; then each resuming job says from where. Where they cannot, every job with a run
    among them fails with the one line."""
    resuming = [(job, m) for job in jobs for m in job.members if m.plan is not None]
    grouping = [job.grouping_params(member) for job, member in resuming]
    for group in group_jobs(grouping, max_members=max(len(resuming), 1)):
        owners = list({resuming[i][0].num: resuming[i][0] for i in group}.values())
        named = ",".join(str(job.config.resume) for job in owners)  # as the command line
        try:
            step_back_together(named, [resuming[i][1].plan for i in group])  # type: ignore[misc]
        except ConfigError as error:
            for job in owners:
                if job.members:  # not yet rejected for another of its runs
                    job.reject(f"error: {error}")
    for job in jobs:
        plans = [member.plan for member in job.members if member.plan is not None]
        if len(plans) == 1 and plans[0].run_dir == job.run_dir:
            print(f"resuming {job.run_dir} from {plans[0].checkpoint.name}", file=sys.stderr)
        elif plans:
            print(f"resuming {len(plans)} runs in {job.run_dir}", file=sys.stderr)


@contextlib.contextmanager
def callbacks_of(job: Job) -> Iterator[None]:
    """What Hydra's run_job sets while a job's callbacks run: HydraConfig set to the job's config
    and its hydra.job.env_set in os.environ."""
    previous = HydraConfig.instance().cfg
    HydraConfig.instance().set_config(job.config)
    try:
        with env_override(job.env_set):
            yield
    finally:
        HydraConfig.instance().cfg = previous
