"""One training job: build, train, and record how it ended in summary.json (no Hydra here)."""

from __future__ import annotations

import dataclasses
import time
import traceback
from pathlib import Path
from typing import Any

from ddpg.config import RunConfig, flatten
from ddpg.files import write_json_atomic


def params_of(config: RunConfig) -> dict[str, Any]:
    """The resolved config flattened to dotted keys, as written to params.json."""
    return flatten(dataclasses.asdict(config))


def train_run(config: RunConfig, run_dir: Path) -> dict[str, Any]:
    """Train one run into `run_dir` and return its summary.

    Writes params.json first and summary.json with status "running", then the final summary
    whatever happens: completed, stopped_early, diverged, interrupted or failed (with the error;
    the traceback goes to error.log). Exceptions other than divergence propagate.
    """
    from ddpg.build import build, configure_tensorflow
    from ddpg.metrics import MetricsWriter
    from ddpg.trainer import DivergedError, Trainer, TrainState, summary_of

    run_dir = Path(run_dir)
    run_dir.mkdir(parents=True, exist_ok=True)
    configure_tensorflow(config.trainer.threads)
    started = time.perf_counter()
    state = TrainState()
    write_json_atomic(run_dir / "params.json", params_of(config))
    write_json_atomic(run_dir / "summary.json", summary_of(state, config, 0.0, "running"))
    components = build(config)
    writer = MetricsWriter(run_dir)
    status, error = "failed", None
    try:
        writer.hparams(params_of(config))
        Trainer(config, components, run_dir, writer, state).train()
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
