"""ddpg.analysis.grouping: grouping keys come from runs that trained, never from failed jobs."""

from __future__ import annotations

import pandas as pd
import pytest

from ddpg.analysis import grouping
from ddpg.analysis.runs import CompareError


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
    assert grouping.grouping_keys(runs, {"agent.tau", "reward_norm", "seed"}) == [
        "reward_norm.name"
    ]
    # An interrupted run trained with its value: that value still splits groups.
    runs.loc[2, "status"] = "interrupted"
    assert grouping.grouping_keys(runs, {"agent.tau", "reward_norm"}) == [
        "agent.tau",
        "reward_norm.name",
    ]
    assert grouping.grouping_keys(runs.assign(status="failed"), {"agent.tau"}) == []


def test_resolve_keys_and_labels() -> None:
    runs = runs_frame(["completed"] * 2, [0.01, 0.02], ["a", "b"])
    keys = grouping.resolve_keys(runs, ["tau", "reward_norm"])
    assert keys == ["agent.tau", "reward_norm.name"]
    runs = runs.assign(**{k: runs[f"param.{k}"] for k in keys})
    assert grouping.group_labels(runs, keys).tolist() == [
        "tau=0.01, reward_norm=a",
        "tau=0.02, reward_norm=b",
    ]
    assert grouping.group_labels(runs, []).tolist() == ["all runs", "all runs"]
    with pytest.raises(CompareError, match="'gamma' matches no parameter"):
        grouping.resolve_keys(runs, ["gamma"])


def test_groups_leave_out_damaged_runs_and_settings_only_failed_jobs_make() -> None:
    runs = runs_frame(["completed", "failed", "failed", "damaged"], [0.1, 0.1, 5.0, 0.1], ["a"] * 4)
    runs = runs.assign(**{"agent.tau": runs["param.agent.tau"]})
    groups = grouping.groups(runs, ["agent.tau"])
    assert [(label, len(g)) for label, g in groups] == [("0.1", 2)]


def budget_frame(envs: list[str], budgets: list[float]) -> pd.DataFrame:
    return pd.DataFrame(
        {
            "status": "completed",
            "param.env.id": envs,
            "param.trainer.total_steps": budgets,
        }
    )


def test_the_budget_joins_the_keys_only_where_a_group_would_mix_budgets() -> None:
    # Each env has its own budget: the env already tells them apart.
    apart = budget_frame(["Pendulum-v1", "Pendulum-v1", "Hopper-v5"], [2e4, 2e4, 1e6])
    assert grouping.with_budget(apart, ["env.id"]) == ["env.id"]
    mixed = budget_frame(["Pendulum-v1", "Pendulum-v1", "Hopper-v5"], [2e4, 5e4, 1e6])
    assert grouping.with_budget(mixed, ["env.id"]) == ["env.id", "trainer.total_steps"]
    assert grouping.with_budget(mixed, []) == ["trainer.total_steps"]
    assert grouping.with_budget(mixed.drop(columns="param.trainer.total_steps"), []) == []
    # Through grouping_keys: the swept keys (none here: the overrides explain nothing).
    assert grouping.grouping_keys(mixed.assign(**{"param.seed": 0}), set()) == [
        "env.id",
        "trainer.total_steps",
    ]


def test_a_budget_alone_is_labelled_with_its_key() -> None:
    runs = pd.DataFrame({"trainer.total_steps": [2000, 4000]})
    assert grouping.group_labels(runs, ["trainer.total_steps"]).tolist() == [
        "total_steps=2000",
        "total_steps=4000",
    ]
