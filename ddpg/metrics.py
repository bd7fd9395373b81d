"""Scalar logging under fixed keys: TensorBoard event files in tb/ and the same rows in scalars.csv."""

from __future__ import annotations

import csv
import math
from collections.abc import Mapping
from pathlib import Path
from typing import Any

import tensorflow as tf
from tensorboard.plugins.hparams import api as hp

#: Every scalar key a run may write; a typo in a key fails loudly instead of making a new chart.
METRIC_KEYS = frozenset(
    {
        "train/episode_return",
        "train/episode_return_ema",
        "train/episode_length",
        "eval/return_mean",
        "eval/return_std",
        "loss/critic",
        "loss/actor",
        "q/mean",
        "noise/scale",
        "reward/normalized_mean",
        "perf/steps_per_sec",
    }
)


class MetricsWriter:
    """Writes scalars to TensorBoard and a long-format CSV (step,key,value); x-axis = env step."""

    def __init__(self, run_dir: Path, append: bool = False) -> None:
        self.run_dir = Path(run_dir)
        self._writer = tf.summary.create_file_writer(str(self.run_dir / "tb"))
        csv_path = self.run_dir / "scalars.csv"
        write_header = not (append and csv_path.exists())
        self._csv_file = open(csv_path, "a" if append else "w", newline="")  # noqa: SIM115
        self._csv = csv.writer(self._csv_file)
        if write_header:
            self._csv.writerow(["step", "key", "value"])

    def scalars(self, values: Mapping[str, float], step: int) -> None:
        """Log each key's value at env step `step`."""
        with self._writer.as_default(step=step):
            for key, value in values.items():
                if key not in METRIC_KEYS:
                    raise KeyError(f"unknown metric key {key!r}")
                tf.summary.scalar(key, value)
                self._csv.writerow([step, key, repr(float(value))])

    def hparams(self, params: Mapping[str, Any]) -> None:
        """Record this run's hyperparameters for TensorBoard's HParams dashboard."""
        clean = {k: _hparam_value(v) for k, v in params.items()}
        with self._writer.as_default():
            hp.hparams(clean)

    def flush(self) -> None:
        self._writer.flush()
        self._csv_file.flush()

    def close(self) -> None:
        self.flush()
        self._writer.close()
        self._csv_file.close()


def _hparam_value(value: Any) -> bool | int | float | str:
    if isinstance(value, bool | int | str):
        return value
    if isinstance(value, float):
        return value if math.isfinite(value) else str(value)
    return str(value)
