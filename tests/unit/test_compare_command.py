"""ddpg.compare (the command): the groups it computes, written back as TensorBoard runs, read
with TensorBoard's own EventAccumulator, equal compare's numbers (learning_curves.csv)."""

from __future__ import annotations

import math
import subprocess
import sys
from pathlib import Path

import pandas as pd
import pytest
from tensorboard.backend.event_processing.event_accumulator import TENSORS, EventAccumulator
from tensorboard.plugins.custom_scalar import layout_pb2
from tensorboard.plugins.custom_scalar import metadata as custom_scalar_metadata
from tensorboard.util import tensor_util

from ddpg import compare as compare_command
from ddpg.storage import group_curves
from tests.unit.analysis.rundirs import write_run

#: reward_norm -> each seed's eval curve (env step, return).
EVALS = {
    "none": [
        [(0, -1400.0), (1000, -600.0), (2000, -300.0)],
        [(0, -1300.0), (1000, -900.0), (2000, -200.0)],
        [(0, -1500.0), (1000, -700.0), (2000, -250.0)],
    ],
    "running": [
        [(0, -1400.0), (1000, -400.0), (2000, -150.0)],
        [(0, -1200.0), (1000, -300.0), (2000, -180.0)],
        [(0, -1350.0), (1000, -500.0), (2000, -140.0)],
    ],
}


def series(events: EventAccumulator, tag: str) -> dict[int, float]:
    return {e.step: float(tensor_util.make_ndarray(e.tensor_proto)) for e in events.Tensors(tag)}


def write_sweep(sweep: Path) -> None:
    """EVALS as a sweep's job folders, named as ddpg.launch.job_names names them."""
    job = 0
    for norm, runs in EVALS.items():
        for seed, evals in enumerate(runs):
            write_run(sweep / f"rn={norm} s={seed} job{job}", evals, seed=seed, reward_norm=norm)
            job += 1


def test_compare_writes_each_groups_mean_and_ci_as_a_tensorboard_margin_chart(
    tmp_path: Path,
) -> None:
    sweep = tmp_path / "sweep"
    write_sweep(sweep)
    stale = sweep / "compare" / "tb" / "reward_norm.name=gone"  # a group of an earlier compare
    stale.mkdir(parents=True)

    assert compare_command.main([str(sweep)]) == 0

    bands = pd.read_csv(sweep / "learning_curves.csv")
    root = sweep / "compare" / "tb"
    assert sorted(p.name for p in root.iterdir()) == sorted(bands["group"].unique())
    layouts = []
    for group, band in bands.groupby("group"):
        events = EventAccumulator(str(root / group_curves.run_name(str(group))), {TENSORS: 0})
        events.Reload()
        steps = [round(s) for s in band["step"]]
        for tag, column in (
            (group_curves.MEAN, "mean"),
            (group_curves.LOW, "ci_low"),
            (group_curves.HIGH, "ci_high"),
        ):
            expected = dict(zip(steps, band[column], strict=True))
            got = series(events, tag)
            assert sorted(got) == sorted(expected), tag
            assert [got[s] for s in sorted(got)] == pytest.approx(
                [expected[s] for s in sorted(got)], rel=1e-6
            ), (group, tag)
            assert not any(math.isnan(v) for v in got.values())
        if custom_scalar_metadata.CONFIG_SUMMARY_TAG in events.Tags()["tensors"]:
            layouts += events.Tensors(custom_scalar_metadata.CONFIG_SUMMARY_TAG)
    # One layout for all groups, naming the margin chart of the three tags.
    (layout_event,) = layouts
    layout = layout_pb2.Layout.FromString(
        tensor_util.make_ndarray(layout_event.tensor_proto).item()
    )
    (chart,) = layout.category[0].chart
    assert chart.title == group_curves.CHART
    (margin,) = chart.margin.series
    assert (margin.value, margin.lower, margin.upper) == (
        group_curves.MEAN,
        group_curves.LOW,
        group_curves.HIGH,
    )


def test_a_group_label_becomes_one_safe_run_folder() -> None:
    assert group_curves.run_name("env.id=ALE/Pong-v5") == "env.id=ALE_Pong-v5"
    assert group_curves.run_name("..") == "group .."


def test_the_compare_command_never_loads_tensorflow(tmp_path: Path) -> None:
    """Every output, TensorBoard runs included, without TensorFlow: seconds of start-up and its
    notices, for a command that only reads files (custom_scalar.summary.pb imports it)."""
    write_sweep(tmp_path / "sweep")
    code = (
        "import sys\n"
        "from ddpg import compare\n"
        f"assert compare.main([{str(tmp_path / 'sweep')!r}]) == 0\n"
        "print(sorted(m for m in sys.modules if m.split('.')[0] in ('tensorflow', 'keras')))\n"
    )
    result = subprocess.run([sys.executable, "-c", code], capture_output=True, text=True)
    assert result.returncode == 0, result.stderr[-3000:]
    assert (tmp_path / "sweep" / "compare" / "tb").is_dir()
    assert result.stdout.strip().splitlines()[-1] == "[]", result.stdout[-2000:]
