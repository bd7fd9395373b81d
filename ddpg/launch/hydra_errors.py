"""Hydra's own errors before a job starts, as the project's one line: exit code 2, no traceback.

Hydra reports what goes wrong before the task function runs in its own words: a config-group
typo in nine lines (the options one a line, the search path, the HYDRA_FULL_ERROR hint), an
unknown group with a `+group=option` hint that only adds a key the run then refuses, a
launcher's refused setting in four, an output folder it cannot make in a traceback. A
command's `main()` called inside `one_line_errors()` ends these as every bad value ends
(ddpg.config.schema.ConfigError): one line on stderr,
`error: <the key, group or option, and what exists>`, exit code 2. Anything else is left to
Hydra's report, and `HYDRA_FULL_ERROR=1` still shows Hydra's whole traceback.
"""

from __future__ import annotations

import contextlib
import difflib
import os
import re
import sys
from collections.abc import Callable, Iterator
from typing import Any

import hydra._internal.utils as hydra_utils
from hydra.core.global_hydra import GlobalHydra
from hydra.errors import (
    ConfigCompositionException,
    HydraException,
    InstantiationException,
    MissingConfigException,
    OverrideParseException,
)
from omegaconf.errors import OmegaConfBaseException

from ddpg.config.schema import ConfigError

__all__ = ["describe", "omegaconf_line", "one_line_errors"]


@contextlib.contextmanager
def one_line_errors() -> Iterator[None]:
    """Within the block, an error Hydra would report in many lines ends with one (exit code 2).

    Hydra reports through `hydra._internal.utils.run_and_report`; the block wraps what that runs
    and puts it back on leaving, so no other app in the process sees a change.
    """
    original = hydra_utils.run_and_report

    def run_and_report(func: Callable[[], Any]) -> Any:
        return original(lambda: _reported(func))

    hydra_utils.run_and_report = run_and_report
    try:
        yield
    finally:
        hydra_utils.run_and_report = original


def _reported(func: Callable[[], Any]) -> Any:
    try:
        return func()
    except Exception as error:
        line = None if os.environ.get("HYDRA_FULL_ERROR") == "1" else describe(error)
        if line is None:
            raise
    print(f"error: {line}", file=sys.stderr, flush=True)
    raise SystemExit(2)


def describe(error: BaseException) -> str | None:
    """One line for an error Hydra raised before a job started, or None to leave it to Hydra."""
    cause = _config_error(error)
    if cause is not None:  # raised by our code inside Hydra (a resolver, a launcher)
        return str(cause)
    if isinstance(error, MissingConfigException) and error.missing_cfg_file:
        group, _, option = error.missing_cfg_file.rpartition("/")
        if group and error.options is not None:
            return _unknown_option(group, option, list(error.options))
    if isinstance(error, ConfigCompositionException):
        overridden = re.match(r"Could not override '([^']+)'", str(error))
        if overridden:
            return _unknown_key(overridden[1], str(error))
    if isinstance(error, OverrideParseException):
        return f"{error.override} is invalid: {_first_line(error)}"
    if isinstance(error, InstantiationException) and error.__cause__ is not None:
        full_key = re.search(r"full_key: (\S+)", str(error))
        reason = _first_line(error.__cause__)
        if full_key and not reason.startswith(full_key[1]):
            return f"{full_key[1]}: {reason}"
        return reason
    if isinstance(error, OSError) and not isinstance(error, HydraException) and error.filename:
        # Hydra makes the run or sweep folder (and .hydra/) before any of our code runs.
        return (
            f"cannot write {error.filename}: {error.strerror} (the output folder: "
            "hydra.run.dir, or hydra.sweep.dir with -m)"
        )
    if isinstance(error, OmegaConfBaseException):
        return omegaconf_line(error)
    if isinstance(error, HydraException):
        return _first_line(error)
    return None


def omegaconf_line(error: OmegaConfBaseException) -> str:
    """An OmegaConf error's first line, after the key it concerns (`full_key`) where known."""
    key = getattr(error, "full_key", None)
    line = _first_line(error)
    return f"{key}: {line}" if key and key not in line else line


def _unknown_option(group: str, option: str, options: list[str]) -> str:
    return (
        f"{group}={option} is invalid: config group {group} has no option {option!r}"
        f"{_did_you_mean(option, options)} (options: {', '.join(sorted(options))})"
    )


def _unknown_key(key: str, message: str) -> str:
    """`Could not override 'KEY'`: a group the defaults list lacks, a typo'd group, or a key
    the config does not have."""
    value = re.search(r"use \+\S+?=(.*)$", message, re.MULTILINE)
    setting = f"{key}={value[1]}" if value else key
    groups = _groups()
    if key in groups:  # a real group that is not in the defaults list (e.g. experiment)
        return (
            f"{setting} is invalid: config group {key} is not in the defaults list; "
            f"add it with +{setting}"
        )
    parent, _, leaf = key.rpartition(".")
    if parent:
        return f"{setting} is invalid: {parent} has no key {leaf!r}"
    return (
        f"{setting} is invalid: no config group or key {key!r}"
        f"{_did_you_mean(key, groups)} (config groups: {', '.join(groups)})"
    )


def _groups() -> list[str]:
    """The config groups the app's search path offers, Hydra's own left out."""
    if not GlobalHydra.instance().is_initialized():
        return []
    loader = GlobalHydra.instance().config_loader()
    return sorted(group for group in loader.list_groups("") if group != "hydra")


def _did_you_mean(name: str, known: list[str]) -> str:
    close = difflib.get_close_matches(name, known, n=1)
    return f"; did you mean {close[0]}?" if close else ""


def _config_error(error: BaseException) -> ConfigError | None:
    chain: list[BaseException] = []
    seen: BaseException | None = error
    while seen is not None and seen not in chain:  # a chain may loop back on itself
        if isinstance(seen, ConfigError):
            return seen
        chain.append(seen)
        seen = seen.__cause__ or seen.__context__
    return None


def _first_line(error: BaseException) -> str:
    lines = [line.strip() for line in str(error).splitlines() if line.strip()]
    return lines[0] if lines else type(error).__name__
