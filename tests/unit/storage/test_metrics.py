"""ddpg.storage.metrics: what MetricsWriter writes, read back with TensorBoard's own reader."""

from __future__ import annotations

import csv
import re
from pathlib import Path

import pytest
from tensorboard.backend.event_processing.event_accumulator import TENSORS, EventAccumulator
from tensorboard.plugins.custom_scalar import layout_pb2
from tensorboard.plugins.hparams import metadata as hparams_metadata
from tensorboard.util import tensor_util

from ddpg.launch.sweep_hparams import HPARAM_METRICS
from ddpg.storage.metrics import (
    FINAL_METRICS,
    LAYOUT,
    SCALAR_KEYS,
    MetricsWriter,
    final_metrics,
    write_final_metrics,
)


def read_tb(run_dir: Path) -> EventAccumulator:
    """Every event file in run_dir/tb, loaded in full."""
    events = EventAccumulator(str(run_dir / "tb"), size_guidance={TENSORS: 0})
    events.Reload()
    return events


def values(events: EventAccumulator, tag: str) -> list[tuple[int, float]]:
    return [(e.step, float(tensor_util.make_ndarray(e.tensor_proto))) for e in events.Tensors(tag)]


def read_csv(run_dir: Path) -> list[list[str]]:
    with open(run_dir / "scalars.csv", newline="") as f:
        return list(csv.reader(f))


def test_a_scalar_is_written_as_tf_summary_scalar_writes_it(tmp_path: Path) -> None:
    import tensorflow as tf

    reference = tf.summary.create_file_writer(str(tmp_path / "reference" / "tb"))
    with reference.as_default(step=7):
        tf.summary.scalar("q/mean", 1.1)
    reference.close()
    writer = MetricsWriter(tmp_path / "ours")
    writer.scalars({"q/mean": 1.1}, step=7)
    writer.close()
    theirs, ours = (read_tb(tmp_path / name) for name in ("reference", "ours"))
    (expected,), (got,) = theirs.Tensors("q/mean"), ours.Tensors("q/mean")
    assert got.step == expected.step == 7
    assert got.tensor_proto.dtype == expected.tensor_proto.dtype
    assert got.tensor_proto.tensor_shape == expected.tensor_proto.tensor_shape
    assert tensor_util.make_ndarray(got.tensor_proto) == tensor_util.make_ndarray(
        expected.tensor_proto
    )  # both float32
    assert ours.SummaryMetadata("q/mean") == theirs.SummaryMetadata("q/mean")


def test_scalars_go_to_csv_and_tensorboard(tmp_path: Path) -> None:
    writer = MetricsWriter(tmp_path)
    writer.scalars({"eval/return_mean": -150.5, "loss/critic": 0.25}, step=100)
    writer.scalars({"eval/return_mean": -120.0}, step=200)
    writer.close()

    assert read_csv(tmp_path) == [
        ["step", "key", "value"],
        ["100", "eval/return_mean", "-150.5"],
        ["100", "loss/critic", "0.25"],
        ["200", "eval/return_mean", "-120.0"],
    ]
    events = read_tb(tmp_path)
    assert values(events, "eval/return_mean") == [(100, -150.5), (200, -120.0)]
    assert values(events, "loss/critic") == [(100, 0.25)]


def test_unknown_key_raises(tmp_path: Path) -> None:
    writer = MetricsWriter(tmp_path)
    with pytest.raises(KeyError, match="eval/retrun_mean"):
        writer.scalars({"eval/retrun_mean": 1.0}, step=1)
    writer.close()


def test_append_keeps_rows_and_header(tmp_path: Path) -> None:
    first = MetricsWriter(tmp_path)
    first.scalars({"q/mean": 1.0}, step=10)
    first.close()
    second = MetricsWriter(tmp_path, append=True)
    second.scalars({"q/mean": 2.0}, step=20)
    second.close()

    assert read_csv(tmp_path)[1:] == [["10", "q/mean", "1.0"], ["20", "q/mean", "2.0"]]


def test_custom_scalars_layout_groups_every_family(tmp_path: Path) -> None:
    MetricsWriter(tmp_path).close()

    events = read_tb(tmp_path)
    (point,) = events.Tensors("custom_scalars__config__")
    layout = layout_pb2.Layout.FromString(tensor_util.make_ndarray(point.tensor_proto).item())
    assert [c.title for c in layout.category] == ["train", "eval", "losses", "Q"]
    for category in layout.category:
        for chart in category.chart:
            (pattern,) = chart.multiline.tag
            assert any(re.search(pattern, key) for key in SCALAR_KEYS), pattern
    drawn = {k for k in SCALAR_KEYS for c in LAYOUT.values() for p in c.values() if re.search(p, k)}
    assert {"loss/critic", "loss/actor", "q/mean", "eval/return_mean"} <= drawn


def test_hparams_session_holds_the_values_integers_as_strings(tmp_path: Path) -> None:
    params = {
        "agent.tau": 0.005,
        "agent.batch_size": 128,
        "reward_norm.name": "running",
        "seed": 3,
        "agent.compile": True,
        "x": [16],
        "trainer.max_episodes": None,
        "bad": float("nan"),
    }
    writer = MetricsWriter(tmp_path)
    writer.hparams(params)
    writer.close()

    content = read_tb(tmp_path).SummaryMetadata("_hparams_/session_start_info").plugin_data.content
    start = hparams_metadata.parse_session_start_info_plugin_data(content)
    kinds = {name: value.WhichOneof("kind") for name, value in start.hparams.items()}
    assert kinds == {
        "agent.tau": "number_value",
        "agent.batch_size": "string_value",  # the HParams table prints numbers as 128.00
        "reward_norm.name": "string_value",
        "seed": "string_value",
        "agent.compile": "bool_value",
        "x": "string_value",
        "trainer.max_episodes": "string_value",
        "bad": "string_value",
    }
    assert start.hparams["agent.tau"].number_value == pytest.approx(0.005)
    assert start.hparams["agent.batch_size"].string_value == "128"
    assert start.hparams["seed"].string_value == "3"
    assert start.hparams["agent.compile"].bool_value is True
    assert start.hparams["x"].string_value == "[16]"
    assert start.hparams["trainer.max_episodes"].string_value == "None"
    assert start.hparams["bad"].string_value == "nan"


def test_an_unsolved_run_logs_every_metric_steps_to_solve_censored_at_the_budget(
    tmp_path: Path,
) -> None:
    """No run of a sweep solving must not blank TensorBoard's parallel coordinates: every
    metric the sweep's HParams config lists gets a finite value."""
    summary = {
        "env_steps": 3000,  # stopped early, before the 5000-step budget
        "final_eval_return": -180.0,
        "best_eval_return": -150.0,
        "steps_to_solve": None,
    }
    write_final_metrics(tmp_path, summary, budget=5000)

    events = read_tb(tmp_path)
    assert values(events, "hparams/final_eval_return") == [(3000, -180.0)]
    assert values(events, "hparams/best_eval_return") == [(3000, -150.0)]
    assert values(events, "hparams/steps_to_solve") == [(3000, 5000.0)]
    assert values(events, "hparams/solved") == [(3000, 0.0)]
    assert list(FINAL_METRICS) == list(HPARAM_METRICS)  # what the sweep's HParams config lists
    assert set(events.Tags()["tensors"]) >= set(HPARAM_METRICS)


def test_a_solved_run_logs_its_first_solving_step() -> None:
    summary = {"final_eval_return": -120.0, "best_eval_return": -110.0, "steps_to_solve": 4000}
    assert final_metrics(summary, budget=20000) == {
        "hparams/final_eval_return": -120.0,
        "hparams/best_eval_return": -110.0,
        "hparams/steps_to_solve": 4000.0,
        "hparams/solved": 1.0,
    }


def test_a_run_without_any_evaluation_has_no_eval_return_metrics() -> None:
    """Diverged before its first evaluation: no number stands for its return."""
    summary = {"final_eval_return": None, "best_eval_return": None, "steps_to_solve": None}
    assert final_metrics(summary, budget=20000) == {
        "hparams/steps_to_solve": 20000.0,
        "hparams/solved": 0.0,
    }
