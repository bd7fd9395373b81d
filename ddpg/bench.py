"""Speed benchmark: env steps per second of the full training loop on Pendulum-v1.

    python -m ddpg.bench [--steps N]

Prints the bare env loop (random actions, same wrappers) for reference, then training with one
update per env step for mlp64 / batch 64 and paper_400_300 / batch 256. Only the env loop's
training steps are timed (the trainer's `loop_seconds`): not the warm-up steps and compilation
before them, nor the closing evaluation, policy save and checkpoint after them.
"""

from __future__ import annotations

import argparse
import os
import tempfile
import time
from pathlib import Path

os.environ.setdefault("TF_CPP_MIN_LOG_LEVEL", "2")

from ddpg.build import configure_tensorflow
from ddpg.config import AgentConfig, EnvConfig, NetworkConfig, RunConfig, TrainerConfig

CASES = (
    ("mlp64", [64, 64], 0, None, "glorot_uniform", 64),
    ("paper_400_300", [400, 300], 1, 3e-3, "fan_in_uniform", 256),
)


def bare_env_rate(steps: int) -> float:
    """Steps/s of the wrapped env alone, with uniform random actions."""
    import numpy as np

    from ddpg.envs import make_env

    env = make_env(EnvConfig())
    rng = np.random.default_rng(0)
    env.reset(seed=0)
    start = time.perf_counter()
    for _ in range(steps):
        _, _, terminated, truncated, _ = env.step(rng.uniform(-1, 1, 1).astype(np.float32))
        if terminated or truncated:
            env.reset()
    return steps / (time.perf_counter() - start)


def training_rate(network: NetworkConfig, batch_size: int, steps: int, warmup: int) -> float:
    """Steps/s of the training loop after `warmup` steps (one update per step throughout)."""
    from ddpg.build import build
    from ddpg.metrics import MetricsWriter
    from ddpg.trainer import Trainer

    config = RunConfig(
        agent=AgentConfig(batch_size=batch_size, learning_starts=batch_size),
        network=network,
        trainer=TrainerConfig(
            total_steps=warmup,
            eval_every=10**9,
            eval_episodes=1,  # the closing evaluation stays out of the figure
            log_every=10**9,
            progress=False,
        ),
    )
    with tempfile.TemporaryDirectory() as tmp:
        components = build(config)
        writer = MetricsWriter(Path(tmp))
        trainer = Trainer(config, components, Path(tmp), writer)
        trainer.train()  # compiles and fills the buffer past batch_size
        config.trainer.total_steps = warmup + steps
        trainer.train()
        rate = steps / trainer.loop_seconds
        writer.close()
    return rate


def main() -> None:
    parser = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    parser.add_argument("--steps", type=int, default=5000, help="timed env steps per case")
    parser.add_argument("--warmup", type=int, default=1000, help="untimed steps before the clock")
    parser.add_argument("--threads", type=int, default=1, help="TF intra/inter-op threads")
    args = parser.parse_args()
    configure_tensorflow(args.threads)
    print(f"bare env loop (Pendulum-v1, wrapped)      {bare_env_rate(20_000):8.0f} steps/s")
    for name, hidden, insert, final_init, init, batch in CASES:
        network = NetworkConfig(
            name=name,
            actor_hidden=hidden,
            critic_hidden=hidden,
            action_insert_layer=insert,
            final_init=final_init,
            hidden_init=init,
        )
        rate = training_rate(network, batch, args.steps, args.warmup)
        print(f"train {name:<14} batch {batch:<4} 1 update/step {rate:8.0f} steps/s")


if __name__ == "__main__":
    main()
