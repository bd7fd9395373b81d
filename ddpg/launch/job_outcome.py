"""A job's config read and its end reported, the same way by ddpg.run and by the population
launcher: validation to a RunConfig, the failure record and its one line, the returned value."""

from __future__ import annotations

import math
import sys
from pathlib import Path
from typing import Any

from hydra.core.override_parser.overrides_parser import OverridesParser
from omegaconf import DictConfig, OmegaConf
from omegaconf.errors import OmegaConfBaseException

from ddpg.config.schema import ConfigError, RunConfig, flatten, from_mapping
from ddpg.launch.hydra_errors import omegaconf_line
from ddpg.launch.job import read_summary
from ddpg.storage.files import write_json_atomic

#: Statuses after which a job's value is NaN and its error line is printed.
UNSUCCESSFUL = ("diverged", "failed", "interrupted")


def to_run_config(cfg: DictConfig) -> RunConfig:
    """Resolve the composed config and convert it to validated dataclasses."""
    return from_mapping(RunConfig, resolved(cfg))


def check_sweep_job(config: RunConfig) -> None:
    """What a sweep's job may not ask for, whichever launcher runs it."""
    if config.population.size > 1:
        raise ConfigError(
            "population.size applies to single runs: in a sweep, sweep seed=... and use "
            "hydra/launcher=population"
        )
    if config.pbt_schedule is not None:
        raise ConfigError("pbt_schedule replays one run: give each seed a command of its own")


def resolved(cfg: DictConfig) -> dict[str, Any]:
    """The composed config without Hydra's node, resolved to plain containers."""
    try:
        container = OmegaConf.to_container(cfg, resolve=True)
    except OmegaConfBaseException as error:
        raise ConfigError(omegaconf_line(error)) from None
    assert isinstance(container, dict)
    container.pop("hydra", None)
    return {str(key): value for key, value in container.items()}


def command_line_values(cfg: DictConfig, task_overrides: Any) -> dict[str, Any]:
    """Each key the command line set (other than resume and hydra.*) -> its composed value."""
    values_of = OmegaConf.create(resolved(cfg))
    values: dict[str, Any] = {}
    for override in OverridesParser.create().parse_overrides(list(task_overrides)):
        key = override.key_or_group
        if key == "resume" or key.startswith(("hydra.", "hydra/")):
            continue
        value = OmegaConf.select(values_of, key)
        # A group option (env=mountaincar) is named as given, not as the group's whole content.
        values[key] = override.value() if isinstance(value, DictConfig) else value
    return values


def final_eval(summary: dict[str, Any]) -> float:
    """The job's value: its final eval mean, NaN when there is none."""
    final = summary.get("final_eval_return")
    return float(final) if final is not None else math.nan


def write_raw_params(cfg: DictConfig, run_dir: Path) -> None:
    """Write the unvalidated config as params.json, so compare can place a rejected job."""
    if (run_dir / "params.json").exists():
        return
    try:
        params = flatten(resolved(cfg))
    except ConfigError:
        return  # unresolvable: summary.json alone records the job
    run_dir.mkdir(parents=True, exist_ok=True)
    write_json_atomic(run_dir / "params.json", params)


def fail(run_dir: Path, message: str, multirun: bool, record: bool = True) -> float:
    """Record a failure (unless the job already did), print one line, exit 2 outside sweeps."""
    summary_path = run_dir / "summary.json"
    if record and read_summary(summary_path).get("status") not in UNSUCCESSFUL:
        write_json_atomic(
            summary_path, {"status": "failed", "error": message.removeprefix("error: ")}
        )
    if multirun:  # name the job: in a parallel sweep the launcher's log lines are interleaved
        message = message.replace("error: ", f"error: job {run_dir.name}: ", 1)
    print(message, file=sys.stderr)
    if multirun:
        return math.nan
    sys.exit(2)


def job_value(run_dir: Path, summary: dict[str, Any], multirun: bool = True) -> float:
    """A trained job's value; a job that did not succeed prints its line (and is NaN)."""
    if summary.get("status") in UNSUCCESSFUL:
        see = " (see error.log)" if (run_dir / "error.log").exists() else ""
        return fail(run_dir, f"error: {summary.get('error')}{see}", multirun)
    return final_eval(summary)
