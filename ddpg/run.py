"""Hydra entry point: compose -> validate -> build -> train; returns the final eval mean.

    python -m ddpg.run [group=option ...] [key=value ...]
    python -m ddpg.run -m agent.tau=0.001,0.005 seed=0,1,2

A bad value ends the run with one line naming the key (exit code 2); a traceback, if any, goes
to <run_dir>/error.log. Every run directory gets a summary.json saying how it ended; in a sweep
a failed job is recorded and the other jobs go on.
"""

from __future__ import annotations

import json
import math
import os
import sys
from pathlib import Path

os.environ.setdefault("TF_CPP_MIN_LOG_LEVEL", "2")  # keep TF's C++ start-up chatter quiet

import hydra
from hydra.core.hydra_config import HydraConfig
from hydra.types import RunMode
from omegaconf import DictConfig, OmegaConf
from omegaconf.errors import OmegaConfBaseException

from ddpg.config import ConfigError, RunConfig, from_mapping
from ddpg.files import write_json_atomic
from ddpg.job import train_run


def to_run_config(cfg: DictConfig) -> RunConfig:
    """Resolve the composed config and convert it to validated dataclasses."""
    try:
        container = OmegaConf.to_container(cfg, resolve=True)
    except OmegaConfBaseException as error:
        raise ConfigError(str(error).splitlines()[0]) from None
    assert isinstance(container, dict)
    container.pop("hydra", None)
    return from_mapping(RunConfig, container)


@hydra.main(config_path="../conf", config_name="config", version_base="1.3")
def main(cfg: DictConfig) -> float:
    """Run one job and return its final eval mean (the objective for sweepers)."""
    hydra_cfg = HydraConfig.get()
    run_dir = Path(hydra_cfg.runtime.output_dir)
    multirun = hydra_cfg.mode == RunMode.MULTIRUN
    try:
        summary = train_run(to_run_config(cfg), run_dir)
    except ConfigError as error:
        return _fail(run_dir, f"error: {error}", multirun)
    except Exception as error:
        return _fail(run_dir, f"error: {type(error).__name__}: {error} (see {run_dir / 'error.log'})", multirun)
    if summary["status"] == "diverged":
        return _fail(run_dir, f"error: {summary['error']}", multirun)
    final = summary["final_eval_return"]
    return float(final) if final is not None else math.nan


def _fail(run_dir: Path, message: str, multirun: bool) -> float:
    """Record a failure (unless the job already did), print one line, exit 2 outside sweeps."""
    summary_path = run_dir / "summary.json"
    if _status(summary_path) not in ("failed", "diverged", "interrupted"):
        write_json_atomic(summary_path, {"status": "failed", "error": message.removeprefix("error: ")})
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
