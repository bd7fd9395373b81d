"""Speed benchmark: env steps per second of the training loop on Pendulum-v1.

    python -m ddpg.bench [--threads N] [--steps N] [--populations 1,4,8,16,32] [--half-stopped K]

Prints the bare env loop (random actions, same wrappers) for reference, then a single run (a
population of one) with one update per env step for mlp64 / batch 64 and paper_400_300 / batch
256, then populations of K members (mlp64 / batch 64), each in a fresh process so its peak RSS
is its own: aggregate env steps/s (K members x loop rate), the ratio to K = 1, and the ceiling
that the compiled call alone allows (K / time of one call) with the share of it reached. Then a
population of K = 8 (--half-stopped) whose members 4-7 stop early: the steps/s of the 4 left,
against all 8 running before they stopped. Only the env loop's training steps are timed (the
trainer's `loop_seconds`): not the warm-up steps and compilation before them, nor the closing
evaluation, policy save and checkpoint after them.
"""

from __future__ import annotations

import argparse
import dataclasses
import json
import os
import resource
import subprocess
import sys
import tempfile
import time
from pathlib import Path

os.environ.setdefault("TF_CPP_MIN_LOG_LEVEL", "2")

from ddpg.config.schema import AgentConfig, EnvConfig, NetworkConfig, RunConfig, TrainerConfig

CASES = {
    "mlp64": (NetworkConfig(name="mlp64"), 64),
    "paper_400_300": (
        NetworkConfig(
            name="paper_400_300",
            actor_hidden=[400, 300],
            critic_hidden=[400, 300],
            action_insert_layer=1,
            final_init=3e-3,
            hidden_init="fan_in_uniform",
        ),
        256,
    ),
}


def bare_env_rate(steps: int) -> float:
    """Steps/s of the wrapped env alone, with uniform random actions."""
    import numpy as np

    from ddpg.envs.make import make_env

    env = make_env(EnvConfig())
    rng = np.random.default_rng(0)
    env.reset(seed=0)
    start = time.perf_counter()
    for _ in range(steps):
        _, _, terminated, truncated, _ = env.step(rng.uniform(-1, 1, 1).astype(np.float32))
        if terminated or truncated:
            env.reset()
    return steps / (time.perf_counter() - start)


def _configs(case: str, members: int, warmup: int) -> list[RunConfig]:
    network, batch_size = CASES[case]
    trainer_config = TrainerConfig(
        total_steps=warmup,
        eval_every=10**9,
        eval_episodes=1,  # the closing evaluation stays out of the figure
        log_every=10**9,
        progress=False,
    )
    return [
        RunConfig(
            seed=k,
            agent=AgentConfig(batch_size=batch_size, learning_starts=batch_size),
            network=network,
            trainer=dataclasses.replace(trainer_config),
        )
        for k in range(members)
    ]


def _train_on(trainer, members: list[int], steps: int) -> float:
    """Train the listed members `steps` more env steps (the others stay ended): loop seconds."""
    for k, (config, state) in enumerate(zip(trainer.configs, trainer.states, strict=True)):
        config.trainer.total_steps = state.step + steps
        state.status = "running" if k in members else "stopped_early"
    trainer.train()
    return trainer.loop_seconds


def training_rate(case: str, members: int, steps: int, warmup: int) -> dict[str, float]:
    """Aggregate env steps/s of a population after `warmup` steps, and its call ceiling."""
    from ddpg.population.build import build
    from ddpg.population.trainer import Trainer
    from ddpg.storage.metrics import MetricsWriter

    configs = _configs(case, members, warmup)
    with tempfile.TemporaryDirectory() as tmp:
        dirs = [Path(tmp) / str(k) for k in range(members)]
        components = build(configs)
        writers = [MetricsWriter(d) for d in dirs]
        trainer = Trainer(configs, components, dirs, writers)
        trainer.train()  # compiles and fills the buffers past batch_size
        rate = members * steps / _train_on(trainer, list(range(members)), steps)
        call = _call_seconds(components.agent.learner)
        bare_step = _env_and_call_seconds(components)
        for writer in writers:
            writer.close()
    peak_rss_mb = resource.getrusage(resource.RUSAGE_SELF).ru_maxrss / 1024
    return {
        "rate": rate,
        "ceiling": members / call,
        "call_us": call * 1e6,
        "bare_share": call / bare_step,
        "rss_mb": peak_rss_mb,
    }


def half_stopped_rate(members: int, steps: int, warmup: int) -> dict[str, float]:
    """Aggregate env steps/s of the members still running after half of a population of
    `members` (mlp64) stopped early, and of all of them before: uses only the Trainer, so this
    file run with another checkout's `ddpg` on PYTHONPATH times that checkout."""
    from ddpg.population.build import build
    from ddpg.population.trainer import Trainer
    from ddpg.storage.metrics import MetricsWriter

    configs, half = _configs("mlp64", members, warmup), list(range(members // 2))
    with tempfile.TemporaryDirectory() as tmp:
        dirs = [Path(tmp) / str(k) for k in range(members)]
        writers = [MetricsWriter(d) for d in dirs]
        trainer = Trainer(configs, build(configs), dirs, writers)
        trainer.train()  # compiles the step of all members, fills the buffers
        everyone = members * steps / _train_on(trainer, list(range(members)), steps)
        _train_on(trainer, half, 200)  # untimed: compiles the step of the members left
        rest = len(half) * steps / _train_on(trainer, half, steps)
        for writer in writers:
            writer.close()
    return {"all": everyone, "half": rest}


def _random_step_input(learner):
    """A packed step input (ddpg.algo.packed_step) of uniform values; every member updates."""
    import numpy as np

    from ddpg.algo.packed_step import packed_size

    k, b, o, a = learner.members, learner.config.batch_size, learner.obs_dim, learner.action_dim
    size = packed_size(learner.config.updates_per_step, k, k, b, o, a)
    packed = np.random.default_rng(0).uniform(-1, 1, size).astype(np.float32)
    packed[-k - k * o : -k * o] = np.arange(k)
    return packed


def _call_seconds(learner, calls: int = 300) -> float:
    """Median seconds of one compiled train-and-act call on random inputs."""
    import numpy as np

    packed, times = _random_step_input(learner), []
    for _ in range(calls):
        start = time.perf_counter()
        learner.train_and_act_step(packed)
        times.append(time.perf_counter() - start)
    return float(np.median(times))


def _env_and_call_seconds(components, steps: int = 1000) -> float:
    """Seconds per step of the barest loop: the compiled call, then each member's env.step with
    its action; no replay, noise, normalizers or records. Its share of the ceiling is the most
    any Python loop over these gymnasium envs can reach."""
    import numpy as np

    learner, envs = components.agent.learner, components.envs
    packed, a = _random_step_input(learner), learner.action_dim
    start = time.perf_counter()
    for _ in range(steps):
        actions = np.asarray(learner.train_and_act_step(packed))[: len(envs) * a]
        for env, action in zip(envs, actions.reshape(len(envs), a), strict=True):
            _, _, terminated, truncated, _ = env.step(action)
            if terminated or truncated:
                env.reset()
    return (time.perf_counter() - start) / steps


def _in_child(args: argparse.Namespace, *case: str) -> dict[str, float]:
    command = [sys.executable, "-m", "ddpg.bench", *case]
    command += ["--steps", str(args.steps), "--warmup", str(args.warmup)]
    command += ["--threads", str(args.threads)]
    out = subprocess.run(command, check=True, capture_output=True, text=True).stdout
    return json.loads(out.strip().splitlines()[-1])


def _print_half_stopped(args: argparse.Namespace) -> None:
    k = args.half_stopped
    r = _in_child(args, "--half-only", "--half-stopped", str(k))
    print(
        f"population mlp64 K={k}, members {k // 2}-{k - 1} stopped early: the {k // 2} left "
        f"{r['half']:8.0f} steps/s (all {k} running: {r['all']:8.0f}; per member x"
        f"{(r['half'] / (k // 2)) / (r['all'] / k):4.2f})"
    )


def main() -> None:
    parser = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    parser.add_argument("--steps", type=int, default=3000, help="timed env steps per case")
    parser.add_argument("--warmup", type=int, default=500, help="untimed steps before the clock")
    parser.add_argument("--threads", type=int, default=1, help="TF intra/inter-op threads")
    parser.add_argument(
        "--populations", default="1,4,8,16,32", help="K values; '' skips them and --half-stopped"
    )
    parser.add_argument("--half-stopped", type=int, default=8, help="K whose half stops; 0 skips")
    parser.add_argument("--member-count", type=int, help=argparse.SUPPRESS)  # one K, as JSON
    parser.add_argument("--half-only", action="store_true", help=argparse.SUPPRESS)  # as JSON
    args = parser.parse_args()
    from ddpg.population.build import configure_tensorflow

    configure_tensorflow(args.threads)
    if args.member_count:
        print(json.dumps(training_rate("mlp64", args.member_count, args.steps, args.warmup)))
        return
    if args.half_only:
        print(json.dumps(half_stopped_rate(args.half_stopped, args.steps, args.warmup)))
        return
    print(f"threads {args.threads}")
    print(f"bare env loop (Pendulum-v1, wrapped)      {bare_env_rate(20_000):8.0f} steps/s")
    for case, (_, batch) in CASES.items():
        rate = training_rate(case, 1, args.steps, args.warmup)["rate"]
        print(f"train {case:<14} batch {batch:<4} 1 update/step {rate:8.0f} steps/s")
    if not args.populations:
        return
    print(
        "population mlp64 batch 64: K, aggregate steps/s, x K=1, call ceiling, % of it "
        "(and of the barest loop: env.steps + call alone), RSS"
    )
    base = None
    for members in (int(k) for k in args.populations.split(",")):
        r = _in_child(args, "--member-count", str(members))
        base = base or r["rate"]
        print(
            f"  K={members:<3} {r['rate']:8.0f} steps/s  x{r['rate'] / base:4.2f}  "
            f"ceiling {r['ceiling']:8.0f} ({r['call_us']:6.0f} us/call)  "
            f"{100 * r['rate'] / r['ceiling']:3.0f}% (bare {100 * r['bare_share']:3.0f}%)  "
            f"peak RSS {r['rss_mb']:6.0f} MB"
        )
    if args.half_stopped:
        _print_half_stopped(args)


if __name__ == "__main__":
    main()
