"""Which keys a sweep varies: the one rule behind job folder names, HParams and compare's groups.

Keys are params.json's: the run config flattened to dotted keys (``agent.tau``). Each key a
sweep can vary has one role (:func:`role`), and each view of a sweep shows some roles:

- ``treatment``: a setting being compared, such as ``agent.tau``, ``reward_norm.name`` or
  ``experiment`` (the ``+experiment=`` preset). compare groups runs by the treatments.
- ``seed``: ``seed`` (or any ``*.seed``) repeats a setting rather than changing it: compare
  pools a group's runs over it; the HParams table and job folder names show it.
- ``location``: where a run lives or which run it continues (``resume``, ``output_dir``,
  any ``*_path`` or ``*_file``): it tells jobs apart in their folder names, nothing more.
- ``bookkeeping``: how a run is shown or launched (``trainer.progress``, ``hydra.*``,
  ``population.*``). Never shown.

A config-group option (``reward_norm=running``) is one treatment, named by its option key
``reward_norm.name`` (:func:`option_key`); its sub-keys that only follow the option
(``reward_norm.gamma`` when ``reward_norm=none,episode_return``) are part of it, not
treatments of their own. Of the runs' differing keys, only those the runs' overrides set count
(a group override covers its sub-keys): the rest follow from them (``env=mountaincar`` also
changes ``agent.learning_starts``). Where no override explains a difference, or none are
known (jobs trained together in one process), every differing key counts.

:func:`swept_keys` applies the rule to a plain list of flattened params dicts. Hydra's side
(ddpg.launch.job_names, ddpg.launch.sweep_hparams) applies :func:`role` and :func:`option_key` to
the override keys of a sweep declared in multirun.yaml, before any job has params.
"""

from __future__ import annotations

import json
import math
import numbers
from collections.abc import Collection, Hashable, Mapping, Sequence
from typing import Any, Literal

Role = Literal["treatment", "seed", "location", "bookkeeping"]

SEED = "seed"
#: Keys that only change how a run is shown or launched (each covers the keys below it, and
#: a group override `hydra/launcher`): a progress bar, Hydra's own settings, and how many jobs
#: train together in one process.
BOOKKEEPING = ("trainer.progress", "hydra", "population")
#: Keys naming where a run is or which run it continues (they differ by construction), and the
#: last parts of the dotted keys that do so (`dir`, `output_dir`, `env.kwargs.xml_file`).
LOCATION = ("resume",)
LOCATION_WORDS = ("dir", "path", "file")

#: The roles each view of a sweep shows.
GROUP_ROLES: tuple[Role, ...] = ("treatment",)  # ddpg.compare groups runs by these
HPARAMS_ROLES: tuple[Role, ...] = ("treatment", "seed")  # the sweep's HParams table
JOB_NAME_ROLES: tuple[Role, ...] = ("treatment", "seed", "location")  # job folder names


def role(key: str) -> Role:
    """The role of a dotted key (or an override's key: ``reward_norm``, ``hydra/launcher``)."""
    if any(key == k or key.startswith((f"{k}.", f"{k}/")) for k in BOOKKEEPING):
        return "bookkeeping"
    last = key.rsplit(".", 1)[-1]
    if last == SEED:
        return "seed"
    if key in LOCATION or any(last == w or last.endswith(f"_{w}") for w in LOCATION_WORDS):
        return "location"
    return "treatment"


def option_key(key: str, keys: Collection[str]) -> str:
    """The params key that names `key`'s value: ``<group>.name`` for a config group among
    `keys` (``reward_norm`` -> ``reward_norm.name``), else `key` itself."""
    name = f"{key}.name"
    return name if key not in keys and name in keys else key


def swept_keys(
    params: Sequence[Mapping[str, Any]],
    overridden: Collection[str] = (),
    roles: Collection[Role] = GROUP_ROLES,
) -> list[str]:
    """The keys, in `roles`, whose values differ between runs; in order of first appearance.

    Args:
        params: Each run's flattened config (dotted key -> value, as in params.json); a key a
            run lacks counts as null. Pass only runs whose values were used: a job that failed
            validation (``agent.tau=5``) must not make its bad value a treatment.
        overridden: Every key some run's overrides set (``agent.tau``, ``reward_norm``). Empty:
            unknown, so every differing key counts.
        roles: The roles to return; by default the treatments, by which compare groups runs.
    """
    keys = list(dict.fromkeys(k for p in params for k in p))
    columns = {k: [_comparable(p.get(k)) for p in params] for k in keys}
    differ = [k for k in keys if role(k) in roles and len(set(columns[k])) > 1]
    explained = [k for k in differ if any(k == o or k.startswith(f"{o}.") for o in overridden)]
    chosen = explained or differ
    return [k for k in chosen if not _follows_option(k, chosen, columns)]


def _follows_option(key: str, chosen: list[str], columns: Mapping[str, list[Hashable]]) -> bool:
    """Whether `key` is a sub-key of a chosen option key with one value per option."""
    name = f"{key.rsplit('.', 1)[0]}.name"
    if "." not in key or key == name or name not in chosen:
        return False
    per_option: dict[Hashable, set[Hashable]] = {}
    for option, value in zip(columns[name], columns[key], strict=True):
        per_option.setdefault(option, set()).add(value)
    return all(len(values) == 1 for values in per_option.values())


def _comparable(value: Any) -> Hashable:
    """`value` as one hashable: numbers as floats (1 == 1.0), null and NaN alike (a missing
    key), lists and dicts as JSON text (as compare keeps them)."""
    if isinstance(value, bool | str):
        return (type(value).__name__, value)
    if isinstance(value, numbers.Real):
        return None if math.isnan(value) else ("number", float(value))
    if value is None:
        return None
    return ("json", json.dumps(value, sort_keys=True, default=str))
