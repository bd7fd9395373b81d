"""Initial weights: every layer of every run draws from a stream of its own (ddpg.algo.seeds)."""

from __future__ import annotations

import numpy as np

from ddpg.algo.networks import build_actor, build_critic
from ddpg.config.schema import NetworkConfig

# Random output kernels and biases too (final_init), so every initialised array is compared.
NETWORK = NetworkConfig(final_init=3e-3)
SEEDS = range(100)


def _initial_arrays() -> list[tuple[str, np.ndarray]]:
    """(run/network/variable, flat initial values) of every randomly initialised array."""
    arrays = []
    for seed in SEEDS:
        for model in (build_actor(NETWORK, 3, 1, seed), build_critic(NETWORK, 3, 1, seed)):
            for variable in model.weights:
                values = np.asarray(variable).ravel()
                if values.std() > 0:  # zero biases, BatchNorm's ones carry no stream
                    arrays.append((f"{seed}/{model.name}/{variable.path}", values))
    return arrays


def _standardized_prefixes(arrays: list[np.ndarray], length: int) -> np.ndarray:
    prefix = np.stack([a[:length] for a in arrays]).astype(np.float64)
    prefix -= prefix.mean(axis=1, keepdims=True)
    return prefix / np.linalg.norm(prefix, axis=1, keepdims=True)


def test_no_two_initial_arrays_of_100_runs_are_correlated() -> None:
    """Every pair of arrays (two runs, or two layers of one run) is compared on the elements they
    both have (the shorter one's length, flattened in order): a shared stream shows as r = 1
    there, e.g. seed 1's 3x64 first kernel against seed 0's 64x64 second kernel when layers were
    seeded `seed + i`. Independent arrays of m elements give r ~ N(0, 1/m): 6 standard errors
    is far beyond the largest of ~10^5 such pairs, and far below a shared stream's 1."""
    named = _initial_arrays()
    names = [name for name, _ in named]
    assert len({n.split("/", 1)[0] for n in names}) == len(SEEDS)
    lengths = np.array([values.size for _, values in named])
    worst: tuple[float, str, str] = (0.0, "", "")
    for length in np.unique(lengths):
        short = np.flatnonzero(lengths == length)  # pairs whose shorter array has this length
        longer = np.flatnonzero(lengths >= length)
        r = _standardized_prefixes([named[i][1] for i in short], length) @ (
            _standardized_prefixes([named[j][1] for j in longer], length).T
        )
        r[short[:, None] == longer[None, :]] = 0.0  # an array against itself
        ratio = np.abs(r) * np.sqrt(length)  # in standard errors
        i, j = np.unravel_index(np.argmax(ratio), ratio.shape)
        if ratio[i, j] > worst[0]:
            worst = (float(ratio[i, j]), names[short[i]], names[longer[j]])
    assert worst[0] < 6.0, f"{worst[1]} and {worst[2]} correlate at {worst[0]:.1f} standard errors"
