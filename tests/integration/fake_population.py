"""A stand-in `ddpg.launch.job.train_population` and a Hydra callback that records each JobReturn.

tests/integration/test_population_launcher.py puts this folder's `sitecustomize.py` (which
imports this module when DDPG_FAKE_POPULATIONS is set) on PYTHONPATH, so the launcher's real
child processes train with :func:`train_population` in a blink: it writes the run-dir records
compare needs, notes which jobs trained together, dies by SIGKILL when a member has
agent.tau == 0.9 (a child that ends unrecorded), and sleeps when one has 0.8 (to be stopped).
"""

from __future__ import annotations

import json
import os
import signal
import time
from pathlib import Path
from typing import Any

from hydra.experimental.callback import Callback
from omegaconf import DictConfig

import ddpg.launch.job
from ddpg.config.schema import RunConfig
from ddpg.storage.files import write_json_atomic

RECORD = Path(os.environ.get("DDPG_FAKE_POPULATIONS", "/nonexistent"))


def train_population(
    configs: list[RunConfig], run_dirs: list[Path], status_path: Path | None = None
) -> list[dict[str, Any]]:
    """Each member's final eval is 1000 * tau + seed; status completed; no progress kept."""
    with open(RECORD / "populations.jsonl", "a") as f:
        record = {"pid": os.getpid(), "run_dirs": [str(d) for d in run_dirs]}
        record["env"] = os.environ.get("DDPG_FAKE_ENV")  # hydra.job.env_set reaches us?
        f.write(json.dumps(record) + "\n")
    summaries = []
    for config, run_dir in zip(configs, run_dirs, strict=True):
        run_dir.mkdir(parents=True, exist_ok=True)
        write_json_atomic(run_dir / "params.json", ddpg.launch.job.params_of(config))
        write_json_atomic(run_dir / "summary.json", {"status": "running"})
    if any(config.agent.tau == 0.9 for config in configs):
        os.kill(os.getpid(), signal.SIGKILL)
    if any(config.agent.tau == 0.8 for config in configs):  # until the launcher stops it
        (RECORD / "sleeping").touch()
        time.sleep(300)
    for config, run_dir in zip(configs, run_dirs, strict=True):
        final = 1000 * config.agent.tau + config.seed
        summary = {"status": "completed", "final_eval_return": final, "error": None}
        summary["env_steps"] = config.trainer.total_steps
        write_json_atomic(run_dir / "summary.json", summary)
        summaries.append(summary)
    return summaries


class Probe(Callback):
    """Appends each job's start and end (job number, output dir, status, value) to a file."""

    def on_job_start(self, config: DictConfig, **kwargs: Any) -> None:
        self._note({"event": "start", "num": int(config.hydra.job.num)})

    def on_job_end(self, config: DictConfig, job_return: Any, **kwargs: Any) -> None:
        self._note(
            {
                "event": "end",
                "num": int(config.hydra.job.num),
                "output_dir": str(config.hydra.runtime.output_dir),
                "status": job_return.status.name,
                "value": job_return.return_value,
                "tb_exists": (Path(str(config.hydra.runtime.output_dir)) / "tb").is_dir(),
            }
        )

    def _note(self, record: dict[str, Any]) -> None:
        with open(RECORD / "callbacks.jsonl", "a") as f:
            f.write(json.dumps(record) + "\n")


ddpg.launch.job.train_population = train_population  # type: ignore[attr-defined]
