"""Every random stream of a run, derived from its seed by role.

A stream is `numpy.random.SeedSequence(seed, spawn_key=(role, *index))`, the same child that
`SeedSequence(seed).spawn(...)` hands out: its entropy is hashed from the (seed, role, index)
triple, so no two (run, role, layer) triples share a stream. Adding small offsets to the seed
(`seed + i` per layer, as this project once did) made run 1's first layer run 0's second.
"""

from __future__ import annotations

from enum import IntEnum

import numpy as np


class Role(IntEnum):
    """What a stream is for; the value is the spawn key's first entry, so never renumber."""

    ACTOR = 0  # initial weights; index: (layer, 0 kernel / 1 bias)
    CRITIC = 1
    EXPLORATION = 2  # numpy Generator: action noise, the actor's input noise, warm-up actions
    REPLAY = 3  # numpy Generator: replay sampling
    ENV = 4  # the training env's first reset
    EVAL_ENV = 5  # the evaluation env's first reset


def stream(seed: int, role: Role, *index: int) -> np.random.SeedSequence:
    """The SeedSequence of `role` (and `index`, e.g. a layer) in the run with `seed`."""
    return np.random.SeedSequence(seed, spawn_key=(int(role), *index))


def int_seed(seed: int, role: Role, *index: int) -> int:
    """A uint32 seed for APIs that take an int (Keras initializers, gymnasium's reset)."""
    return int(stream(seed, role, *index).generate_state(1)[0])


def generator(seed: int, role: Role) -> np.random.Generator:
    """The numpy Generator of `role` in the run with `seed`."""
    return np.random.default_rng(stream(seed, role))
