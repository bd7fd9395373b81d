"""A run's memory estimate: known answers for the networks and the replay rows, /proc/meminfo
read, and a population too large for the machine refused with one line naming both."""

from __future__ import annotations

import pytest

from ddpg.config.schema import (
    AgentConfig,
    ConfigError,
    NetworkConfig,
    PopulationConfig,
    RunConfig,
    TrainerConfig,
)
from ddpg.launch.memory import (
    available_bytes,
    check_memory,
    estimate,
    human_bytes,
    network_weights,
)


def test_network_weights_count_every_layer_and_where_the_action_joins_the_critic():
    mlp64 = NetworkConfig(actor_hidden=[64, 64], critic_hidden=[64, 64])
    # actor 3 -> 64 -> 64 -> 1: 4*64 + 65*64 + 65; critic (3+1) -> 64 -> 64 -> 1: 5*64 + 65*64 + 65
    assert network_weights(mlp64, 3, 1) == (256 + 4160 + 65) + (320 + 4160 + 65)
    late = NetworkConfig(actor_hidden=[4], critic_hidden=[4, 4], action_insert_layer=1)
    # actor 2 -> 4 -> 3: 3*4 + 5*3; critic 2 -> 4, (4+3) -> 4, 4 -> 1: 3*4 + 8*4 + 5
    assert network_weights(late, 2, 3) == (12 + 15) + (12 + 32 + 5)


def test_the_estimate_counts_the_rows_a_member_can_fill_per_member():
    config = RunConfig(
        agent=AgentConfig(buffer_size=1_000_000),
        trainer=TrainerConfig(total_steps=20_000),
        population=PopulationConfig(size=10),
    )
    needed = estimate(config, 3, 1)
    assert (needed.members, needed.replay_rows, needed.row_bytes) == (10, 20_000, (6 + 1 + 2) * 4)
    assert needed.member_bytes == 20_000 * 36 + needed.weights * 16
    assert needed.total_bytes == 10 * needed.member_bytes


def test_available_memory_is_memavailable_from_meminfo(tmp_path):
    meminfo = tmp_path / "meminfo"
    meminfo.write_text("MemTotal:  16000000 kB\nMemFree:  100 kB\nMemAvailable:  8000000 kB\n")
    assert available_bytes(meminfo) == 8_000_000 * 1024
    assert available_bytes(tmp_path / "absent") > 0  # the physical memory instead


def test_a_population_larger_than_the_machine_is_refused_naming_both():
    config = RunConfig(
        population=PopulationConfig(size=1000),
        agent=AgentConfig(learning_starts=100),
        trainer=TrainerConfig(total_steps=1000),
    )
    needed = check_memory(config, available=10**12)  # fits: returned, nothing raised
    assert needed.total_bytes == 1000 * (1000 * 36 + 9026 * 16)
    with pytest.raises(ConfigError) as refused:
        check_memory(config, available=100 * 2**20)
    assert str(refused.value) == (
        "population.size=1000 is too large: it needs an estimated 172.1 MiB (1,000 x 176.2 KiB: "
        "1,000 replay rows of 36 B and 9,026 network weights x 16 B), more than the 100.0 MiB "
        "of memory available on this machine"
    )


def test_human_bytes():
    assert [human_bytes(n) for n in (512, 1536, 3 * 2**30, 2**60)] == [
        "512 B",
        "1.5 KiB",
        "3.0 GiB",
        "1024.0 PiB",
    ]
