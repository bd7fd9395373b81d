"""Hydra entry point: compose -> validate -> build -> train; returns the final eval mean.

    python -m ddpg.run [group=option ...] [key=value ...]
    python -m ddpg.run -m agent.tau=0.001,0.005 seed=0,1,2
    python -m ddpg.run resume=outputs/runs/<run>       # continue from its newest checkpoint
    python -m ddpg.run resume=outputs/runs/<run> trainer.total_steps=40000   # train it further

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
import math
import shutil
import sys
from pathlib import Path
from typing import Any

import hydra
import numpy as np
from hydra.core.hydra_config import HydraConfig
from hydra.core.override_parser.overrides_parser import OverridesParser
from hydra.types import RunMode
from omegaconf import DictConfig, OmegaConf
from omegaconf.errors import OmegaConfBaseException

import ddpg.algo.tf_startup  # noqa: F401  # notes whether the user set TF_CPP_MIN_LOG_LEVEL
from ddpg.config.schema import ConfigError, PopulationConfig, RunConfig, flatten, from_mapping
from ddpg.launch.console import run_report, sweep_report
from ddpg.launch.hydra_errors import omegaconf_line, one_line_errors
from ddpg.launch.job import ResumePlan, read_summary, train_population, train_run
from ddpg.launch.job_names import job_dirname  # noqa: F401  # registers the job-folder resolver
from ddpg.launch.memory import check_memory
from ddpg.launch.resume import nothing_to_do, plan_resumes, resume_populations
from ddpg.launch.sweep import train_in_child
from ddpg.storage.files import write_json_atomic


def _resumed_run_dir(resume: str) -> Path | None:
    """The folder that `resume=<run_dir, checkpoint or population/sweep folder>` names, if any."""
    path = Path(resume)
    if (path / "manifest.json").is_file():
        path = path.parent.parent
    if (path / "checkpoints").is_dir() or any(path.glob("*/checkpoints")):
        return path
    return None


def hydra_run_dir(resume: str | None, now: str, env_name: str, seed: Any, size: Any = 1) -> str:
    """Where Hydra puts a single run: a new run folder (a population's holds one per member);
    for `resume=`, a folder for Hydra's record of the resume inside the resumed folder's .hydra
    (training continues in the run folders).

    A seed or size that is not an integer still names a folder, so that the run's validation,
    not Hydra, reports it (with the key's name).
    """
    if resume is None:
        counted = isinstance(seed, int) and isinstance(size, int) and size > 1
        seeds = f"{seed}-{seed + size - 1}" if counted else f"{seed}"
        path = f"outputs/runs/{now}_{env_name}_seed{seeds}"
    else:
        run_dir = _resumed_run_dir(resume)
        path = (
            str(run_dir / ".hydra" / f"resume_{now}") if run_dir else f"outputs/runs/{now}_resume"
        )
    _note_new_folders(Path(path))
    return path


#: Hydra's run folder (absolute) -> the outermost of its folders that did not exist before Hydra
#: made it, so that a run that never starts removes what Hydra made for it and nothing else.
_NEW_FOLDERS: dict[Path, Path] = {}


def _note_new_folders(path: Path) -> None:
    """Note, at the first resolution of the run folder (before Hydra makes it), which of its
    folders are new."""
    path = path.absolute()
    if path in _NEW_FOLDERS or path.exists():
        return
    outermost = path
    while not outermost.parent.exists():
        outermost = outermost.parent
    _NEW_FOLDERS[path] = outermost


OmegaConf.register_new_resolver("ddpg_run_dir", hydra_run_dir, replace=True)


def to_run_config(cfg: DictConfig) -> RunConfig:
    """Resolve the composed config and convert it to validated dataclasses."""
    return from_mapping(RunConfig, _resolved(cfg))


def _resolved(cfg: DictConfig) -> dict[str, Any]:
    """The composed config without Hydra's node, resolved to plain containers."""
    try:
        container = OmegaConf.to_container(cfg, resolve=True)
    except OmegaConfBaseException as error:
        raise ConfigError(omegaconf_line(error)) from None
    assert isinstance(container, dict)
    container.pop("hydra", None)
    return {str(key): value for key, value in container.items()}


@hydra.main(config_path="../conf", config_name="config", version_base="1.3")
def main(cfg: DictConfig) -> float:
    """Run one job and return its final eval mean (the objective for sweepers)."""
    hydra_cfg = HydraConfig.get()
    run_dir = hydra_dir = Path(hydra_cfg.runtime.output_dir)
    multirun = hydra_cfg.mode == RunMode.MULTIRUN
    try:
        config = to_run_config(cfg)
        if not multirun:  # quietly, before a resume's checkpoint code imports it
            ddpg.algo.tf_startup.import_tensorflow()
            if config.resume is None:  # a size the machine cannot hold stops here, in one line
                check_memory(config)
        if config.population.size > 1 and multirun:
            raise ConfigError(
                "population.size applies to single runs: in a sweep, sweep seed=... and use "
                "hydra/launcher=population"
            )
        if config.resume is not None:  # continue that run with its own saved config
            changes = _command_line_values(cfg, hydra_cfg.overrides.task)
            plans = plan_resumes(config.resume, changes)
            if all(plan.finished for plan in plans):
                _remove_unstarted(hydra_dir)  # changes nothing, not even Hydra's record
                where = Path(config.resume) if len(plans) > 1 else plans[0].run_dir
                print(nothing_to_do(where, plans))
                return _final_eval(read_summary(plans[0].run_dir / "summary.json"))
            if len(plans) > 1 and not multirun:
                return _resume_population_here(Path(config.resume), plans)
            config, run_dir = plans[0].config, plans[0].run_dir
            print(f"resuming {run_dir} from {plans[0].checkpoint.name}", file=sys.stderr)
        if config.population.size > 1:
            return _train_population_here(config, run_dir)
        summary = train_in_child(config, run_dir) if multirun else _train_here(config, run_dir)
    except KeyboardInterrupt:  # the job recorded "interrupted"; stop without a traceback
        print(f"interrupted: {run_dir}", file=sys.stderr)
        raise SystemExit(130) from None
    except ConfigError as error:
        if multirun:  # the sweep keeps the record of its rejected job
            _write_raw_params(cfg, run_dir)
        else:  # a single run that never started leaves nothing behind
            _remove_unstarted(hydra_dir)
        return _fail(run_dir, f"error: {error}", multirun, record=multirun)
    except Exception as error:
        return _fail(
            run_dir,
            f"error: {type(error).__name__}: {error} (see {run_dir / 'error.log'})",
            multirun,
        )
    if not multirun:
        print(run_report(run_dir, summary), flush=True)
    if summary["status"] in ("diverged", "failed", "interrupted"):
        see = " (see error.log)" if (run_dir / "error.log").exists() else ""
        return _fail(run_dir, f"error: {summary['error']}{see}", multirun)
    return _final_eval(summary)


def _final_eval(summary: dict[str, Any]) -> float:
    final = summary.get("final_eval_return")
    return float(final) if final is not None else math.nan


def _command_line_values(cfg: DictConfig, task_overrides: Any) -> dict[str, Any]:
    """Each key the command line set (other than resume and hydra.*) -> its composed value."""
    resolved = OmegaConf.create(_resolved(cfg))
    values: dict[str, Any] = {}
    for override in OverridesParser.create().parse_overrides(list(task_overrides)):
        key = override.key_or_group
        if key == "resume" or key.startswith(("hydra.", "hydra/")):
            continue
        value = OmegaConf.select(resolved, key)
        # A group option (env=mountaincar) is named as given, not as the group's whole content.
        values[key] = override.value() if isinstance(value, DictConfig) else value
    return values


def _remove_unstarted(hydra_dir: Path) -> None:
    """Remove what Hydra made for a run that never started: its record, then the folder if
    nothing else is in it, then the empty folders Hydra made above it (`outputs/runs/` on a
    first run; never another run's files, never a folder that was there before)."""
    shutil.rmtree(hydra_dir / ".hydra", ignore_errors=True)
    outermost = _NEW_FOLDERS.get(hydra_dir.absolute(), hydra_dir.absolute())
    folder = hydra_dir.absolute()
    while folder == outermost or outermost in folder.parents:
        try:
            folder.rmdir()  # only when empty
        except OSError:
            return
        folder = folder.parent


def _train_here(config: RunConfig, run_dir: Path) -> dict:
    """Train in this process, then log the final metrics for TensorBoard's HParams table."""
    from ddpg.storage.metrics import (
        write_final_metrics,  # imports TensorFlow; sweeps never get here
    )

    summary = train_run(config, run_dir)
    write_final_metrics(run_dir, summary)
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
    return _report_population(run_dir, train_population(members, dirs), dirs)


def _resume_population_here(folder: Path, plans: list[ResumePlan]) -> float:
    todo = [plan for plan in plans if not plan.finished]
    print(f"resuming {len(todo)} runs in {folder}", file=sys.stderr)
    summaries = resume_populations(plans, max_members=64)
    return _report_population(folder, summaries, [plan.run_dir for plan in todo])


def _report_population(folder: Path, summaries: list[dict], dirs: list[Path]) -> float:
    """Final HParams metrics per member, the sweep-style closing block, the mean final eval."""
    from ddpg.storage.metrics import write_final_metrics

    for run_dir, summary in zip(dirs, summaries, strict=True):
        write_final_metrics(run_dir, summary)
    print(sweep_report(folder, "Population"), flush=True)
    finals = [_final_eval(s) for s in summaries]
    failed = [s for s in summaries if s["status"] in ("diverged", "failed", "interrupted")]
    if len(failed) == len(summaries):
        return _fail(folder, f"error: {failed[0]['error']}", False, record=False)
    return float(np.nanmean(finals)) if not all(math.isnan(f) for f in finals) else math.nan


def _write_raw_params(cfg: DictConfig, run_dir: Path) -> None:
    """Write the unvalidated config as params.json, so compare can place a rejected job."""
    if (run_dir / "params.json").exists():
        return
    try:
        params = flatten(_resolved(cfg))
    except ConfigError:
        return  # unresolvable: summary.json alone records the job
    run_dir.mkdir(parents=True, exist_ok=True)
    write_json_atomic(run_dir / "params.json", params)


def _fail(run_dir: Path, message: str, multirun: bool, record: bool = True) -> float:
    """Record a failure (unless the job already did), print one line, exit 2 outside sweeps."""
    summary_path = run_dir / "summary.json"
    if record and read_summary(summary_path).get("status") not in (
        "failed",
        "diverged",
        "interrupted",
    ):
        write_json_atomic(
            summary_path, {"status": "failed", "error": message.removeprefix("error: ")}
        )
    if multirun:  # name the job: in a parallel sweep the launcher's log lines are interleaved
        message = message.replace("error: ", f"error: job {run_dir.name}: ", 1)
    print(message, file=sys.stderr)
    if multirun:
        return math.nan
    sys.exit(2)


if __name__ == "__main__":
    with one_line_errors():  # Hydra's own errors (a group typo, a launcher setting): one line
        main()
