"""Trial folder names of a study: `<the trial's values, short> trial<number>`, one safe component.

A trial is a run, and TensorBoard names a run after its folder and cuts long names short, so
trial folders follow a sweep's job folders (ddpg.launch.job_names): the sampled values first,
in the search space's order, with short keys (ddpg.launch.job_names.SHORT_KEYS, the derived
dimensions of conf/search/ in :data:`SHORT_DIMENSIONS`, else the key's last part) and values as
compare labels them (4 significant digits, `1e-4` below 0.001:
ddpg.analysis.grouping.value_labels), separated by spaces, where TensorBoard wraps a run's
name; the trial number last keeps every folder unique:
`1-gamma=0.001234 lr=1.5e-4 tau=0.0123 noise=ou sigma=0.3 trial7`.
"""

from __future__ import annotations

from collections.abc import Mapping
from typing import Any

from ddpg.analysis.grouping import value_labels
from ddpg.launch.job_names import SHORT_KEYS, folder_name, short_keys

#: Short names of the derived dimensions of conf/search/ (dimensions named for no config key).
SHORT_DIMENSIONS = {"one_minus_gamma": "1-gamma", "learning_rate": "lr"}


def trial_dirname(number: int, values: Mapping[str, Any]) -> str:
    """A trial's folder name: `<name=value ...> trial<number>`, or `trial<number>` alone.

    Dimensions whose short names coincide show in full. One safe path component, a long one cut
    with a hash that keeps it unique (ddpg.launch.job_names.folder_name).
    """
    names = short_keys(list(values), {**SHORT_KEYS, **SHORT_DIMENSIONS})
    shown = [f"{names[key]}={value_labels([value])[0]}" for key, value in values.items()]
    return folder_name(shown, f"trial{number}")
