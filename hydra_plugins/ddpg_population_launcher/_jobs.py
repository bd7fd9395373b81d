"""One sweep job as the population launcher sees it: set up, validated, and its return value.

ddpg.run.main's sweep path up to training, split so that training can wait for a population:
validation records a rejected job "failed" (with its raw params) exactly as ddpg.run does, a
resume trains in the resumed run's folder, and a finished job's value is what ddpg.run returns.
It calls the helpers ddpg.run calls (ddpg.launch.job_outcome, ddpg.launch.run_folders), so a job's
record and its printed line are those of any other launcher, not a copy that could drift. It never
imports ddpg.run: that is the command, and the launcher may serve any Hydra app.
"""

from __future__ import annotations

import contextlib
import math
import sys
from collections.abc import Iterator, Sequence
from dataclasses import dataclass
from pathlib import Path
from typing import Any

from hydra._internal.callbacks import Callbacks
from hydra.core.hydra_config import HydraConfig
from hydra.core.utils import JobReturn, JobStatus, env_override, run_job
from hydra.types import HydraContext
from omegaconf import DictConfig, OmegaConf, open_dict

from ddpg.config.schema import ConfigError, RunConfig
from ddpg.launch.job import params_of, plan_resume, read_summary
from ddpg.launch.job_outcome import (
    check_sweep_job,
    command_line_values,
    fail,
    final_eval,
    to_run_config,
    write_raw_params,
)
from ddpg.launch.job_outcome import job_value as job_value
from ddpg.launch.run_folders import remove_unstarted
from ddpg.storage.checkpoint import read_checkpoint_state


@dataclass
class Job:
    """One job of the sweep once set up: where it trains and what, or that it needs nothing."""

    num: int
    config: DictConfig  # the job's full config, hydra.runtime.output_dir set (for callbacks)
    job_return: JobReturn
    run_dir: Path  # its sweep folder; for resume=, the resumed run's folder
    run_config: RunConfig | None = None  # None: recorded already, nothing to train
    value: float = math.nan
    resume_step: int | None = None  # the env step its checkpoint holds, for resume=

    @property
    def env_set(self) -> dict[str, str]:
        """hydra.job.env_set: what the job's training process adds to its environment."""
        node = OmegaConf.select(self.config, "hydra.job.env_set", default=None)
        env_set = OmegaConf.to_container(node, resolve=True) if node is not None else {}
        assert isinstance(env_set, dict)
        return {str(key): str(value) for key, value in env_set.items()}

    def grouping_params(self) -> dict[str, Any]:
        """What decides its population: its params, its env_set (one process has one
        environment), and for a resume the checkpoint's env step
        (ddpg.launch.job.train_population resumes its members together, from one step)."""
        assert self.run_config is not None
        extra = {"resume_step": self.resume_step, "hydra.job.env_set": self.env_set}
        return params_of(self.run_config) | extra


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
    run_config, run_dir, value, resume_step = job_return._return_value  # never raises
    job_return.status, job_return.return_value = JobStatus.COMPLETED, value
    return Job(num, config, job_return, run_dir, run_config, value, resume_step)


def validate(cfg: DictConfig) -> tuple[RunConfig | None, Path, float, int | None]:
    """(RunConfig or None, where it trains, value, resume step): ddpg.run.main up to training,
    for one job of a sweep. A rejected job is recorded "failed" with its raw params; a resume
    of a finished run is left as it is, with the final eval it has."""
    hydra_cfg = HydraConfig.get()
    run_dir = hydra_dir = Path(hydra_cfg.runtime.output_dir)
    try:
        config = to_run_config(cfg)
        check_sweep_job(config)
        if config.resume is None:
            return config, run_dir, math.nan, None
        plan = plan_resume(config.resume, command_line_values(cfg, hydra_cfg.overrides.task))
        if plan.finished:
            remove_unstarted(hydra_dir)
            print(f"{plan.run_dir} already finished; nothing to do", file=sys.stderr)
            final = final_eval(read_summary(plan.run_dir / "summary.json"))
            return None, plan.run_dir, final, None
        print(f"resuming {plan.run_dir} from {plan.checkpoint.name}", file=sys.stderr)
        step = int(read_checkpoint_state(plan.checkpoint)["train"]["step"])
        return plan.config, plan.run_dir, math.nan, step
    except ConfigError as error:
        write_raw_params(cfg, run_dir)
        return None, run_dir, fail(run_dir, f"error: {error}", multirun=True), None
    except Exception as error:
        message = f"error: {type(error).__name__}: {error}"
        return None, run_dir, fail(run_dir, message, multirun=True), None


def refuse_shared_run_dirs(jobs: list[Job]) -> None:
    """Two jobs resuming the same run would train into one folder at once: the later is failed
    (recorded in its own sweep folder, never in the resumed run)."""
    claimed: dict[Path, int] = {}
    for job in jobs:
        if job.run_config is None:
            continue
        if job.run_dir in claimed:
            own = Path(str(job.config.hydra.runtime.output_dir))
            message = f"error: {job.run_dir} is already trained by job {claimed[job.run_dir]}"
            job.run_config, job.value = None, fail(own, message, multirun=True)
            job.job_return.return_value = job.value
        claimed.setdefault(job.run_dir, job.num)


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
