"""ddpg.swept: grouping keys come from runs that trained, never from failed jobs alone."""

from __future__ import annotations

import pandas as pd
import pytest

from ddpg import swept
from ddpg.runs import CompareError


def runs_frame(statuses: list[str], taus: list[float], norms: list[str]) -> pd.DataFrame:
    return pd.DataFrame(
        {
            "status": statuses,
            "param.seed": list(range(len(statuses))),
            "param.agent.tau": taus,
            "param.reward_norm.name": norms,
            "param.output_dir": [f"/out/{i}" for i in range(len(statuses))],
        }
    )


def test_a_value_only_failed_jobs_have_is_not_a_key() -> None:
    runs = runs_frame(["completed", "diverged", "failed"], [0.01, 0.01, 5.0], ["a", "b", "a"])
    assert swept.swept_keys(runs, {"agent.tau", "reward_norm", "seed"}) == ["reward_norm.name"]
    # An interrupted run trained with its value: that value still splits groups.
    runs.loc[2, "status"] = "interrupted"
    assert swept.swept_keys(runs, {"agent.tau", "reward_norm"}) == [
        "agent.tau",
        "reward_norm.name",
    ]


def test_resolve_keys_and_labels() -> None:
    runs = runs_frame(["completed"] * 2, [0.01, 0.02], ["a", "b"])
    keys = swept.resolve_keys(runs, ["tau", "reward_norm"])
    assert keys == ["agent.tau", "reward_norm.name"]
    runs = runs.assign(**{k: runs[f"param.{k}"] for k in keys})
    assert swept.group_labels(runs, keys).tolist() == [
        "tau=0.01, reward_norm=a",
        "tau=0.02, reward_norm=b",
    ]
    assert swept.group_labels(runs, []).tolist() == ["all runs", "all runs"]
    with pytest.raises(CompareError, match="'gamma' matches no parameter"):
        swept.resolve_keys(runs, ["gamma"])
