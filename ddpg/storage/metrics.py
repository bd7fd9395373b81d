"""Scalar logging under fixed keys: TensorBoard event files in tb/ and the same rows in scalars.csv.

Besides the scalars, each run's tb/ gets a custom-scalars layout (train, eval, losses, Q), its
hyperparameters for the HParams dashboard, and, at the last env step, the `hparams/*` metrics
that the HParams table shows (:func:`write_final_metrics`). Events are written with
TensorBoard's own event-file writer and summary protos (ddpg.storage.tb_summaries), as
tf.summary would write them, without a TensorFlow op per scalar (one of those cost ~110 us; a
run logs four at every episode end).
"""

from __future__ import annotations

import csv
import math
from collections.abc import Mapping
from pathlib import Path
from typing import Any

from tensorboard.plugins.custom_scalar import layout_pb2
from tensorboard.plugins.hparams import api as hp
from tensorboard.summary.writer.event_file_writer import EventFileWriter

from ddpg.storage.tb_summaries import layout_summary, scalars_summary, write_summary

#: Every scalar key a run may write (DESIGN.md's metric keys; not the learner's METRIC_KEYS, the
#: few its compiled step returns); a typo in a key fails loudly instead of making a new chart.
SCALAR_KEYS = frozenset(
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
#: Families of keys named by what a run searches: population-based training's `pbt/<dimension>`
#: (ddpg.tune.pbt), one per dimension of the search space.
SCALAR_PREFIXES = ("pbt/",)
#: HParams metric tags, in the order the sweep's HParams config lists them
#: (ddpg.launch.sweep_hparams.HPARAM_METRICS); :func:`final_metrics` gives their values.
FINAL_METRICS = (
    "hparams/final_eval_return",
    "hparams/best_eval_return",
    "hparams/steps_to_solve",
    "hparams/solved",
)
#: Custom-scalars dashboard: category -> chart title -> regex of the tags drawn together.
LAYOUT = {
    "train": {
        "episode return (raw, EMA)": r"^train/episode_return(_ema)?$",
        "episode length": r"^train/episode_length$",
    },
    "eval": {
        "eval return mean": r"^eval/return_mean$",
        "eval return std": r"^eval/return_std$",
    },
    "losses": {"critic loss": r"^loss/critic$", "actor loss": r"^loss/actor$"},
    "Q": {"mean Q": r"^q/mean$"},
}


class MetricsWriter:
    """Writes scalars to TensorBoard and a long-format CSV (step,key,value); x-axis = env step."""

    def __init__(self, run_dir: Path, append: bool = False) -> None:
        self.run_dir = Path(run_dir)
        self._writer = EventFileWriter(str(self.run_dir / "tb"))
        csv_path = self.run_dir / "scalars.csv"
        write_header = not (append and csv_path.exists())
        self._csv_file = open(csv_path, "a" if append else "w", newline="")  # noqa: SIM115
        self._csv = csv.writer(self._csv_file)
        if write_header:
            self._csv.writerow(["step", "key", "value"])
        write_summary(self._writer, layout_summary(_layout()), step=0)

    def scalars(self, values: Mapping[str, float], step: int) -> None:
        """Log each key's value at env step `step`."""
        unknown = {k for k in values.keys() - SCALAR_KEYS if not k.startswith(SCALAR_PREFIXES)}
        if unknown:
            raise KeyError(f"unknown metric key {sorted(unknown)[0]!r}")
        self._csv.writerows([step, key, repr(float(value))] for key, value in values.items())
        write_summary(self._writer, scalars_summary(values), step)

    def hparams(self, params: Mapping[str, Any]) -> None:
        """Record this run's hyperparameters for TensorBoard's HParams dashboard.

        Integers are logged as strings (seed 1 as "1"); see _hparam_value.
        """
        clean = {k: _hparam_value(v) for k, v in params.items()}
        write_summary(self._writer, hp.hparams_pb(clean), step=0)  # where hp.hparams() writes it

    def flush(self) -> None:
        """Push buffered scalars to disk (TensorBoard and CSV)."""
        self._writer.flush()
        self._csv_file.flush()

    def close(self) -> None:
        """Flush and close both files; the writer cannot be used afterwards."""
        self.flush()
        self._writer.close()
        self._csv_file.close()


def final_metrics(summary: Mapping[str, Any], budget: int) -> dict[str, float]:
    """The HParams metrics of a run from its summary.json record and its env-step budget.

    TensorBoard's parallel coordinates view draws a run only if it has a value for every metric
    shown, and draws no line at all when one metric has no value in any run. So every run gets
    every metric that it can have: `hparams/solved` is 1 if some eval reached the solved score,
    else 0 (also for envs without one), and `hparams/steps_to_solve` is the first such eval's env
    step, or the budget (`trainer.total_steps`) for a run that never solved: censored at the
    budget, as a run that needed all of it. The eval returns are left out only for a run with no
    evaluation at all (it diverged before its first): no number stands for them.
    """
    solved = summary.get("steps_to_solve")
    numbers = {
        "hparams/final_eval_return": summary.get("final_eval_return"),
        "hparams/best_eval_return": summary.get("best_eval_return"),
        "hparams/steps_to_solve": budget if solved is None else solved,
        "hparams/solved": 0.0 if solved is None else 1.0,
    }
    return {tag: float(v) for tag, v in numbers.items() if v is not None and math.isfinite(v)}


def write_final_metrics(run_dir: Path, summary: Mapping[str, Any], budget: int) -> None:
    """Log :func:`final_metrics` at the run's last env step: the HParams table's metric columns.

    Every finished run is logged through here (single runs, populations, sweep jobs). Uses a
    writer of its own, so it can run after the run's MetricsWriter is closed.
    """
    writer = EventFileWriter(str(Path(run_dir) / "tb"))
    metrics = final_metrics(summary, budget)
    if metrics:
        write_summary(writer, scalars_summary(metrics), int(summary.get("env_steps") or 0))
    writer.close()


def _layout() -> layout_pb2.Layout:
    """LAYOUT as a custom-scalars layout proto."""
    categories = [
        layout_pb2.Category(
            title=title,
            chart=[
                layout_pb2.Chart(title=name, multiline=layout_pb2.MultilineChartContent(tag=[tag]))
                for name, tag in charts.items()
            ],
        )
        for title, charts in LAYOUT.items()
    ]
    return layout_pb2.Layout(category=categories)


def _hparam_value(value: Any) -> bool | float | str:
    """`value` as the HParams dashboard should show it: bools and finite floats as they are,
    everything else (integers, nan, lists, None) as a string.

    TensorBoard's HParams data types are string, bool and float64 only (an int becomes float64,
    "TODO(#1998): Add int dtype" in its summary_v2.py), and its table prints every number with
    5 significant digits: seed 1 shows as 1.0000. A string shows as written. The sweep's HParams
    config (ddpg.launch.sweep_hparams.swept_hparams) declares integer settings as strings to match.
    """
    if isinstance(value, bool | str):
        return value
    if isinstance(value, float) and math.isfinite(value):
        return value
    return str(value)
