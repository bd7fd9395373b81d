"""ddpg.tune.trial_names: trial folders named like a sweep's jobs, values first and short."""

from __future__ import annotations

from pathlib import Path

import optuna
import yaml

from ddpg.tune.space import parse_space, sample
from ddpg.tune.trial_names import trial_dirname

CONF = Path(__file__).resolve().parents[3] / "conf" / "search"


def test_values_come_first_with_short_keys_and_four_digits_then_the_trial_number() -> None:
    values = {
        "one_minus_gamma": 0.0011271881751,
        "learning_rate": 0.000123456789,
        "agent.tau": 0.012345678,
        "noise": "ou",
        "noise.sigma": 0.3,
        "agent.batch_size": 64,
    }
    assert trial_dirname(7, values) == (
        "1-gamma=0.001127 lr=1.235e-4 tau=0.01235 noise=ou sigma=0.3 bs=64 trial7"
    )


def test_no_values_keys_that_shorten_alike_and_unsafe_characters() -> None:
    assert trial_dirname(3, {}) == "trial3"
    assert trial_dirname(2, {"agent.gamma": 0.99, "reward_norm.gamma": 0.999}) == (
        "agent.gamma=0.99 reward_norm.gamma=0.999 trial2"
    )
    assert trial_dirname(1, {"path": "a/b\\c"}) == "path=a_b_c trial1"


def test_a_long_name_is_cut_with_a_hash_that_keeps_it_unique() -> None:
    long = trial_dirname(12, {f"key{i}": "x" * 20 for i in range(20)})
    other = trial_dirname(12, {f"key{i}": "x" * 20 for i in range(19)} | {"key19": "y" * 20})
    assert len(long.encode()) <= 200 + len(" trial12")
    assert long.startswith("key0=xxxx") and long.endswith(" trial12") and "~" in long
    assert long != other


def test_a_sampled_trial_of_the_shipped_space_gets_a_short_readable_name() -> None:
    space = parse_space(yaml.safe_load((CONF / "ddpg_members.yaml").read_text()))
    study = optuna.create_study(sampler=optuna.samplers.RandomSampler(seed=0))
    trial = study.ask()
    name = trial_dirname(trial.number, sample(space, trial))
    assert name.startswith("1-gamma=") and " lr=" in name and " tau=" in name
    assert name.endswith(" trial0") and len(name) < 80, name
