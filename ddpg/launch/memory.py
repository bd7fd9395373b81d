"""A run's memory, estimated before it starts, against what the machine has available.

The estimate counts what grows with the settings, per member: the replay rows it can ever fill
(min(agent.buffer_size, trainer.total_steps): the buffer is allocated untouched, so a row costs
memory once written), each an obs, next obs, action, reward and terminated flag in float32; and
its networks' weights (actor and critic, their targets and Adam's two moments: four float32
copies). It leaves out what every run has (TensorFlow, the envs), so it is a lower bound: a run it
refuses cannot fit, and `population.size=1000000000` stops with one line instead of growing
until the kernel kills it.
"""

from __future__ import annotations

import os
from pathlib import Path
from typing import NamedTuple

from ddpg.config.schema import ConfigError, NetworkConfig, RunConfig
from ddpg.envs.make import action_dim, make_env, obs_dim

FLOAT_BYTES = 4
WEIGHT_COPIES = 4  # online, target, Adam's first and second moments


class MemoryEstimate(NamedTuple):
    """A run's estimated memory: `members` x (replay rows x row bytes + weights x copy bytes)."""

    members: int
    replay_rows: int
    row_bytes: int
    weights: int

    @property
    def member_bytes(self) -> int:
        return self.replay_rows * self.row_bytes + self.weights * WEIGHT_COPIES * FLOAT_BYTES

    @property
    def total_bytes(self) -> int:
        return self.members * self.member_bytes


def network_weights(network: NetworkConfig, obs_size: int, action_size: int) -> int:
    """Weights and biases of the actor (obs -> hidden -> action) and the critic (obs -> hidden
    -> Q, the action joining the input of layer `action_insert_layer`)."""
    actor_sizes = [obs_size, *network.actor_hidden, action_size]
    actor = sum(
        (n_in + 1) * n_out for n_in, n_out in zip(actor_sizes, actor_sizes[1:], strict=False)
    )
    critic_in = [obs_size, *network.critic_hidden]
    critic_out = [*network.critic_hidden, 1]
    critic = sum(
        (n_in + (action_size if layer == network.action_insert_layer else 0) + 1) * n_out
        for layer, (n_in, n_out) in enumerate(zip(critic_in, critic_out, strict=True))
    )
    return actor + critic


def estimate(config: RunConfig, obs_size: int, action_size: int) -> MemoryEstimate:
    """The estimate for `config` (population.size members) with these env sizes."""
    return MemoryEstimate(
        members=config.population.size,
        replay_rows=min(config.agent.buffer_size, config.trainer.total_steps),
        row_bytes=(2 * obs_size + action_size + 2) * FLOAT_BYTES,
        weights=network_weights(config.network, obs_size, action_size),
    )


def available_bytes(meminfo: Path = Path("/proc/meminfo")) -> int | None:
    """The memory available to a new process: MemAvailable of /proc/meminfo (free memory plus
    what the kernel can reclaim), else the machine's physical memory; None if neither is known."""
    try:
        for line in meminfo.read_text().splitlines():
            name, _, value = line.partition(":")
            if name == "MemAvailable" and value.split()[1:] == ["kB"]:
                return int(value.split()[0]) * 1024
    except (OSError, ValueError, IndexError):
        pass
    try:
        return os.sysconf("SC_PHYS_PAGES") * os.sysconf("SC_PAGE_SIZE")
    except (OSError, ValueError, AttributeError):
        return None


def check_memory(config: RunConfig, available: int | None = None) -> MemoryEstimate:
    """Refuse a run whose estimated memory exceeds what is available (builds one env for the
    obs and action sizes, so an unusable env is refused here too, before training).

    Raises:
        ConfigError: Naming the key that sets the size, the estimate and what is available.
    """
    env = make_env(config.env)
    try:
        needed = estimate(config, obs_dim(env), action_dim(env))
    finally:
        env.close()
    available = available_bytes() if available is None else available
    if available is not None and needed.total_bytes > available:
        if needed.members > 1:
            subject = f"population.size={needed.members}"
        else:
            subject = (
                f"agent.buffer_size={config.agent.buffer_size} with "
                f"trainer.total_steps={config.trainer.total_steps}"
            )
        raise ConfigError(
            f"{subject} is too large: it needs an estimated {human_bytes(needed.total_bytes)} "
            f"({needed.members:,} x {human_bytes(needed.member_bytes)}: "
            f"{needed.replay_rows:,} replay rows of {needed.row_bytes} B and "
            f"{needed.weights:,} network weights x {WEIGHT_COPIES * FLOAT_BYTES} B), more than "
            f"the {human_bytes(available)} of memory available on this machine"
        )
    return needed


def human_bytes(count: float) -> str:
    """1536 -> "1.5 KiB"."""
    for unit in ("B", "KiB", "MiB", "GiB", "TiB", "PiB"):
        if abs(count) < 1024 or unit == "PiB":
            return f"{count:.0f} {unit}" if unit == "B" else f"{count:.1f} {unit}"
        count /= 1024
    raise AssertionError("unreachable")
