"""Hydra entry point: compose -> validate -> build -> train; returns the final eval mean.

    python -m ddpg.run [group=option ...] [key=value ...]
    python -m ddpg.run -m agent.tau=0.001,0.005 seed=0,1,2
    python -m ddpg.run resume=outputs/runs/<run>       # continue from its newest checkpoint

A bad value ends the run with one line naming the key (exit code 2); a traceback, if any, goes
to <run_dir>/error.log. Every run directory gets a summary.json saying how it ended; in a sweep
a failed job is recorded and the other jobs go on.

A single run trains in this process. In a sweep (any launcher) each job trains in a fresh child
process (:func:`ddpg.sweep.train_in_child`), so nothing of one job (XLA's memory mappings, Keras
state, writers, seeds) reaches the next, and this process never imports TensorFlow.
"""

from __future__ import annotations

import json
import math
import os
import sys
from pathlib import Path
from typing import Any

os.environ.setdefault("TF_CPP_MIN_LOG_LEVEL", "2")  # keep TF's C++ start-up chatter quiet

import hydra
from hydra.core.hydra_config import HydraConfig
from hydra.types import RunMode
from omegaconf import DictConfig, OmegaConf
from omegaconf.errors import OmegaConfBaseException

from ddpg.config import ConfigError, RunConfig, flatten, from_mapping
from ddpg.files import write_json_atomic
from ddpg.job import resume_target, train_run
from ddpg.sweep import train_in_child


def hydra_run_dir(resume: str | None, now: str, env_name: str, seed: int) -> str:
    """Where Hydra puts a single run: a new run folder, or for `resume=` a log folder of its own
    (training then continues in the resumed run's directory)."""
    if resume is None:
        return f"outputs/runs/{now}_{env_name}_seed{seed}"
    return f"outputs/resumes/{now}"


OmegaConf.register_new_resolver("ddpg_run_dir", hydra_run_dir, replace=True)


def to_run_config(cfg: DictConfig) -> RunConfig:
    """Resolve the composed config and convert it to validated dataclasses."""
    return from_mapping(RunConfig, _resolved(cfg))


def _resolved(cfg: DictConfig) -> dict[str, Any]:
    """The composed config without Hydra's node, resolved to plain containers."""
    try:
        container = OmegaConf.to_container(cfg, resolve=True)
    except OmegaConfBaseException as error:
        raise ConfigError(str(error).splitlines()[0]) from None
    assert isinstance(container, dict)
    container.pop("hydra", None)
    return {str(key): value for key, value in container.items()}


@hydra.main(config_path="../conf", config_name="config", version_base="1.3")
def main(cfg: DictConfig) -> float:
    """Run one job and return its final eval mean (the objective for sweepers)."""
    hydra_cfg = HydraConfig.get()
    run_dir = Path(hydra_cfg.runtime.output_dir)
    multirun = hydra_cfg.mode == RunMode.MULTIRUN
    try:
        config = to_run_config(cfg)
        if config.resume is not None:  # continue that run with its own saved config
            config, run_dir, checkpoint = resume_target(config.resume)
            print(f"resuming {run_dir} from {checkpoint.name}", file=sys.stderr)
        summary = train_in_child(config, run_dir) if multirun else _train_here(config, run_dir)
    except KeyboardInterrupt:  # the job recorded "interrupted"; stop without a traceback
        print(f"interrupted: {run_dir}", file=sys.stderr)
        raise SystemExit(130) from None
    except ConfigError as error:
        _write_raw_params(cfg, run_dir)
        return _fail(run_dir, f"error: {error}", multirun)
    except Exception as error:
        return _fail(
            run_dir,
            f"error: {type(error).__name__}: {error} (see {run_dir / 'error.log'})",
            multirun,
        )
    if summary["status"] in ("diverged", "failed", "interrupted"):
        see = " (see error.log)" if (run_dir / "error.log").exists() else ""
        return _fail(run_dir, f"error: {summary['error']}{see}", multirun)
    final = summary["final_eval_return"]
    return float(final) if final is not None else math.nan


def _train_here(config: RunConfig, run_dir: Path) -> dict:
    """Train in this process, then log the final metrics for TensorBoard's HParams table."""
    from ddpg.metrics import write_final_metrics  # imports TensorFlow; sweeps never get here

    summary = train_run(config, run_dir)
    write_final_metrics(run_dir, summary)
    return summary


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


def _fail(run_dir: Path, message: str, multirun: bool) -> float:
    """Record a failure (unless the job already did), print one line, exit 2 outside sweeps."""
    summary_path = run_dir / "summary.json"
    if _status(summary_path) not in ("failed", "diverged", "interrupted"):
        write_json_atomic(
            summary_path, {"status": "failed", "error": message.removeprefix("error: ")}
        )
    if multirun:  # name the job: in a parallel sweep the launcher's log lines are interleaved
        message = message.replace("error: ", f"error: job {run_dir.name}: ", 1)
    print(message, file=sys.stderr)
    if multirun:
        return math.nan
    sys.exit(2)


def _status(path: Path) -> str | None:
    try:
        return json.loads(path.read_text()).get("status")
    except (OSError, ValueError, AttributeError):
        return None


if __name__ == "__main__":
    main()
