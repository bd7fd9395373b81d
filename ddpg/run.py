"""Hydra entry point: compose -> validate -> build -> train; returns the final eval mean.

    python -m ddpg.run [group=option ...] [key=value ...]
    python -m ddpg.run -m agent.tau=0.001,0.005 seed=0,1,2
    python -m ddpg.run resume=outputs/runs/<run>       # continue from its newest checkpoint
    python -m ddpg.run resume=outputs/runs/<run> trainer.total_steps=40000   # train it further
    python -m ddpg.run pbt_schedule=<study>/member00/schedule.json seed=7   # replay a PBT schedule

A bad value ends a single run with one line naming the key (exit code 2) and leaves no run
folder behind; a traceback, if any, goes to <run_dir>/error.log. Every run that started training
gets a summary.json saying how it ended and ends with a closing block on the terminal
(ddpg.launch.console); in a sweep a failed job keeps its folder (status failed) and the other jobs
go on. A resume writes Hydra's record of itself into the run's own `.hydra/resume_<time>/`; resuming
a finished run without raising its budget changes nothing and says so.

A single run trains in this process. In a sweep (any launcher) each job trains in a fresh child
process (:func:`ddpg.launch.sweep.train_in_child`), so nothing of one job (XLA's memory mappings,
Keras state, writers, seeds) reaches the next, and this process never imports TensorFlow.
"""

from __future__ import annotations

import dataclasses
import itertools
import math
import sys
from pathlib import Path

import hydra
import numpy as np
from hydra.core.hydra_config import HydraConfig
from hydra.types import RunMode
from omegaconf import DictConfig, OmegaConf

import ddpg.algo.tf_startup  # noqa: F401  # notes whether the user set TF_CPP_MIN_LOG_LEVEL
from ddpg.config.schema import ConfigError, PopulationConfig, RunConfig
from ddpg.launch.console import interrupted_line, run_report, sweep_report
from ddpg.launch.hydra_errors import one_line_errors
from ddpg.launch.job import read_summary, train_population, train_run
from ddpg.launch.job_names import job_dirname  # noqa: F401  # registers the job-folder resolver
from ddpg.launch.job_outcome import (
    UNSUCCESSFUL,
    check_sweep_job,
    command_line_values,
    fail,
    final_eval,
    job_value,
    to_run_config,
    write_raw_params,
)
from ddpg.launch.memory import check_memory
from ddpg.launch.population_task import mark_population_task
from ddpg.launch.resume import nothing_to_do, plan_resumes, resume_populations
from ddpg.launch.resume_plan import ResumePlan
from ddpg.launch.run_folders import hydra_run_dir, remove_unstarted
from ddpg.launch.schedule_replay import ScheduleReplay, plan_replay
from ddpg.launch.sweep import train_in_child, train_population_in_child

__all__ = ["cli", "hydra_run_dir", "main", "to_run_config"]

OmegaConf.register_new_resolver("ddpg_run_dir", hydra_run_dir, replace=True)


@mark_population_task
def main(cfg: DictConfig) -> float:
    """Run one job and return its final eval mean (the objective for sweepers)."""
    hydra_cfg = HydraConfig.get()
    run_dir = hydra_dir = Path(hydra_cfg.runtime.output_dir)
    multirun = hydra_cfg.mode == RunMode.MULTIRUN
    # What resume= continues after Ctrl-C: this run's folder, or every job of the sweep.
    resume_with = Path(hydra_cfg.sweep.dir) if multirun else None
    try:
        config = to_run_config(cfg)
        if not multirun:  # quietly, before a resume's checkpoint code imports it
            ddpg.algo.tf_startup.import_tensorflow()
            if config.resume is None:  # a size the machine cannot hold stops here, in one line
                check_memory(config)
        if multirun:
            check_sweep_job(config)
        replay = None
        if config.pbt_schedule is not None:  # trains its step-0 config, switching later
            config, replay = plan_replay(config, list(hydra_cfg.overrides.task))
        if config.resume is not None:  # continue that run with its own saved config
            changes = command_line_values(cfg, hydra_cfg.overrides.task)
            plans = plan_resumes(config.resume, changes)
            if all(plan.finished for plan in plans):
                remove_unstarted(hydra_dir)  # changes nothing, not even Hydra's record
                where = Path(config.resume) if len(plans) > 1 else plans[0].run_dir
                print(nothing_to_do(where, plans))
                return final_eval(read_summary(plans[0].run_dir / "summary.json"))
            if len(plans) > 1:  # a population's or a sweep's folder
                if multirun:
                    return _resume_folder_in_children(Path(config.resume), plans, hydra_dir)
                return _resume_population_here(Path(config.resume), plans)
            config, run_dir = plans[0].config, plans[0].run_dir
            print(f"resuming {run_dir} from {plans[0].checkpoint.name}", file=sys.stderr)
        if config.population.size > 1:
            return _train_population_here(config, run_dir)
        if multirun:
            summary = train_in_child(config, run_dir)
        else:
            summary = _train_here(config, run_dir, replay)
    except KeyboardInterrupt:  # the job recorded "interrupted"; stop without a traceback
        stopped = run_dir if resume_with is None or multirun else resume_with
        print(interrupted_line(stopped, resume_with), file=sys.stderr)
        raise SystemExit(130) from None
    except ConfigError as error:
        if multirun:  # the sweep keeps the record of its rejected job
            write_raw_params(cfg, run_dir)
        else:  # a single run that never started leaves nothing behind
            remove_unstarted(hydra_dir)
        return fail(run_dir, f"error: {error}", multirun, record=multirun)
    except Exception as error:
        return fail(
            run_dir,
            f"error: {type(error).__name__}: {error} (see {run_dir / 'error.log'})",
            multirun,
        )
    if not multirun:
        print(run_report(run_dir, summary), flush=True)
    return job_value(run_dir, summary, multirun)


def _train_here(config: RunConfig, run_dir: Path, replay: ScheduleReplay | None = None) -> dict:
    """Train in this process (switching hyperparameters as `replay` says), then log the final
    metrics for TensorBoard's HParams table."""
    from ddpg.storage.metrics import (
        write_final_metrics,  # imports TensorFlow; sweeps never get here
    )

    if replay is None:
        summary = train_run(config, run_dir)
    else:
        replay.write(run_dir)
        summary = train_population([config], [run_dir], exploit=replay.exploit)[0]
    write_final_metrics(run_dir, summary, config.trainer.total_steps)
    return summary


def _population_members(config: RunConfig) -> list[RunConfig]:
    """`population.size=N`: the runs of seeds seed .. seed+N-1, each a run of its own."""
    return [
        dataclasses.replace(config, seed=config.seed + i, population=PopulationConfig())
        for i in range(config.population.size)
    ]


def _train_population_here(config: RunConfig, run_dir: Path) -> float:
    """Train `population.size` seeds together, one folder each; the mean final eval."""
    members = _population_members(config)
    dirs = [run_dir / f"seed{member.seed}" for member in members]
    return _report_population(run_dir, train_population(members, dirs), dirs, members)


def _resume_population_here(folder: Path, plans: list[ResumePlan]) -> float:
    todo = [plan for plan in plans if not plan.finished]
    print(f"resuming {len(todo)} runs in {folder}", file=sys.stderr)
    summaries = resume_populations(plans, max_members=64)
    dirs, configs = [plan.run_dir for plan in todo], [plan.config for plan in todo]
    return _report_population(folder, summaries, dirs, configs)


def _resume_folder_in_children(folder: Path, plans: list[ResumePlan], hydra_dir: Path) -> float:
    """A sweep job's resume of a folder: each population in a child of its own (its log in the
    job's folder), as any sweep job trains; the mean final eval of the runs it trained."""
    todo = [plan for plan in plans if not plan.finished]
    print(f"resuming {len(todo)} runs in {folder}", file=sys.stderr)
    logs = itertools.count()

    def train(configs: list[RunConfig], run_dirs: list[Path]) -> list[dict]:
        log = hydra_dir / f"population_{next(logs)}.log"
        return train_population_in_child(configs, run_dirs, log)

    summaries = resume_populations(plans, max_members=64, train=train)
    values = [job_value(p.run_dir, s) for p, s in zip(todo, summaries, strict=True)]
    finite = [value for value in values if not math.isnan(value)]
    return sum(finite) / len(finite) if finite else math.nan


def _report_population(
    folder: Path, summaries: list[dict], dirs: list[Path], configs: list[RunConfig]
) -> float:
    """Final HParams metrics per member, the sweep-style closing block, the mean final eval."""
    from ddpg.storage.metrics import write_final_metrics

    for run_dir, summary, config in zip(dirs, summaries, configs, strict=True):
        write_final_metrics(run_dir, summary, config.trainer.total_steps)
    print(sweep_report(folder, "Population"), flush=True)
    finals = [final_eval(s) for s in summaries]
    failed = [s for s in summaries if s["status"] in UNSUCCESSFUL]
    if len(failed) == len(summaries):
        return fail(folder, f"error: {failed[0]['error']}", False, record=False)
    return float(np.nanmean(finals)) if not all(math.isnan(f) for f in finals) else math.nan


def cli() -> None:
    """`python -m ddpg.run`: Hydra composes the config and calls :func:`main` per job.

    hydra.main is applied here, not as a decorator, because it sets Hydra's version base for
    the whole process as it decorates: importing this module must change no Hydra state.
    """
    with one_line_errors():  # Hydra's own errors (a group typo, a launcher setting): one line
        hydra.main(config_path="../conf", config_name="config", version_base="1.3")(main)()


if __name__ == "__main__":
    cli()
