"""Compare's group curves as TensorBoard runs: each group's mean eval curve and its CI.

`python -m ddpg.compare` writes one run per group under `<out>/compare/tb/<group>` with three
scalars per step (:data:`MEAN`, :data:`LOW`, :data:`HIGH`: the numbers of learning_curves.csv),
and a custom-scalars layout whose margin chart draws the mean with its CI as a band, so
`tensorboard --logdir <sweep>` shows the comparison compare made, one line per group instead
of one per run. Written as TensorBoard's own records and summary protos without TensorFlow,
which the compare command never loads (ddpg.storage.tb_summaries).
"""

from __future__ import annotations

import math
import shutil
from collections.abc import Mapping, Sequence
from pathlib import Path
from typing import NamedTuple

from tensorboard.compat.proto import summary_pb2
from tensorboard.plugins.custom_scalar import layout_pb2

from ddpg.storage.tb_summaries import layout_summary, scalars_summary, write_event_file

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
        # One layout for all: TensorBoard merges every run's layout into one.
        events = [(layout_summary(_layout()), 0)] if i == 0 else []
        events += [(summary, round(step)) for step, summary in _scalars(curve)]
        write_event_file(root / run_name(group), events)
    return root


def _scalars(curve: GroupCurve) -> list[tuple[float, summary_pb2.Summary]]:
    """Each step's finite values of MEAN, LOW and HIGH as one summary."""
    events = []
    for step, *values in zip(curve.steps, curve.mean, curve.low, curve.high, strict=True):
        tagged = {
            tag: float(v)
            for tag, v in zip((MEAN, LOW, HIGH), values, strict=True)
            if math.isfinite(v)
        }
        if tagged:
            events.append((step, scalars_summary(tagged)))
    return events


def _layout() -> layout_pb2.Layout:
    """The margin chart: each group's mean with its CI from LOW to HIGH."""
    series = layout_pb2.MarginChartContent.Series(value=MEAN, lower=LOW, upper=HIGH)
    chart = layout_pb2.Chart(title=CHART, margin=layout_pb2.MarginChartContent(series=[series]))
    return layout_pb2.Layout(category=[layout_pb2.Category(title=CATEGORY, chart=[chart])])
