"""Hydra entry point: compose -> validate -> build -> train; returns the final eval mean.

    python -m ddpg.run [group=option ...] [key=value ...]
    python -m ddpg.run -m agent.tau=0.001,0.005 seed=0,1,2

A bad value ends the run with one line naming the key (exit code 2); the traceback, if any,
goes to <run_dir>/error.log. Every run directory gets a summary.json saying how it ended.
"""

from __future__ import annotations

import math
import os
import sys
import time
import traceback
from pathlib import Path
from typing import Any

os.environ.setdefault("TF_CPP_MIN_LOG_LEVEL", "2")  # keep TF's C++ start-up chatter off the terminal

import hydra
from hydra.core.hydra_config import HydraConfig
from hydra.types import RunMode
from omegaconf import DictConfig, OmegaConf
from omegaconf.errors import OmegaConfBaseException

from ddpg.config import ConfigError, RunConfig, flatten, from_mapping
from ddpg.files import write_json_atomic


def to_run_config(cfg: DictConfig) -> RunConfig:
    """Resolve the composed config and convert it to validated dataclasses."""
    try:
        container = OmegaConf.to_container(cfg, resolve=True)
    except OmegaConfBaseException as error:
        raise ConfigError(str(error).splitlines()[0]) from None
    assert isinstance(container, dict)
    return from_mapping(RunConfig, container)


def train_run(config: RunConfig, run_dir: Path) -> dict[str, Any]:
    """Train one run into `run_dir` and return its summary (library entry, no Hydra)."""
    from ddpg.build import build, configure_tensorflow
    from ddpg.metrics import MetricsWriter
    from ddpg.trainer import DivergedError, Trainer, TrainState, summary_of

    configure_tensorflow(config.trainer.threads)
    started = time.perf_counter()
    state = TrainState()
    write_json_atomic(run_dir / "summary.json", summary_of(state, config, 0.0, "running"))
    components = build(config)
    writer = MetricsWriter(run_dir)
    status, error = "failed", None
    try:
        writer.hparams(flatten(_plain(config)))
        trainer = Trainer(config, components, run_dir, writer, state)
        trainer.train()
        status = "stopped_early" if state.stopped_early else "completed"
    except DivergedError as exc:
        status, error = "diverged", str(exc)
    except KeyboardInterrupt:
        status, error = "interrupted", "interrupted by the user"
        raise
    except Exception as exc:
        status, error = "failed", f"{type(exc).__name__}: {exc}"
        (run_dir / "error.log").write_text(traceback.format_exc())
        raise
    finally:
        writer.close()
        components.env.close()
        components.eval_env.close()
        summary = summary_of(state, config, time.perf_counter() - started, status)
        summary["error"] = error
        write_json_atomic(run_dir / "summary.json", summary)
    return summary


def _plain(config: RunConfig) -> dict[str, Any]:
    import dataclasses

    return dataclasses.asdict(config)


@hydra.main(config_path="../conf", config_name="config", version_base="1.3")
def main(cfg: DictConfig) -> float:
    """Run one job; in a sweep a failed job is recorded and the sweep goes on."""
    hydra_cfg = HydraConfig.get()
    run_dir = Path(hydra_cfg.runtime.output_dir)
    multirun = hydra_cfg.mode == RunMode.MULTIRUN
    try:
        config = to_run_config(cfg)
        write_json_atomic(run_dir / "params.json", flatten(_plain(config)))
        summary = train_run(config, run_dir)
    except ConfigError as error:
        return _fail(run_dir, f"error: {error}", multirun)
    except Exception as error:  # recorded in summary.json and error.log by train_run
        return _fail(run_dir, f"error: {type(error).__name__}: {error} (see {run_dir}/error.log)", multirun)
    if summary["status"] == "diverged":
        return _fail(run_dir, f"error: {summary['error']}", multirun, write=False)
    final = summary["final_eval_return"]
    return float(final) if final is not None else math.nan


def _fail(run_dir: Path, message: str, multirun: bool, write: bool = True) -> float:
    summary_path = run_dir / "summary.json"
    if write and not _has_status(summary_path):
        write_json_atomic(summary_path, {"status": "failed", "error": message.removeprefix("error: ")})
    print(message, file=sys.stderr)
    if multirun:
        return math.nan
    sys.exit(2)


def _has_status(path: Path) -> bool:
    import json

    try:
        return json.loads(path.read_text()).get("status") in ("failed", "diverged", "interrupted")
    except (OSError, ValueError):
        return False


if __name__ == "__main__":
    main()
