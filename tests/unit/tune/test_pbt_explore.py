"""ddpg.tune.pbt_explore: explore's moves (perturbed within the range, or resampled)."""

from __future__ import annotations

import numpy as np
import pytest

from ddpg.tune.pbt_explore import explore, scalars

from .study_inputs import PBT_SPACE


def test_explore_perturbs_within_the_range_or_resamples() -> None:
    values = {"agent.tau": 0.07, "noise": "ou", "noise.sigma": 0.5}
    seen = set()
    for seed in range(20):
        out = explore(PBT_SPACE, values, np.random.default_rng(seed), resample=0.0)
        assert out["noise"] == "ou"  # a categorical keeps its value unless resampled
        assert out["agent.tau"] in (pytest.approx(0.056), 0.08)  # 0.07 x1.25 clips to 0.08
        assert out["noise.sigma"] in (pytest.approx(0.4), pytest.approx(0.625))
        seen.add(out["noise.sigma"])
    assert len(seen) == 2
    for seed in range(20):
        out = explore(PBT_SPACE, values, np.random.default_rng(seed), resample=1.0)
        assert 0.001 <= out["agent.tau"] <= 0.08
        assert ("noise.sigma" in out) == (out["noise"] != "none")  # `when` holds
    first = explore(PBT_SPACE, values, np.random.default_rng(5), resample=0.5)
    assert first == explore(PBT_SPACE, values, np.random.default_rng(5), resample=0.5)


def test_scalars_log_a_categorical_as_the_index_of_its_choice() -> None:
    values = {"agent.tau": 0.01, "noise": "none"}
    assert scalars(PBT_SPACE, values) == {"pbt/agent.tau": 0.01, "pbt/noise": 2.0}
