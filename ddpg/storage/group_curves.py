"""Compare's group curves as TensorBoard runs: each group's mean eval curve and its CI.

`python -m ddpg.compare` writes one run per group under `<out>/compare/tb/<group>` with three
scalars per step (:data:`MEAN`, :data:`LOW`, :data:`HIGH`: the numbers of learning_curves.csv),
and a custom-scalars layout whose margin chart draws the mean with its CI as a band, so
`tensorboard --logdir <sweep>` shows the comparison compare made, one line per group instead
of one per run. Written with TensorBoard's own event-file writer and summary protos (no
TensorFlow: the compare command never loads it).
"""

from __future__ import annotations

import math
import shutil
import time
from collections.abc import Mapping, Sequence
from pathlib import Path
from typing import NamedTuple

from tensorboard.compat.proto import (
    event_pb2,
    summary_pb2,
    tensor_pb2,
    tensor_shape_pb2,
    types_pb2,
)
from tensorboard.plugins.custom_scalar import layout_pb2
from tensorboard.plugins.custom_scalar import summary as custom_scalar_summary
from tensorboard.plugins.scalar import metadata as scalar_metadata
from tensorboard.summary.writer.event_file_writer import EventFileWriter

MEAN = "compare/eval_return_mean"
LOW = "compare/eval_return_ci_low"
HIGH = "compare/eval_return_ci_high"
#: The custom-scalars category and chart that draw every group's band.
CATEGORY = "compare"
CHART = "eval return: mean over runs, 95% CI of the mean (Student t)"


class GroupCurve(NamedTuple):
    """A group's curve: env steps and, per step, the mean and the CI's ends."""

    steps: Sequence[float]
    mean: Sequence[float]
    low: Sequence[float]
    high: Sequence[float]


def run_name(group: str) -> str:
    """A group label as one safe folder name ("/" and control characters become "_")."""
    name = "".join("_" if c == "/" or ord(c) < 32 else c for c in group).strip()
    return name if name not in ("", ".", "..") else f"group {name}"


def write_group_curves(out: Path, curves: Mapping[str, GroupCurve]) -> Path:
    """Write each group's curve as the TensorBoard run `out/compare/tb/<group>`; returns that
    folder. A previous compare's runs there are replaced, so no stale group stays listed.

    Steps are env steps rounded to integers (TensorBoard's steps are integers); a value that
    is not finite (the CI of a single run) is left out at that step.
    """
    root = out / "compare" / "tb"
    if root.exists():
        shutil.rmtree(root)
    for i, (group, curve) in enumerate(curves.items()):
        writer = EventFileWriter(str(root / run_name(group)))
        if i == 0:  # one layout for all: TensorBoard merges every run's layout into one
            _add(writer, _layout_pb(), step=0)
        for step, *values in zip(curve.steps, curve.mean, curve.low, curve.high, strict=True):
            tagged = {
                tag: float(v)
                for tag, v in zip((MEAN, LOW, HIGH), values, strict=True)
                if math.isfinite(v)
            }
            if tagged:
                _add(writer, _scalars_pb(tagged), step=round(step))
        writer.close()
    return root


def _add(writer: EventFileWriter, summary: summary_pb2.Summary, step: int) -> None:
    writer.add_event(event_pb2.Event(wall_time=time.time(), step=step, summary=summary))


def _scalars_pb(values: Mapping[str, float]) -> summary_pb2.Summary:
    """Scalars as tf.summary.scalar writes them (as ddpg.storage.metrics does, whose hparams
    import would load TensorFlow): a float32 scalar tensor with the scalars plugin's metadata."""
    metadata = scalar_metadata.create_summary_metadata(display_name=None, description=None)
    return summary_pb2.Summary(
        value=[
            summary_pb2.Summary.Value(
                tag=tag,
                metadata=metadata,
                tensor=tensor_pb2.TensorProto(
                    dtype=types_pb2.DT_FLOAT,
                    tensor_shape=tensor_shape_pb2.TensorShapeProto(),
                    float_val=[value],
                ),
            )
            for tag, value in values.items()
        ]
    )


def _layout_pb() -> summary_pb2.Summary:
    """The margin chart: each group's mean with its CI from LOW to HIGH."""
    series = layout_pb2.MarginChartContent.Series(value=MEAN, lower=LOW, upper=HIGH)
    chart = layout_pb2.Chart(title=CHART, margin=layout_pb2.MarginChartContent(series=[series]))
    layout = layout_pb2.Layout(category=[layout_pb2.Category(title=CATEGORY, chart=[chart])])
    summary = custom_scalar_summary.pb(layout)
    if not isinstance(summary, summary_pb2.Summary):  # TensorFlow's copy of the class
        summary = summary_pb2.Summary.FromString(summary.SerializeToString())
    return summary
