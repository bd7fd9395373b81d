"""ddpg.launch.schedule_replay: reading and checking a PBT schedule.json, the configs it composes,
and the hook that switches them at evaluations (no TensorFlow: configs are dataclasses)."""

from __future__ import annotations

import dataclasses
import json
from pathlib import Path
from typing import Any

import numpy as np
import pytest

from ddpg.config.schema import AgentConfig, ConfigError, NetworkConfig, RunConfig, TrainerConfig
from ddpg.launch.schedule_replay import (
    ScheduleEntry,
    ScheduleReplay,
    check_schedule,
    read_schedule,
    replay_configs,
)


def entry(step: int, tau: float, **extra: Any) -> dict[str, Any]:
    return {
        "step": step,
        "params": {"agent.tau": tau, "noise": "ou"},
        "overrides": [f"agent.tau={tau!r}", "noise=ou"],
        "scalars": {"pbt/agent.tau": tau, "pbt/noise": 0.0},
        **extra,
    }


def write(tmp_path: Path, data: Any) -> Path:
    path = tmp_path / "schedule.json"
    path.write_text(data if isinstance(data, str) else json.dumps(data))
    return path


def test_a_pbt_schedule_reads_as_entries_in_step_order(tmp_path):
    path = write(tmp_path, {"member": 1, "schedule": [entry(0, 0.01), entry(200, 0.05)]})
    entries = read_schedule(path)
    assert [e.step for e in entries] == [0, 200]
    assert entries[1].overrides == ("agent.tau=0.05", "noise=ou")
    assert entries[1].scalars == {"pbt/agent.tau": 0.05, "pbt/noise": 0.0}


def test_a_schedule_without_scalars_logs_its_numeric_params(tmp_path):
    old = {k: v for k, v in entry(0, 0.01).items() if k != "scalars"}
    assert read_schedule(write(tmp_path, {"schedule": [old]}))[0].scalars == {"pbt/agent.tau": 0.01}


@pytest.mark.parametrize(
    ("data", "message"),
    [
        ("{not json", "cannot be read: not valid JSON"),
        ([1, 2], "non-empty list 'schedule'"),
        ({"schedule": []}, "non-empty list 'schedule'"),
        ({"member": 0, "copies": []}, "non-empty list 'schedule'"),
        ({"schedule": [entry(200, 0.01)]}, r"steps \[200\] must start at 0"),
        ({"schedule": [entry(0, 0.01), entry(0, 0.02)]}, "must start at 0 and increase"),
        ({"schedule": [{**entry(0, 0.01), "step": "0"}]}, "entry 0 has no integer 'step'"),
        ({"schedule": [entry(0, 0.01, overrides="agent.tau=1")]}, "list of strings"),
        ({"schedule": [entry(0, 0.01, scalars={"pbt/x": "a"})]}, "'scalars' are not numbers"),
        ({"schedule": ["step 0"]}, "entry 0 is not an object"),
    ],
)
def test_what_is_not_a_schedule_is_refused_naming_the_file(tmp_path, data, message):
    path = write(tmp_path, data)
    with pytest.raises(ConfigError, match=message) as error:
        read_schedule(path)
    assert f"pbt_schedule={path}" in str(error.value)


def test_a_missing_file_is_named(tmp_path):
    with pytest.raises(ConfigError, match=r"pbt_schedule=.*nope.json cannot be read"):
        read_schedule(tmp_path / "nope.json")


def entries_of(*overrides: list[str]) -> list[ScheduleEntry]:
    return [ScheduleEntry(300 * i, tuple(o), {}, {}) for i, o in enumerate(overrides)]


@pytest.mark.parametrize(
    "bad", ["network=mlp256", "agent.batch_size=64", "trainer.total_steps=10", "seed=3", "env=x"]
)
def test_a_schedule_that_sets_a_shape_the_budget_or_the_seed_is_refused(bad):
    entries = entries_of(["agent.tau=0.01"], [bad])
    key = bad.split("=")[0]
    with pytest.raises(ConfigError, match=rf"sets {key} \(step 300\)"):
        check_schedule("s.json", entries, [])


def test_member_keys_and_groups_pass():
    entries = entries_of(["noise=ou", "noise.sigma=0.2", "reward_norm=running", "agent.gamma=0.9"])
    check_schedule("s.json", entries, ["env=pendulum", "seed=7", "trainer.total_steps=900"])


@pytest.mark.parametrize(
    ("user", "scheduled", "named"),
    [
        ("agent.tau=0.1", "agent.tau=0.01", "agent.tau"),
        ("noise=gaussian", "noise.sigma=0.2", "noise"),  # the group covers its keys
        ("noise.sigma=0.3", "noise=ou", "noise.sigma"),
    ],
)
def test_a_key_the_command_line_sets_too_is_refused_by_name(user, scheduled, named):
    entries = entries_of(["agent.actor_lr=0.001"], [scheduled])
    with pytest.raises(ConfigError, match=rf"^{named} is set both on the command line"):
        check_schedule("s.json", entries, ["seed=7", user])


def config(**agent: Any) -> RunConfig:
    return RunConfig(
        agent=AgentConfig(learning_starts=100, **agent),
        trainer=TrainerConfig(total_steps=900, eval_every=300),
    )


def compose_tau(overrides: list[str]) -> RunConfig:
    """A stand-in for Hydra's compose that understands agent.tau and network.actor_hidden."""
    out = config()
    for text in overrides:
        key, value = text.split("=")
        if key == "agent.tau":
            out = dataclasses.replace(out, agent=dataclasses.replace(out.agent, tau=float(value)))
        if key == "network.actor_hidden":
            network = NetworkConfig(actor_hidden=[int(value)])
            out = dataclasses.replace(out, network=network)
    return out


def test_replay_configs_compose_each_entry_on_the_command_line():
    entries = entries_of(["agent.tau=0.01"], ["agent.tau=0.05"])
    configs = replay_configs(config(), entries, compose_tau, ["seed=0"])
    assert [c.agent.tau for c in configs] == [0.01, 0.05]


@pytest.mark.parametrize(
    ("base", "message"),
    [
        (dataclasses.replace(config(), resume="runs/x"), "with resume=runs/x"),
        (
            dataclasses.replace(
                config(), population=dataclasses.replace(config().population, size=2)
            ),
            "with population.size=2",
        ),
    ],
)
def test_resume_and_populations_are_refused(base, message):
    with pytest.raises(ConfigError, match=f"pbt_schedule cannot be combined {message}"):
        replay_configs(base, entries_of([]), compose_tau, [])


def test_a_step_off_the_evaluations_or_a_changed_shape_is_refused():
    off = [ScheduleEntry(0, (), {}, {}), ScheduleEntry(250, (), {}, {})]
    with pytest.raises(ConfigError, match="step 250, which is not a multiple of"):
        replay_configs(config(), off, compose_tau, [])
    shape = entries_of([], ["network.actor_hidden=8"])
    with pytest.raises(ConfigError, match=r"changes network.actor_hidden at step 300"):
        replay_configs(config(), shape, compose_tau, [])


def test_the_hook_switches_at_listed_steps_and_stops_at_the_budget(tmp_path):
    entries = [
        ScheduleEntry(0, ("agent.tau=0.01",), {}, {"pbt/agent.tau": 0.01}),
        ScheduleEntry(600, ("agent.tau=0.05",), {}, {"pbt/agent.tau": 0.05}),
        ScheduleEntry(900, ("agent.tau=0.07",), {}, {"pbt/agent.tau": 0.07}),
    ]
    configs = [config(tau=t) for t in (0.01, 0.05, 0.07)]
    replay = ScheduleReplay(entries, configs)
    member = np.array([0])
    taus = [[c.config.agent.tau for c in replay.exploit(member, s)] for s in (300, 600, 900)]
    assert taus == [[0.01], [0.05], []]  # none at the budget's end, as PBT
    (change,) = replay.exploit(member, 600)
    assert change.source is None and change.scalars == {"pbt/agent.tau": 0.05}
    replay.write(tmp_path)
    written = json.loads((tmp_path / "schedule.json").read_text())
    assert [e["step"] for e in written["schedule"]] == [0, 600]


def test_a_sweep_job_with_a_schedule_is_refused_whichever_launcher_runs_it():
    from ddpg.launch.job_outcome import check_sweep_job

    check_sweep_job(config())
    with pytest.raises(ConfigError, match="^pbt_schedule replays one run"):
        check_sweep_job(dataclasses.replace(config(), pbt_schedule="s.json"))
