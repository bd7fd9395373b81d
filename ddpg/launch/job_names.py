"""Job folder names of a sweep: `<the swept values, short> job<number>`, one safe component.

TensorBoard names a run after its folder and cuts long names short, so the values that tell
jobs apart come first, with short keys (:data:`SHORT_KEYS`, else the key's last part) and short
numbers (`1e-4`): `alr=1e-4 tau=0.001 rn=running s=0 job7`. Treatments come first, in the order
the sweep declares them, then the seed, then locations such as `resume`; the job number last
keeps every folder unique (a repeated value, a swept key the name leaves out). The parts are
separated by spaces (:data:`SEPARATOR`) because TensorBoard's Time Series run list (256 px wide)
wraps a name only at a space: a name of commas runs past its edge, cutting off the seed.

Also reads what a sweep declares (:func:`sweep_overrides`, shared with ddpg.launch.sweep_hparams);
which of its keys a name shows is ddpg.analysis.swept's rule
(:data:`ddpg.analysis.swept.JOB_NAME_ROLES`). The
``ddpg_job_dirname`` resolver (conf/hydra/default.yaml, ``hydra.sweep.subdir``) is registered
when this module is imported; ddpg.run imports it before Hydra composes.
"""

from __future__ import annotations

import contextlib
import hashlib
import math
from collections import Counter
from collections.abc import Mapping, Sequence
from pathlib import Path
from typing import Any

import numpy as np
from hydra.core.override_parser.overrides_parser import OverridesParser
from hydra.core.override_parser.types import Override
from omegaconf import DictConfig, OmegaConf

from ddpg.analysis.swept import JOB_NAME_ROLES, role

#: Short names of keys that sweeps often vary; any other key shows its last dotted part, and
#: keys whose short names coincide show in full.
SHORT_KEYS = {
    "agent.actor_lr": "alr",
    "agent.critic_lr": "clr",
    "agent.critic_weight_decay": "wd",
    "agent.batch_size": "bs",
    "reward_norm": "rn",
    "seed": "s",
    "experiment": "exp",
}
_ROLE_ORDER = {"treatment": 0, "seed": 1, "location": 2}
NAME_MAX = 200  # job folder names stay well under the usual 255-byte limit
#: Between a name's `key=value` parts and before its number: where TensorBoard wraps a run name.
SEPARATOR = " "
_swept_by_dir: dict[str, list[str]] = {}


def sweep_overrides(config: DictConfig) -> dict[str, list[Any] | None]:
    """The keys a sweep declares as swept -> their values (None where a sweeper samples a range).

    `config` is the sweep's multirun.yaml. Sweeper params first, then the command line, merged
    as Hydra's basic sweeper does (a later plain value of a key ends its sweep). Keys are as
    overridden (`reward_norm`, `agent.tau`), every role included: callers keep the roles they
    show (ddpg.analysis.swept).
    """
    params = config.hydra.sweeper.get("params") or {}
    lines = [f"{key}={value}" for key, value in params.items()]
    swept: dict[str, list[Any] | None] = {}
    for override in OverridesParser.create().parse_overrides(
        lines + list(config.hydra.overrides.task)
    ):
        swept.pop(override.key_or_group, None)
        if override.is_sweep_override() and not override.is_delete():
            values = list(override.sweep_iterator()) if override.is_discrete_sweep() else None
            swept[override.key_or_group] = values
    return swept


def job_dirname(num: int, task: Sequence[str], sweep_dir: str) -> str:
    """A job's folder name: `<key=value ...> job<num>` for the keys the sweep varies.

    The swept keys come from the sweep's multirun.yaml, which Hydra writes before any job
    starts (without one, every override is a candidate); of those, the name shows treatments,
    the seed and locations such as `resume` (ddpg.analysis.swept.JOB_NAME_ROLES), never bookkeeping
    such as `trainer.progress`. The name is one safe path component (:func:`folder_name`).
    """
    if sweep_dir not in _swept_by_dir:
        with contextlib.suppress(Exception):  # no record of the sweep: every override
            multirun = OmegaConf.load(Path(sweep_dir) / "multirun.yaml")
            assert isinstance(multirun, DictConfig)
            _swept_by_dir[sweep_dir] = list(sweep_overrides(multirun))
    swept = _swept_by_dir.get(sweep_dir)
    overrides = [
        o
        for o in OverridesParser.create().parse_overrides(list(task))
        if (swept is None or o.key_or_group in swept) and role(o.key_or_group) in JOB_NAME_ROLES
    ]
    declared = swept or [o.key_or_group for o in overrides]
    overrides.sort(
        key=lambda o: (_ROLE_ORDER[role(o.key_or_group)], declared.index(o.key_or_group))
    )
    keys = short_keys([o.key_or_group for o in overrides])
    shown = [f"{keys[o.key_or_group]}={_short_value(o)}" for o in overrides]
    return folder_name(shown, f"job{num}")


def folder_name(parts: Sequence[str], number: str) -> str:
    """`parts` and then `number` (`job7`, `trial7`), joined by SEPARATOR, as one safe path
    component on Linux, macOS and SLURM's shared file systems: "/", "\\" and control characters
    become "_", and the parts past NAME_MAX bytes are cut, with a hash of them that keeps the
    name unique. Tune's trial folders share it (ddpg.tune.trial_names)."""
    name = "".join("_" if c in "/\\" or ord(c) < 32 else c for c in SEPARATOR.join(parts))
    if len(name.encode()) > NAME_MAX:
        digest = hashlib.sha1(name.encode()).hexdigest()[:8]
        name = name.encode()[: NAME_MAX - 9].decode(errors="ignore").rstrip() + "~" + digest
    return f"{name}{SEPARATOR}{number}" if name else number


def short_keys(keys: Sequence[str], names: Mapping[str, str] = SHORT_KEYS) -> dict[str, str]:
    """Each key's short name (from `names`, else its last dotted part); keys whose short names
    coincide keep their full names. Tune's trial folders share it (ddpg.tune.trial_names)."""
    short = {key: names.get(key, key.rsplit(".", 1)[-1]) for key in keys}
    counts = Counter(short.values())
    return {key: name if counts[name] == 1 else key for key, name in short.items()}


def _short_value(override: Override) -> str:
    """A float in the shortest form that reads back the same (`0.0001` as `1e-4`), else the
    value as written."""
    value = override.value()
    if isinstance(value, float) and math.isfinite(value) and value != 0:
        if abs(value) < 1e-3 or abs(value) >= 1e5:
            return np.format_float_scientific(value, trim="-", exp_digits=1)
        return repr(value)
    return override.get_value_element_as_str()


OmegaConf.register_new_resolver("ddpg_job_dirname", job_dirname, replace=True)
