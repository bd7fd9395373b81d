"""Where a population's env step goes: microseconds per step in each part of the training loop.

    python experiments/populations/loop_breakdown.py 1 16    # populations of K = 1 and K = 16

Runs `ddpg.bench`'s population case (Pendulum-v1, mlp64, batch 64, one TF thread, 3,000 timed
steps after 500) with a timer around each part the loop calls. The timers cost ~0.3 us a call,
so the figures are a little high. "Learner.train_and_act" (packing, the compiled call, and the
gather and scatter of learning members' rows when only some learn) beside "the call alone" (the
bench's median of the same call repeated on one input) shows how much slower the call runs
between the env and replay work than back to back.
"""

from __future__ import annotations

import sys
import time
from collections import defaultdict

from ddpg.population.build import configure_tensorflow

PARTS = {  # label: (object path in Components, method)
    "agent.update_and_act, the call included": ("agent", "update_and_act"),
    "replay sample": ("replay_buffer", "sample"),
    "replay add": ("replay_buffer", "add"),
    "agent.explore (noise, clip)": ("agent", "explore"),
    "reward normalize_batch": ("reward_normalizer", "normalize_batch"),
}


def _timed(totals: dict[str, float], label: str, fn):
    def wrapper(*args, **kwargs):
        start = time.perf_counter()
        out = fn(*args, **kwargs)
        totals[label] += time.perf_counter() - start
        return out

    return wrapper


def install_timers(totals: dict[str, float], snapshot: dict[str, float]) -> None:
    """Wrap the loop's parts in timers (classes once, each built population's objects) adding
    into `totals`; `snapshot` gets the totals of each training's end."""
    import ddpg.population.build
    from ddpg.algo.learner import Learner
    from ddpg.population.member_envs import MemberEnvs
    from ddpg.population.member_records import MemberRecords
    from ddpg.population.trainer import Trainer

    build = ddpg.population.build.build

    def build_timed(configs):
        c = build(configs)
        for label, (path, method) in PARTS.items():
            owner = c
            for name in path.split("."):
                owner = getattr(owner, name)
            setattr(owner, method, _timed(totals, label, getattr(owner, method)))
        for env in c.envs:
            env.step = _timed(totals, "env.step (all members)", env.step)
        return c

    ddpg.population.build.build = build_timed  # ddpg.bench imports it at call time
    Learner.train_and_act = _timed(
        totals, "Learner.train_and_act (the call included)", Learner.train_and_act
    )
    MemberRecords.add_metrics = _timed(totals, "records.add_metrics", MemberRecords.add_metrics)
    MemberEnvs.step = _timed(
        totals, "MemberEnvs.step, env.step and replay add included", MemberEnvs.step
    )
    train = Trainer.train

    def train_timed(self):
        totals.clear()  # the bench trains twice: compile and warm up, then the timed steps
        states = train(self)
        totals["(at the end of train)"] = 0.0
        snapshot.clear()
        snapshot.update(totals)  # before the bench's own timings of the call and bare loop
        return states

    Trainer.train = train_timed


def breakdown(members: int, totals: dict[str, float], steps: int = 3000) -> None:
    from ddpg.bench import training_rate

    result = training_rate("mlp64", members, steps, 500)
    step_us = members * 1e6 / result["rate"]
    print(f"K={members}: {step_us:.0f} us per env step; the call alone {result['call_us']:.0f} us")
    for label, seconds in sorted(totals.items(), key=lambda item: -item[1]):
        if label.startswith("("):
            continue
        print(f"  {label:<52} {seconds / steps * 1e6:8.1f} us/step")


if __name__ == "__main__":
    configure_tensorflow(1)
    timers: dict[str, float] = defaultdict(float)
    at_end: dict[str, float] = {}
    install_timers(timers, at_end)
    for k in sys.argv[1:] or ["1", "16"]:
        breakdown(int(k), at_end)
