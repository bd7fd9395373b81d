"""Job folder names of a sweep: `<job number>_<the swept key=value pairs>`, one safe component.

Also reads what a sweep declares (:func:`sweep_overrides`, shared with ddpg.launch.sweep_hparams);
which of its keys a name shows is ddpg.analysis.swept's rule
(:data:`ddpg.analysis.swept.JOB_NAME_ROLES`). The
``ddpg_job_dirname`` resolver (conf/hydra/default.yaml, ``hydra.sweep.subdir``) is registered
when this module is imported; ddpg.run imports it before Hydra composes.
"""

from __future__ import annotations

import contextlib
import hashlib
from collections.abc import Sequence
from pathlib import Path
from typing import Any

from hydra.core.override_parser.overrides_parser import OverridesParser
from omegaconf import DictConfig, OmegaConf

from ddpg.analysis.swept import JOB_NAME_ROLES, role

NAME_MAX = 200  # job folder names stay well under the usual 255-byte limit
_swept_by_dir: dict[str, set[str]] = {}


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
    """A job's folder name: `<num>_<key=value,...>` for the keys the sweep varies.

    The swept keys come from the sweep's multirun.yaml, which Hydra writes before any job
    starts (without one, every override is a candidate); of those, the name shows treatments,
    the seed and locations such as `resume` (ddpg.analysis.swept.JOB_NAME_ROLES), never bookkeeping
    such as `trainer.progress`. The name is one safe path component: "/" becomes "_", and a long
    name is cut to NAME_MAX bytes plus a hash that keeps it unique.
    """
    if sweep_dir not in _swept_by_dir:
        with contextlib.suppress(Exception):  # no record of the sweep: every override
            multirun = OmegaConf.load(Path(sweep_dir) / "multirun.yaml")
            assert isinstance(multirun, DictConfig)
            _swept_by_dir[sweep_dir] = set(sweep_overrides(multirun))
    swept = _swept_by_dir.get(sweep_dir)
    shown = sorted(
        f"{o.get_key_element()}={o.get_value_element_as_str()}"
        for o in OverridesParser.create().parse_overrides(list(task))
        if (swept is None or o.key_or_group in swept) and role(o.key_or_group) in JOB_NAME_ROLES
    )
    name = "".join("_" if c == "/" or ord(c) < 32 else c for c in ",".join(shown))
    if len(name.encode()) > NAME_MAX:
        digest = hashlib.sha1(name.encode()).hexdigest()[:8]
        name = name.encode()[: NAME_MAX - 9].decode(errors="ignore") + "~" + digest
    return f"{num}_{name}" if name else str(num)


OmegaConf.register_new_resolver("ddpg_job_dirname", job_dirname, replace=True)
