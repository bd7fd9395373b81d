"""ddpg.storage.tb_summaries: the protos equal TensorBoard's and TensorFlow's, built without TF."""

from __future__ import annotations

import subprocess
import sys

from tensorboard.plugins.custom_scalar import layout_pb2
from tensorboard.plugins.custom_scalar import summary as custom_scalar_summary

from ddpg.storage.tb_summaries import layout_summary

LAYOUT = layout_pb2.Layout(
    category=[
        layout_pb2.Category(
            title="eval",
            chart=[
                layout_pb2.Chart(
                    title="band",
                    margin=layout_pb2.MarginChartContent(
                        series=[
                            layout_pb2.MarginChartContent.Series(value="m", lower="l", upper="h")
                        ]
                    ),
                )
            ],
        )
    ]
)


def test_a_layout_summary_is_byte_for_byte_tensorboards_own() -> None:
    """TensorBoard's custom_scalar.summary.pb builds it through TensorFlow; ours must not differ."""
    theirs = custom_scalar_summary.pb(LAYOUT).SerializeToString()
    assert layout_summary(LAYOUT).SerializeToString() == theirs


def test_building_a_layout_summary_loads_no_tensorflow() -> None:
    code = (
        "import sys\n"
        "from tensorboard.plugins.custom_scalar import layout_pb2\n"
        "from ddpg.storage.tb_summaries import layout_summary\n"
        "layout_summary(layout_pb2.Layout())\n"
        "print(sorted(m for m in sys.modules if m.split('.')[0] in ('tensorflow', 'keras')))\n"
    )
    result = subprocess.run([sys.executable, "-c", code], capture_output=True, text=True)
    assert result.returncode == 0, result.stderr
    assert result.stdout.strip() == "[]"
