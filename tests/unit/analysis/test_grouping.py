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


def test_values_print_with_four_digits_unless_typed_short() -> None:
    labels = grouping.value_labels([0.001127188175138778, 0.99985, 0.99, 0.005, 0.0190010529])
    # A search's sampled rate: 4 digits. A gamma someone typed: every digit, never 0.9998 or 1.
    assert labels == ["0.001127", "0.99985", "0.99", "0.005", "0.019"]
    assert grouping.value_labels([0.9988338676280413]) == ["0.9988"]


def test_small_values_print_in_scientific_notation_and_integers_whole() -> None:
    labels = grouping.value_labels([1e-4, 3e-4, 1.5e-5, 0.001, 400, 2.0, 1_000_000, -0.5])
    assert labels == ["1e-4", "3e-4", "1.5e-5", "0.001", "400", "2", "1000000", "-0.5"]
    # Rounding may carry into the next power of ten.
    assert grouping.value_labels([0.000999961234567]) == ["0.001"]


def test_values_that_would_print_alike_get_digits_until_they_differ() -> None:
    close = [0.0011271881751, 0.0011272881751, 0.0021]
    assert grouping.value_labels(close) == ["0.0011272", "0.0011273", "0.0021"]
    # A sampled value beside a typed one it would round to: the sampled one gets the digits.
    assert grouping.value_labels([0.001127, 0.00112718817]) == ["0.001127", "0.0011272"]
    many = [0.5 + i * 1e-9 for i in range(5)]
    assert len(set(grouping.value_labels(many))) == 5


def test_other_values_print_as_text() -> None:
    labels = grouping.value_labels(["running", True, [64, 64], float("nan"), None])
    assert labels == ["running", "True", "[64, 64]", "nan", "None"]


def test_short_names_keep_a_prefix_only_where_names_clash() -> None:
    keys = ["agent.gamma", "reward_norm.gamma", "agent.tau", "reward_norm.name"]
    names = ["agent.gamma", "reward_norm.gamma", "tau", "reward_norm"]
    assert grouping.short_names(keys) == names


def test_labels_print_values_short_and_groups_sort_by_value() -> None:
    runs = runs_frame(
        ["completed"] * 4, [0.001127188175138778, 1e-4, 0.99985, 1e-4], ["a", "b", "a", "a"]
    )
    keys = ["agent.tau", "reward_norm.name"]
    runs = runs.assign(**{k: runs[f"param.{k}"] for k in keys})
    assert grouping.group_labels(runs, keys).tolist() == [
        "tau=0.001127, reward_norm=a",
        "tau=1e-4, reward_norm=b",
        "tau=0.99985, reward_norm=a",
        "tau=1e-4, reward_norm=a",
    ]
    # By value, not by text: 1e-4 before 0.001127 (as text "1e-4" would sort last).
    assert [label for label, _ in grouping.groups(runs, keys)] == [
        "tau=1e-4, reward_norm=a",
        "tau=1e-4, reward_norm=b",
        "tau=0.001127, reward_norm=a",
        "tau=0.99985, reward_norm=a",
    ]
