"""The search space of `ddpg.tune` as data: parse and check `conf/search/`, sample a trial.

A search config lists dimensions; each is one Optuna parameter::

    - name: agent.tau            # a dotted config key, or a config group (noise, network)
      type: float                # float | int | categorical
      low: 0.001
      high: 0.08
      log: true
    - name: one_minus_gamma      # a derived parameter names the keys it sets and how
      type: float
      low: 1.0e-4
      high: 0.03
      log: true
      sets: {agent.gamma: one_minus}   # agent.gamma = 1 - value
    - name: noise.sigma
      type: float
      low: 0.0
      high: 1.0
      when: {noise: [ou, gaussian]}    # sampled only when an earlier dimension took these values

A trial's values become Hydra overrides (``agent.tau=0.0123``, ``noise=ou``), so a trial is
composed exactly as ``python -m ddpg.run <overrides>`` would compose it.
"""

from __future__ import annotations

import math
import re
from collections.abc import Mapping, Sequence
from dataclasses import dataclass, field
from typing import Any, Protocol

from ddpg.config.schema import ConfigError

TYPES = ("float", "int", "categorical")
#: How a dimension's value becomes a config value: the value itself, or 1 - value (a
#: discount searched as its distance to 1, on a log scale).
TRANSFORMS = ("value", "one_minus")
FIELDS = ("name", "type", "low", "high", "log", "choices", "sets", "when")
_PLAIN = re.compile(r"^[A-Za-z0-9_.\-+]+$")


class Suggester(Protocol):
    """The part of ``optuna.Trial`` a space samples with."""

    def suggest_float(self, name: str, low: float, high: float, *, log: bool = False) -> float: ...

    def suggest_int(self, name: str, low: int, high: int, *, log: bool = False) -> int: ...

    def suggest_categorical(self, name: str, choices: Sequence[Any]) -> Any: ...


@dataclass(frozen=True)
class Dimension:
    """One searched parameter: its Optuna name and distribution, the config keys it sets."""

    name: str
    type: str
    low: float | None = None
    high: float | None = None
    log: bool = False
    choices: tuple[Any, ...] = ()
    sets: tuple[tuple[str, str], ...] = ()  # (config key, transform)
    when: tuple[tuple[str, tuple[Any, ...]], ...] = ()  # (earlier dimension, its values)

    def targets(self) -> list[str]:
        """The config keys (or groups) this dimension sets."""
        return [key for key, _ in self.sets]


@dataclass(frozen=True)
class SearchSpace:
    """The dimensions of a search, in sampling order."""

    name: str
    dimensions: tuple[Dimension, ...] = field(default_factory=tuple)

    def targets(self) -> list[str]:
        """Every config key or group some dimension sets."""
        return [key for d in self.dimensions for key in d.targets()]


def parse_space(search: Mapping[str, Any]) -> SearchSpace:
    """The `search:` config node as a checked SearchSpace.

    Raises:
        ConfigError: Naming the dimension and field: an unknown field or type, an empty or
            inverted range, a log range that reaches 0, no choices, a repeated name, a `when`
            that names no earlier categorical dimension or a value it cannot take.
    """
    raw = search.get("dimensions")
    if not isinstance(raw, Sequence) or isinstance(raw, str) or not raw:
        raise ConfigError("search.dimensions must be a non-empty list of dimensions")
    dimensions: list[Dimension] = []
    for index, item in enumerate(raw):
        dimension = _dimension(item, index, {d.name: d for d in dimensions})
        dimensions.append(dimension)
    return SearchSpace(str(search.get("name") or "search"), tuple(dimensions))


def _dimension(item: Any, index: int, earlier: Mapping[str, Dimension]) -> Dimension:
    where = f"search.dimensions[{index}]"
    if not isinstance(item, Mapping):
        raise ConfigError(f"{where} must be a mapping with name, type and a range or choices")
    name = item.get("name")
    if not isinstance(name, str) or not name:
        raise ConfigError(f"{where}: name must be a config key or a parameter name")
    where = f"search dimension {name!r}"
    unknown = sorted(set(map(str, item)) - set(FIELDS))
    if unknown:
        raise ConfigError(f"{where}: unknown field {unknown[0]!r} (fields: {', '.join(FIELDS)})")
    if name in earlier:
        raise ConfigError(f"{where}: the name is used twice")
    kind = item.get("type")
    if kind not in TYPES:
        raise ConfigError(f"{where}: type={kind!r} is invalid: expected one of {', '.join(TYPES)}")
    sets = _sets(item.get("sets"), name, kind, where)
    when = _when(item.get("when"), earlier, where)
    if kind == "categorical":
        return Dimension(name, kind, choices=_choices(item, where), sets=sets, when=when)
    low, high, log = _range(item, kind, where)
    return Dimension(name, kind, low, high, log, sets=sets, when=when)


def _range(item: Mapping[str, Any], kind: str, where: str) -> tuple[float, float, bool]:
    if item.get("choices") is not None:
        raise ConfigError(f"{where}: choices belong to type categorical, not {kind}")
    number = int if kind == "int" else (int, float)
    for key in ("low", "high"):
        value = item.get(key)
        ok = isinstance(value, number) and not isinstance(value, bool)
        if not ok or not math.isfinite(value):  # type: ignore[arg-type]
            raise ConfigError(f"{where}: {key}={value!r} is invalid: expected a finite {kind}")
    low, high, log = item["low"], item["high"], item.get("log", False)
    if not low < high:
        raise ConfigError(f"{where}: the range [{low}, {high}] is empty: expected low < high")
    if not isinstance(log, bool):
        raise ConfigError(f"{where}: log={log!r} is invalid: expected true or false")
    if log and low <= 0:
        raise ConfigError(f"{where}: a log range needs low > 0 (low={low})")
    if kind == "float":
        return float(low), float(high), log
    return low, high, log


def _choices(item: Mapping[str, Any], where: str) -> tuple[Any, ...]:
    for key in ("low", "high", "log"):
        if item.get(key) is not None:
            raise ConfigError(f"{where}: {key} belongs to float and int dimensions")
    choices = item.get("choices")
    if not isinstance(choices, Sequence) or isinstance(choices, str) or not choices:
        raise ConfigError(f"{where}: choices must be a non-empty list")
    scalar = (str, int, float, bool, type(None))
    if not all(isinstance(c, scalar) for c in choices):
        raise ConfigError(f"{where}: choices must be numbers, strings, booleans or null")
    if len(set(map(repr, choices))) < len(choices):
        raise ConfigError(f"{where}: choices repeat a value")
    return tuple(choices)


def _sets(raw: Any, name: str, kind: str, where: str) -> tuple[tuple[str, str], ...]:
    if raw is None:
        return ((name, "value"),)
    if not isinstance(raw, Mapping) or not raw:
        raise ConfigError(f"{where}: sets must map config keys to one of {', '.join(TRANSFORMS)}")
    for key, transform in raw.items():
        if transform not in TRANSFORMS:
            raise ConfigError(
                f"{where}: sets.{key}={transform!r} is invalid: expected one of "
                + ", ".join(TRANSFORMS)
            )
        if transform == "one_minus" and kind != "float":
            raise ConfigError(f"{where}: one_minus applies to float dimensions only")
    return tuple((str(key), str(transform)) for key, transform in raw.items())


def _when(
    raw: Any, earlier: Mapping[str, Dimension], where: str
) -> tuple[tuple[str, tuple[Any, ...]], ...]:
    if raw is None:
        return ()
    if not isinstance(raw, Mapping) or not raw:
        raise ConfigError(f"{where}: when must map earlier dimensions to lists of their values")
    out = []
    for other, values in raw.items():
        parent = earlier.get(str(other))
        if parent is None or parent.type != "categorical":
            raise ConfigError(f"{where}: when names {other!r}, no earlier categorical dimension")
        values = (
            tuple(values)
            if isinstance(values, Sequence) and not isinstance(values, str)
            else (values,)
        )
        missing = [v for v in values if v not in parent.choices]
        if missing:
            raise ConfigError(f"{where}: when {other}={missing[0]!r} is not among its choices")
        out.append((str(other), tuple(values)))
    return tuple(out)


def sample(space: SearchSpace, trial: Suggester) -> dict[str, Any]:
    """One value per dimension whose `when` holds, drawn through `trial` in space order."""
    values: dict[str, Any] = {}
    for d in space.dimensions:
        if not all(values.get(other, _SKIPPED) in allowed for other, allowed in d.when):
            continue
        if d.type == "categorical":
            values[d.name] = trial.suggest_categorical(d.name, list(d.choices))
        elif d.type == "int":
            values[d.name] = trial.suggest_int(d.name, int(d.low), int(d.high), log=d.log)  # type: ignore[arg-type]
        else:
            values[d.name] = trial.suggest_float(d.name, d.low, d.high, log=d.log)  # type: ignore[arg-type]
    return values


_SKIPPED = object()


def overrides(space: SearchSpace, values: Mapping[str, Any]) -> list[str]:
    """The Hydra overrides that give a trial its `values` (one per key a dimension sets)."""
    out = []
    for d in space.dimensions:
        if d.name not in values:
            continue
        for key, transform in d.sets:
            value = values[d.name]
            out.append(f"{key}={override_value(1 - value if transform == 'one_minus' else value)}")
    return out


def override_value(value: Any) -> str:
    """A value in Hydra's override grammar: full-precision floats, null, quoted odd strings."""
    if value is None:
        return "null"
    if isinstance(value, bool):
        return "true" if value else "false"
    if isinstance(value, float):
        return repr(value)
    text = str(value)
    return (
        text if _PLAIN.match(text) else "'" + text.replace("\\", "\\\\").replace("'", "\\'") + "'"
    )
