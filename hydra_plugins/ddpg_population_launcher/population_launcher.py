"""The population launcher: a sweep's jobs that share every shape train together as populations.

    python -m ddpg.run -m hydra/launcher=population agent.tau=0.001,0.005 seed=0,1,2

Only ddpg.run's jobs train as populations (its task function carries the mark of
ddpg.launch.population_task). Any other app's jobs run as Hydra's BasicLauncher runs them: its
own task function, one job after the other, a FAILED JobReturn holding what it raised.

Each ddpg job is set up as Hydra's run_job sets it up (its sweep folder via hydra.sweep.subdir,
the .hydra/ record, its overrides) and validated to a RunConfig as ddpg.run validates a sweep's
job (population.size is refused there too); a rejected job is recorded "failed" (summary.json,
params.json), gets its callbacks at once and joins no population. The rest are grouped by
ddpg.population.keys.group_jobs (with hydra.job.env_set as one more key that must be equal: one
process has one environment) into populations of at most `max_members`, and each population
trains in one fresh process (ddpg.launch.job.train_population via ddpg.launch.sweep) on this
machine, `n_workers` at once, or as one SLURM array task each. Every member writes its own run
folder, so compare, TensorBoard and the sweep's HParams table see ordinary jobs.

Hydra's callbacks of a job that trains are deferred: setting it up runs with none, and
on_job_start/on_job_end run around its population's training (with the job's HydraConfig and
env_set, as run_job has them), so the HParams callback finds each job's tb/. The job's value is
its final eval (NaN when there is none, or when it failed, diverged or was interrupted, as
ddpg.run returns it) and its status COMPLETED, as with every other launcher: a FAILED JobReturn
would make Hydra's sweeper re-raise after the batch, ending the sweep without its report.

One log per population: <sweep dir>/populations/<first member's job number>.log, starting with
a line naming its members' folders; beside it the child keeps its progress (<n>.progress.json),
which the launcher draws while it waits (ddpg.launch.sweep_progress: one bar per running
population, or a line now and then where the output is not a terminal), after printing each
log's path once. A population whose process is killed (SIGKILL, the OOM
killer) leaves its unfinished members "interrupted", which `resume=<sweep>` continues; so does
Ctrl-C, whose line gives that command.
"""

from __future__ import annotations

import logging
import math
import sys
from collections.abc import Sequence
from pathlib import Path
from typing import Any

from hydra._internal.callbacks import Callbacks
from hydra.core.utils import JobReturn, configure_log, setup_globals
from hydra.plugins.launcher import Launcher
from hydra.types import HydraContext, TaskFunction
from omegaconf import DictConfig, OmegaConf

# ddpg and the helpers (_jobs, _backends) are imported when a sweep launches: Hydra imports
# this module at every start-up (its plugin scan), and runs it before registering it, which a
# dataclass here would not survive.
log = logging.getLogger(__name__)
BACKENDS = ("local", "slurm")


class PopulationLauncher(Launcher):
    """Launches a sweep's jobs as populations (options: population.yaml beside this file)."""

    def __init__(
        self,
        max_members: int = 64,
        n_workers: int = 1,
        backend: str = "local",
        slurm: Any = None,
    ) -> None:
        for key, value in (("max_members", max_members), ("n_workers", n_workers)):
            if not isinstance(value, int) or value < 1:
                raise ValueError(
                    f"hydra.launcher.{key}={value!r} is invalid: expected an integer >= 1"
                )
        if backend not in BACKENDS:
            raise ValueError(f"hydra.launcher.backend={backend!r} is invalid: expected local|slurm")
        self.max_members, self.n_workers, self.backend = max_members, n_workers, backend
        if OmegaConf.is_config(slurm):
            slurm = OmegaConf.to_container(slurm, resolve=True)
        self.slurm: dict[str, Any] = dict(slurm or {})
        self.config: DictConfig | None = None
        self.hydra_context: HydraContext | None = None
        self.task_function: TaskFunction | None = None

    def setup(
        self, *, hydra_context: HydraContext, task_function: TaskFunction, config: DictConfig
    ) -> None:
        self.config, self.hydra_context, self.task_function = config, hydra_context, task_function

    def launch(
        self, job_overrides: Sequence[Sequence[str]], initial_job_idx: int
    ) -> Sequence[JobReturn]:
        """ddpg.run's jobs: set up every job, train the valid ones as populations, return one
        JobReturn per job in the order given. Any other app's: as Hydra's basic launcher."""
        from ddpg.launch.population_task import is_population_task

        if not is_population_task(self.task_function):
            return self._launch_basic(job_overrides, initial_job_idx)
        return self._launch_populations(job_overrides, initial_job_idx)

    def _launch_basic(
        self, job_overrides: Sequence[Sequence[str]], initial_job_idx: int
    ) -> Sequence[JobReturn]:
        """Each job runs its own task function here, one after the other (Hydra's BasicLauncher:
        its callbacks, env_set, and a FAILED JobReturn holding the exception it raised)."""
        from hydra._internal.core_plugins.basic_launcher import BasicLauncher

        assert self.config is not None and self.hydra_context is not None
        assert self.task_function is not None
        basic = BasicLauncher()
        basic.setup(
            hydra_context=self.hydra_context, task_function=self.task_function, config=self.config
        )
        return basic.launch(job_overrides, initial_job_idx)

    def _launch_populations(
        self, job_overrides: Sequence[Sequence[str]], initial_job_idx: int
    ) -> Sequence[JobReturn]:
        from ddpg.launch.console import interrupted_line
        from ddpg.launch.sweep_progress import SweepProgress
        from ddpg.population.keys import group_jobs

        from ._backends import Population, train_local, train_slurm
        from ._jobs import callbacks_of, refuse_shared_run_dirs, set_up, step_back

        assert self.config is not None and self.hydra_context is not None
        task_function = self.task_function
        assert task_function is not None
        setup_globals()
        configure_log(self.config.hydra.hydra_logging, self.config.hydra.verbose)
        sweep_dir = Path(str(self.config.hydra.sweep.dir))
        sweep_dir.mkdir(parents=True, exist_ok=True)
        jobs = [
            set_up(self.hydra_context, self.config, initial_job_idx + i, overrides)
            for i, overrides in enumerate(job_overrides)
        ]
        configure_log(self.config.hydra.hydra_logging, self.config.hydra.verbose)
        refuse_shared_run_dirs(jobs)
        step_back(jobs)
        for job in jobs:  # a rejected job's callbacks, as any launcher would call them
            if not job.members:
                with callbacks_of(job):
                    self._callbacks.on_job_start(config=job.config, task_function=task_function)
                    self._callbacks.on_job_end(config=job.config, job_return=job.job_return)
        # A job that resumes a folder of runs has several members, maybe in several populations.
        trainable = [(job, member) for job in jobs for member in job.members]
        max_members = self.max_members
        if self.backend == "local" and self.n_workers > 1 and trainable:
            # Every worker gets a population: a group is split rather than a core left idle.
            max_members = min(max_members, math.ceil(len(trainable) / self.n_workers))
        grouping = group_jobs([job.grouping_params(m) for job, m in trainable], max_members)
        groups = [[trainable[i] for i in group] for group in grouping]
        populations: list[Population] = []
        logs: dict[int, int] = {}  # job number -> populations it leads so far
        for members in groups:
            num = members[0][0].num
            logs[num] = logs.get(num, -1) + 1  # a job resuming a folder can lead several
            name = f"{num}_{logs[num]}" if logs[num] else f"{num}"
            populations.append(
                Population(
                    [member.run_config for _, member in members],
                    [member.run_dir for _, member in members],
                    sweep_dir / "populations" / f"{name}.log",
                    members[0][0].env_set,  # equal within a population: it is a grouping key
                )
            )
        log.info(
            f"Launching {len(jobs)} jobs as {len(groups)} populations "
            f"(at most {self.max_members} members, backend {self.backend})"
        )
        for members in groups:
            log.info(f"\t#{', '.join(str(job.num) for job, _ in members)}")
        started: set[int] = set()

        progress = SweepProgress()

        def on_start(index: int) -> None:
            p = populations[index]
            with progress.writing():
                progress.started(
                    index, f"population {index}", len(p.run_dirs), p.log_path, p.status_path
                )
                for job, _ in groups[index]:
                    if job.num not in started:
                        started.add(job.num)
                        with callbacks_of(job):
                            self._callbacks.on_job_start(
                                config=job.config, task_function=task_function
                            )

        def on_end(index: int, summaries: list[dict[str, Any]]) -> None:
            with progress.writing():
                progress.ended(index, summaries)
                for (_, member), summary in zip(groups[index], summaries, strict=True):
                    member.summary = summary
                for job in {job.num: job for job, _ in groups[index]}.values():
                    if job.ended:  # its last population: every run of it has ended
                        job.value = job.end_value()
                        job.job_return.return_value = job.value
                        with callbacks_of(job):
                            self._callbacks.on_job_end(config=job.config, job_return=job.job_return)

        try:
            if self.backend == "slurm":
                settings = self._slurm_settings()
                train_slurm(populations, settings, on_start, on_end, wait=progress.wait)
            else:
                train_local(populations, self.n_workers, on_start, on_end, progress.wait)
        except KeyboardInterrupt:  # the members recorded "interrupted"; no traceback
            progress.close()
            print(interrupted_line(sweep_dir), file=sys.stderr)
            raise SystemExit(130) from None
        finally:
            progress.close()
        for job in jobs:
            job.job_return.return_value = job.value
        return [job.job_return for job in jobs]

    @property
    def _callbacks(self) -> Callbacks:
        assert self.hydra_context is not None
        return self.hydra_context.callbacks

    def _slurm_settings(self) -> dict[str, Any]:
        settings = dict(self.slurm)
        assert self.config is not None
        settings.setdefault("submitit_folder", f"{self.config.hydra.sweep.dir}/.submitit/%j")
        return settings
