"""TensorBoard summaries and event files without TensorFlow: scalars, custom-scalars layouts.

Run logging (ddpg.storage.metrics) and compare's group curves (ddpg.storage.group_curves) write
these protos, byte for byte what tf.summary and TensorBoard's own helpers write. Two of
TensorBoard's helpers import TensorFlow where it is installed, which would load it into
`python -m ddpg.compare` (seconds, and TensorFlow's start-up notices): `custom_scalar.summary.pb`
when called (:func:`layout_summary` builds the same proto from TensorBoard's protos alone), and
`summary.writer.event_file_writer.EventFileWriter`, which makes its folder and file through
`tensorboard.compat.tf` (:func:`write_event_file` writes the same records with TensorBoard's
TF-free `RecordWriter` to a plain file). Runs keep `EventFileWriter`: they load TensorFlow anyway,
and it writes from a thread of its own while they train.
"""

from __future__ import annotations

import itertools
import os
import socket
import time
from collections.abc import Iterable, Mapping
from pathlib import Path

from tensorboard.compat.proto import (
    event_pb2,
    summary_pb2,
    tensor_pb2,
    tensor_shape_pb2,
    types_pb2,
)
from tensorboard.plugins.custom_scalar import layout_pb2
from tensorboard.plugins.custom_scalar import metadata as custom_scalar_metadata
from tensorboard.plugins.scalar import metadata as scalar_metadata
from tensorboard.summary.writer.event_file_writer import EventFileWriter
from tensorboard.summary.writer.record_writer import RecordWriter

#: What tf.summary.scalar attaches to each value: the scalars plugin's metadata.
_SCALAR_METADATA = scalar_metadata.create_summary_metadata(display_name=None, description=None)
_file_numbers = itertools.count()  # two files written in one second stay apart


def scalars_summary(values: Mapping[str, float]) -> summary_pb2.Summary:
    """Scalars as tf.summary.scalar writes them: a float32 scalar tensor under each tag."""
    return summary_pb2.Summary(
        value=[
            summary_pb2.Summary.Value(
                tag=tag,
                metadata=_SCALAR_METADATA,
                tensor=tensor_pb2.TensorProto(
                    dtype=types_pb2.DT_FLOAT,
                    tensor_shape=tensor_shape_pb2.TensorShapeProto(),  # a scalar: no dims
                    float_val=[value],
                ),
            )
            for tag, value in values.items()
        ]
    )


def layout_summary(layout: layout_pb2.Layout) -> summary_pb2.Summary:
    """A custom-scalars layout as TensorBoard's `custom_scalar.summary.pb(layout)` makes it: the
    serialized layout as a scalar string tensor under the plugin's config tag."""
    tensor = tensor_pb2.TensorProto(
        dtype=types_pb2.DT_STRING,
        tensor_shape=tensor_shape_pb2.TensorShapeProto(),
        string_val=[layout.SerializeToString()],
    )
    value = summary_pb2.Summary.Value(
        tag=custom_scalar_metadata.CONFIG_SUMMARY_TAG,
        metadata=custom_scalar_metadata.create_summary_metadata(),
        tensor=tensor,
    )
    return summary_pb2.Summary(value=[value])


def write_summary(writer: EventFileWriter, summary: summary_pb2.Summary, step: int) -> None:
    """One event holding `summary` at `step` (a plugin helper may return TensorFlow's copy of
    the Summary class where TensorFlow is loaded: the bytes are the same)."""
    if not isinstance(summary, summary_pb2.Summary):
        summary = summary_pb2.Summary.FromString(summary.SerializeToString())
    writer.add_event(event_pb2.Event(wall_time=time.time(), step=step, summary=summary))


def write_event_file(logdir: Path, summaries: Iterable[tuple[summary_pb2.Summary, int]]) -> Path:
    """One event file in `logdir` (made if missing) holding each (summary, step), in order; returns
    its path. Named and framed as EventFileWriter writes it (`events.out.tfevents.<time>.<host>.
    <pid>.<n>`, the file-version event first), without TensorFlow."""
    logdir.mkdir(parents=True, exist_ok=True)
    name = "events.out.tfevents.%010d.%s.%s.%s" % (  # noqa: UP031  # EventFileWriter's pattern
        time.time(),
        socket.gethostname(),
        os.getpid(),
        next(_file_numbers),
    )
    path = logdir / name
    with open(path, "wb") as file:
        records = RecordWriter(file)
        first = event_pb2.Event(wall_time=time.time(), file_version="brain.Event:2")
        records.write(first.SerializeToString())
        for summary, step in summaries:
            event = event_pb2.Event(wall_time=time.time(), step=step, summary=summary)
            records.write(event.SerializeToString())
    return path
