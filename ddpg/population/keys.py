"""Which settings may differ between the members of one population, and grouping a sweep by them.

A population trains K runs in one process with one compiled step (ddpg.algo.learner): every weight
and optimizer slot carries a leading member axis, so whatever fixes a shape or the structure of
the step (env, network sizes, batch size, updates per step) or the loop's schedule (budget,
eval cadence, threads) must be the same for all members. What is data beside the weights may
differ: the seed, learning rates, tau, gamma, weight decay (runtime tensors of the step), and
what each member keeps for itself in numpy (exploration noise, reward and observation
normalization, the actor's input noise scale).

Keys are the dotted keys of params.json (``ddpg.launch.job.params_of``):
``flatten(asdict(config))``.
"""

from __future__ import annotations

import json
import math
from collections.abc import Mapping, Sequence
from typing import Any

#: Training settings members may set each for itself. A key covers itself and every key below
#: it: "noise" is the whole noise group (noise.name, noise.sigma, ...).
MEMBER_KEYS: tuple[str, ...] = (
    "seed",
    "agent.actor_lr",
    "agent.critic_lr",
    "agent.tau",
    "agent.gamma",
    "agent.critic_weight_decay",
    "noise",
    "reward_norm",
    "env.obs_norm",
    "network.input_noise_std",
)

#: Keys that never change what a member learns: where a run resumes from, whether it draws a
#: progress bar, and the population size a config may carry.
BOOKKEEPING_KEYS: tuple[str, ...] = ("resume", "trainer.progress", "population.size")


def may_differ(key: str) -> bool:
    """Whether members of one population may have different values for the dotted `key`."""
    return any(key == k or key.startswith(f"{k}.") for k in MEMBER_KEYS + BOOKKEEPING_KEYS)


def shared_params(params: Mapping[str, Any]) -> dict[str, Any]:
    """The part of a job's params that every member of its population must share."""
    return {key: value for key, value in params.items() if not may_differ(key)}


def mismatched_keys(params_list: Sequence[Mapping[str, Any]]) -> list[str]:
    """The shared keys on which the jobs disagree (sorted); [] when they can be one population."""
    if not params_list:
        return []
    shared = [shared_params(params) for params in params_list]
    keys = set().union(*shared)
    return sorted(k for k in keys if len({_canonical(s.get(k, _ABSENT)) for s in shared}) > 1)


def group_jobs(params_list: Sequence[Mapping[str, Any]], max_members: int) -> list[list[int]]:
    """Split a sweep's jobs into populations: lists of job indices.

    Rule: jobs whose shared params (everything but MEMBER_KEYS and BOOKKEEPING_KEYS) are equal
    form one group; a group of n jobs becomes ceil(n / max_members) populations of consecutive
    jobs (in sweep order) whose sizes differ by at most one. Populations are listed by their
    first job, members in sweep order, so the same sweep always gives the same populations.

    Why balanced sizes: a population's step costs roughly a fixed part plus a part per member,
    so with the fewest populations the total work is the same however members are split, and
    equal sizes make parallel populations end together (64 + 1 would leave one running alone).

    Args:
        params_list: Each job's params (params.json's dotted keys).
        max_members: The most members one population may have (>= 1).

    Raises:
        ValueError: `max_members` is below 1.
    """
    if max_members < 1:
        raise ValueError(f"max_members={max_members} is invalid: expected an integer >= 1")
    groups: dict[str, list[int]] = {}  # insertion order: groups by their first job
    for index, params in enumerate(params_list):
        groups.setdefault(_canonical(shared_params(params)), []).append(index)
    populations = []
    for jobs in groups.values():
        count = math.ceil(len(jobs) / max_members)
        size, extra = divmod(len(jobs), count)
        start = 0
        for n in range(count):
            end = start + size + (n < extra)
            populations.append(jobs[start:end])
            start = end
    return sorted(populations, key=lambda population: population[0])


_ABSENT = object()


def _canonical(value: Any) -> str:
    """One string per value, so equal configs (lists and dicts included) compare equal; 1 and
    1.0 stay apart, as they do in params.json, and keys order does not matter."""
    if value is _ABSENT:
        return "<absent>"
    return json.dumps(value, sort_keys=True, default=repr)
