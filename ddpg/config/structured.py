"""Plain mappings -> validated dataclasses through OmegaConf structured configs, one-line errors.

OmegaConf does the key and type checking (`OmegaConf.structured` + `merge` + `to_object`, which
runs each dataclass's `__post_init__`); this module only rejects non-finite floats, which
OmegaConf accepts, and required values (`???`), which a merge would replace by the defaults, and
turns OmegaConf's errors into a ConfigError whose one line names the dotted key and what it
should be.
"""

from __future__ import annotations

import dataclasses
import math
import re
import types
import typing
from collections.abc import Mapping
from pathlib import Path
from typing import Any, TypeVar

from omegaconf import DictConfig, OmegaConf
from omegaconf.errors import (
    ConfigKeyError,
    MissingMandatoryValue,
    OmegaConfBaseException,
    ValidationError,
)

T = TypeVar("T")

#: What a value of each declared type must be, in the words of an error message.
_EXPECTED = {
    bool: "true or false",
    int: "an integer",
    float: "a finite number",
    str: "a string",
    Path: "a path",
    Any: "a value",
}


class ConfigError(ValueError):
    """A config value is missing, of the wrong type or out of range. The message names the key."""


def check(ok: bool, key: str, value: Any, allowed: str) -> None:
    """Raise ConfigError `<key>=<value> is invalid: expected <allowed>` unless `ok`."""
    if not ok:
        raise ConfigError(f"{key}={value!r} is invalid: expected {allowed}")


def from_mapping(cls: type[T], data: Mapping[str, Any], prefix: str = "") -> T:
    """Build dataclass `cls` from a plain mapping, checked against its declared types.

    OmegaConf converts values as Hydra overrides and YAML do: "7" -> 7 for an int, 1 -> 1.0 for
    a float, 1/0 and "true"/"yes"/"off" for a bool, anything to a str; never 3.0 -> 3. A nan or
    inf is rejected in every float field; free-form mappings (`dict[str, Any]`) pass as given.

    Args:
        cls: The dataclass to build; nested dataclass fields take nested mappings.
        data: The keys to set; missing keys keep their defaults.
        prefix: Prepended to key names in errors ("env." for an EnvConfig on its own).

    Returns:
        The instance, after every `__post_init__` has checked its ranges.

    Raises:
        ConfigError: One line naming the dotted key: `<key>=<value> is invalid: expected ...`,
            `<key> is not a known key (known: ...)` or `<key> is required: expected ...`.
    """
    try:
        _reject_missing(cls, data, prefix)
        merged = OmegaConf.merge(OmegaConf.structured(cls), data)
        assert isinstance(merged, DictConfig)
        _reject_non_finite(merged, prefix)
        built = OmegaConf.to_object(merged)
    except OmegaConfBaseException as error:
        raise _config_error(error, cls, data, prefix) from None
    assert isinstance(built, cls)
    return built


def field_type(cls: type, key: str) -> Any:
    """The declared type of dotted `key` in dataclass `cls` ("agent.tau" -> float); None if the
    key is not declared. Optional[X] stays as declared; list items and dict values step in."""
    hint: Any = cls
    for part in re.findall(r"[^.\[\]]+", key):
        hint = _strip_optional(hint)
        if dataclasses.is_dataclass(hint):
            hint = typing.get_type_hints(hint).get(part)
        elif typing.get_origin(hint) in (list, dict):
            hint = typing.get_args(hint)[-1]
        else:
            return None
    return hint


def flatten(data: Mapping[str, Any], prefix: str = "") -> dict[str, Any]:
    """Flatten nested mappings to dotted keys: {"agent": {"tau": 1}} -> {"agent.tau": 1}."""
    flat: dict[str, Any] = {}
    for key, value in data.items():
        if isinstance(value, Mapping) and value:
            flat.update(flatten(value, f"{prefix}{key}."))
        else:
            flat[f"{prefix}{key}"] = value
    return flat


def _reject_missing(cls: type, data: Mapping[str, Any], prefix: str) -> None:
    # A `???` (OmegaConf's "required", e.g. conf/env/gym.yaml's id) would otherwise merge as
    # "not given" and silently keep the dataclass default.
    missing = sorted(OmegaConf.missing_keys(OmegaConf.create(dict(data))))
    if missing:
        key = missing[0]
        raise ConfigError(f"{prefix}{key} is required: expected {_describe(field_type(cls, key))}")


def _reject_non_finite(node: DictConfig, prefix: str) -> None:
    # OmegaConf takes nan and inf (and the strings "nan", "inf") as floats; no setting here
    # means anything by them, and a range check like `0 < tau <= 1` would word it oddly.
    for key, value in node.items():
        name = prefix + str(key)
        if isinstance(value, DictConfig):
            if dataclasses.is_dataclass(OmegaConf.get_type(value)):  # not env.kwargs
                _reject_non_finite(value, name + ".")
        elif isinstance(value, float) and not math.isfinite(value):
            raise ConfigError(f"{name}={value!r} is invalid: expected {_EXPECTED[float]}")


def _config_error(
    error: OmegaConfBaseException, cls: type, data: Mapping[str, Any], prefix: str
) -> ConfigError:
    """OmegaConf's error as one line naming the dotted key and what its value should be."""
    key = str(getattr(error, "full_key", None) or _misplaced_group(cls, data) or "")
    name = prefix + key
    if isinstance(error, ConfigKeyError):
        parent = field_type(cls, key.rpartition(".")[0])
        known = (
            [f.name for f in dataclasses.fields(parent)] if dataclasses.is_dataclass(parent) else []
        )
        return ConfigError(f"{name} is not a known key (known: {', '.join(known)})")
    expected = _describe(field_type(cls, key)) if key else ""
    if isinstance(error, MissingMandatoryValue):
        return ConfigError(f"{name} is required: expected {expected}")
    if isinstance(error, ValidationError) and expected:
        value = _lookup(data, key, getattr(error, "value", None))
        return ConfigError(f"{name}={value!r} is invalid: expected {expected}")
    # Anything else (an interpolation that does not resolve, a non-string dict key): OmegaConf's
    # own first line, still under the key.
    return ConfigError(f"{name or '<config>'} is invalid: {str(error).splitlines()[0]}")


def _misplaced_group(cls: Any, data: Mapping[str, Any], prefix: str = "") -> str | None:
    """The first nested-dataclass key given something other than a mapping, which OmegaConf's
    merge error does not name."""
    hints = typing.get_type_hints(cls)
    for name, value in data.items():
        hint = hints.get(name)
        if dataclasses.is_dataclass(hint):
            if not isinstance(value, Mapping):
                return prefix + name
            found = _misplaced_group(hint, value, f"{prefix}{name}.")
            if found:
                return found
    return None


def _lookup(data: Any, key: str, default: Any) -> Any:
    """The value at dotted `key` ("network.actor_hidden[1]") as the caller gave it."""
    try:
        for part in re.findall(r"[^.\[\]]+", key):
            data = data[int(part)] if isinstance(data, list | tuple) else data[part]
    except (LookupError, TypeError, ValueError):
        return default
    return data


def _describe(hint: Any) -> str:
    inner = _strip_optional(hint)
    if inner is not hint:
        return f"{_describe(inner)} or null"
    if dataclasses.is_dataclass(hint):
        return "a group of keys"
    origin = typing.get_origin(hint)
    if origin is list:
        return "a list"
    if origin is dict:
        return "a mapping"
    return _EXPECTED.get(hint, str(hint))


def _strip_optional(hint: Any) -> Any:
    """X for `X | None`, else `hint` itself."""
    if typing.get_origin(hint) in (typing.Union, types.UnionType):
        options = [o for o in typing.get_args(hint) if o is not type(None)]
        if len(options) == 1:
            return options[0]
    return hint
