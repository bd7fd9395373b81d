"""ddpg.analysis.swept: one rule, on plain flattened params dicts, for which keys a sweep varies."""

from __future__ import annotations

import math

import pytest

from ddpg.analysis import swept


def run(seed: int, **params: object) -> dict[str, object]:
    """One run's params.json values: dotted keys given with "__" for "."."""
    base = {
        "seed": seed,
        "agent.tau": 0.005,
        "reward_norm.name": "none",
        "output_dir": f"/o/{seed}",
    }
    return base | {k.replace("__", "."): v for k, v in params.items()}


@pytest.mark.parametrize(
    ("key", "expected"),
    [
        ("agent.tau", "treatment"),
        ("reward_norm", "treatment"),  # an override of a config group
        ("reward_norm.name", "treatment"),
        ("experiment", "treatment"),  # the +experiment= preset
        ("seed", "seed"),
        ("env.kwargs.seed", "seed"),
        ("resume", "location"),
        ("output_dir", "location"),
        ("env.kwargs.xml_file", "location"),
        ("trainer.profile", "treatment"),  # ends in "file" but is no file
        ("trainer.progress", "bookkeeping"),
        ("hydra.launcher.n_jobs", "bookkeeping"),
        ("hydra/launcher", "bookkeeping"),
        ("hydra", "bookkeeping"),
        ("population.size", "bookkeeping"),
    ],
)
def test_every_key_has_one_role(key: str, expected: str) -> None:
    assert swept.role(key) == expected


def test_each_view_shows_its_roles() -> None:
    assert set(swept.GROUP_ROLES) < set(swept.HPARAMS_ROLES) < set(swept.JOB_NAME_ROLES)
    assert "bookkeeping" not in swept.JOB_NAME_ROLES


def test_a_group_option_is_named_by_its_name_key() -> None:
    keys = {"reward_norm.name", "reward_norm.gamma", "agent.tau", "seed"}
    assert swept.option_key("reward_norm", keys) == "reward_norm.name"
    assert swept.option_key("agent.tau", keys) == "agent.tau"
    assert swept.option_key("experiment", keys) == "experiment"  # not in the config: as given


def test_differing_treatments_in_order_of_first_appearance() -> None:
    runs = [run(0, agent__actor_lr=1e-3), run(1, agent__actor_lr=1e-4, reward_norm__name="x")]
    # Seeds and output folders differ in every sweep by construction: not treatments.
    assert swept.swept_keys(runs) == ["reward_norm.name", "agent.actor_lr"]
    assert swept.swept_keys(runs, roles=swept.HPARAMS_ROLES) == [
        "seed",
        "reward_norm.name",
        "agent.actor_lr",
    ]
    assert "output_dir" in swept.swept_keys(runs, roles=swept.JOB_NAME_ROLES)
    assert swept.swept_keys(runs[:1]) == [] and swept.swept_keys([]) == []


def test_bookkeeping_never_counts() -> None:
    runs = [
        run(0, trainer__progress=True, resume=None),
        run(0, trainer__progress=False, resume="a"),
    ]
    assert swept.swept_keys(runs) == []
    assert swept.swept_keys(runs, roles=swept.JOB_NAME_ROLES) == ["resume"]


def test_overrides_say_which_differences_count() -> None:
    # env=mountaincar also changes what interpolates from env (agent.learning_starts).
    runs = [
        run(0, env__name="pendulum", agent__learning_starts=1000),
        run(0, env__name="mountaincar", agent__learning_starts=10_000),
    ]
    assert swept.swept_keys(runs, {"env", "seed"}) == ["env.name"]
    assert swept.swept_keys(runs) == ["env.name", "agent.learning_starts"]  # none known
    # A difference no override explains (the runs of two sweeps): every differing key.
    assert swept.swept_keys(runs, {"agent.tau"}) == ["env.name", "agent.learning_starts"]


def test_sub_keys_that_follow_the_option_are_part_of_it() -> None:
    options = [("none", 0.99), ("episode_return", 0.999)] * 2
    runs = [run(i, reward_norm__name=n, reward_norm__gamma=g) for i, (n, g) in enumerate(options)]
    assert swept.swept_keys(runs, {"reward_norm"}) == ["reward_norm.name"]
    # The same sub-key swept within one option is a treatment of its own.
    runs[2]["reward_norm.gamma"] = 0.9
    assert swept.swept_keys(runs, {"reward_norm"}) == ["reward_norm.name", "reward_norm.gamma"]


def test_values_compare_as_written_to_params_json() -> None:
    same = [
        run(0, trainer__max_episodes=None, agent__tau=1, network__actor_hidden=[64, 64]),
        run(1, trainer__max_episodes=math.nan, agent__tau=1.0, network__actor_hidden=[64, 64]),
        run(2, agent__tau=1.0, network__actor_hidden="[64, 64]"),  # lacks max_episodes: null
    ]
    assert swept.swept_keys(same[:2]) == []
    assert swept.swept_keys(same[1:]) == ["network.actor_hidden"]  # compare keeps JSON text
    differ = [run(0, agent__compile=True), run(1, agent__compile=1)]
    assert swept.swept_keys(differ) == ["agent.compile"]
