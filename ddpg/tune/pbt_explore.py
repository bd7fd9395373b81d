"""Population-based training's explore (ddpg.tune.pbt): the values a member that copied another
trains on next, each dimension resampled or perturbed by x0.8 or x1.25 and clipped to its range,
every draw from the study's Generator; and the `pbt/<dimension>` scalars its values log."""

from __future__ import annotations

import math
from typing import Any

import numpy as np

from ddpg.tune.space import Dimension, SearchSpace

PERTURB = (0.8, 1.25)
_SKIPPED = object()


def explore(
    space: SearchSpace, values: dict[str, Any], rng: np.random.Generator, resample: float
) -> dict[str, Any]:
    """New values from `values`: each active dimension resampled with probability `resample`,
    else perturbed (x0.8 or x1.25, clipped to its range; a categorical kept). A dimension that
    becomes active (its `when` now holds) is drawn afresh."""
    out: dict[str, Any] = {}
    for d in space.dimensions:
        if not all(out.get(other, _SKIPPED) in allowed for other, allowed in d.when):
            continue
        old = values.get(d.name, _SKIPPED)
        if old is _SKIPPED or rng.random() < resample:
            out[d.name] = _draw(d, rng)
        elif d.type == "categorical":
            out[d.name] = old
        else:
            value = min(max(old * PERTURB[int(rng.integers(2))], d.low), d.high)  # type: ignore[type-var]
            out[d.name] = int(round(value)) if d.type == "int" else float(value)
    return out


def _draw(d: Dimension, rng: np.random.Generator) -> Any:
    if d.type == "categorical":
        return d.choices[int(rng.integers(len(d.choices)))]
    low, high = float(d.low), float(d.high)  # type: ignore[arg-type]
    if d.type == "int":
        return int(rng.integers(int(low), int(high) + 1))
    if d.log:
        return float(math.exp(rng.uniform(math.log(low), math.log(high))))
    return float(rng.uniform(low, high))


def scalars(space: SearchSpace, values: dict[str, Any]) -> dict[str, float]:
    """`pbt/<dimension>` of each value: a number as is, a categorical as its choice's index."""
    out = {}
    for d in space.dimensions:
        if d.name in values:
            value = values[d.name]
            number = d.choices.index(value) if d.type == "categorical" else value
            out[f"pbt/{d.name}"] = float(number)
    return out
