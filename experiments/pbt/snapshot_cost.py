"""What one study snapshot costs when the replay buffers are full: size on disk, seconds to write,
seconds to read back.

    python experiments/pbt/snapshot_cost.py [--members 4 8] [--repeats 3] [--dir /tmp]

A study (`python -m ddpg.tune`, Optuna or PBT) snapshots its whole population at every
evaluation unless `trainer.checkpoint_every` says otherwise (ddpg.tune.snapshots), each member's
replay rows included. For each case and population size M this builds the population a study
would train (configs composed from conf/ as `python -m ddpg.run` composes them; the components
and Trainer of ddpg.population), fills every member's replay buffer directly with random numbers
(no training), and times the study's own code path:

- write: `Trainer.use_snapshots` then a snapshot (each member's learner slice,
  `capture_member`, `ddpg.storage.checkpoint.save_checkpoint`: np.savez, fsync, the sha256
  manifest, the rename into place, removing snapshots beyond `trainer.keep_checkpoints`);
- read: `load_checkpoint` of the newest snapshot (sha256 checked, every array loaded), its
  files first dropped from the page cache (posix_fadvise DONTNEED), so they come from disk;
- restore: `Trainer.restore_snapshot` of what was read (weights, optimizer state, replay rows,
  normalizers and RNGs put back into the population);
- checkpoints: every member's own checkpoint into its run folder (`MemberStore.checkpoint`),
  which a study writes at the same ticks as its snapshots when `trainer.checkpoint_every` is
  set (ddpg.population.checkpointing), not by default.

Cases: `halfcheetah` is HalfCheetah-v5 (obs 17, action 6) under `+experiment=td3_protocol`
(mlp400_300, the agent's 1,000,000-transition buffer), its buffers full as at the end of a
1M-step study; `pendulum` is Pendulum-v1 (obs 3, action 1) under the defaults (mlp64), each
buffer holding 20,000 transitions, all that its 20k-step budget stores. Snapshots go to a fresh
folder under --dir, removed at the end. Prints CSV, one row per write, after `#` lines naming
the commit, the command and the machine (experiments/pbt/snapshot_cost.csv is this output).
"""

from __future__ import annotations

import argparse
import dataclasses
import os
import platform
import shlex
import shutil
import subprocess
import sys
import tempfile
import time
from pathlib import Path
from typing import Any

import numpy as np

REPO = Path(__file__).resolve().parents[2]
#: case -> (overrides composed as `python -m ddpg.run` would, transitions per member)
CASES: dict[str, tuple[list[str], int | None]] = {
    "halfcheetah": (["env=halfcheetah", "+experiment=td3_protocol"], None),  # None: full
    "pendulum": (["env=pendulum"], 20_000),
}
COLUMNS = (
    "case",
    "env_id",
    "members",
    "obs_dim",
    "action_dim",
    "network",
    "buffer_size",
    "transitions_per_member",
    "repeat",
    "snapshot_gb",
    "write_s",
    "read_s",
    "restore_s",
    "checkpoints_gb",
    "checkpoints_s",
)


def compose(overrides: list[str]) -> Any:
    """The RunConfig of `python -m ddpg.run <overrides>`."""
    from hydra import compose as hydra_compose
    from hydra import initialize_config_dir

    from ddpg.run import to_run_config

    with initialize_config_dir(config_dir=str(REPO / "conf"), version_base="1.3"):
        return to_run_config(hydra_compose("config", overrides=overrides))


def fill(buffer: Any, transitions: int, rng: np.random.Generator) -> None:
    """Every member's ring holds `transitions` random transitions (the rest stays zero; so do
    the terminated flags, as HalfCheetah and Pendulum never terminate)."""
    for name in ("obs", "action", "reward", "next_obs"):
        for rows in getattr(buffer, name):  # [K, C, ...]: one member's rows are contiguous
            rng.random(dtype=np.float32, out=rows[:transitions])
    buffer.sizes[:] = transitions
    buffer.positions[:] = transitions % buffer.capacity


def drop_from_page_cache(folder: Path) -> None:
    """Ask the kernel to forget the files' cached pages (written and fsynced: clean pages)."""
    for path in folder.iterdir():
        fd = os.open(path, os.O_RDONLY)
        try:
            os.posix_fadvise(fd, 0, 0, os.POSIX_FADV_DONTNEED)
        finally:
            os.close(fd)


def measure(case: str, members: int, repeats: int, workdir: Path) -> list[dict[str, Any]]:
    """`repeats` snapshots of one population, each written, read back and restored."""
    from ddpg.algo.tf_startup import import_tensorflow

    import_tensorflow()  # before population.build imports it: start-up notices stay quiet
    from ddpg.population.build import build
    from ddpg.population.snapshot import Snapshots
    from ddpg.population.trainer import Trainer
    from ddpg.storage.checkpoint import list_checkpoints, load_checkpoint
    from ddpg.storage.metrics import MetricsWriter

    overrides, transitions = CASES[case]
    base = compose(overrides)
    base.trainer.progress = False
    configs = [dataclasses.replace(base, seed=k) for k in range(members)]
    run_dirs = [workdir / case / f"member{k:02d}" for k in range(members)]
    for run_dir in run_dirs:
        run_dir.mkdir(parents=True)
    components = build(configs)
    writers = [MetricsWriter(d) for d in run_dirs]
    trainer = Trainer(configs, components, run_dirs, writers)
    buffer = components.replay_buffer
    held = transitions or buffer.capacity
    fill(buffer, held, np.random.default_rng(0))
    checksum = float(buffer.obs.sum(dtype=np.float64))
    folder = workdir / case / "snapshots"
    trainer.use_snapshots(Snapshots(folder, 1, base.trainer.keep_checkpoints, lambda: {}))
    assert trainer.snapshot is not None
    rows = []
    for repeat in range(repeats):
        start = time.perf_counter()
        trainer.snapshot(True)
        write_s = time.perf_counter() - start
        newest = list_checkpoints(folder)[-1]
        size = sum(p.stat().st_size for p in newest.iterdir())
        drop_from_page_cache(newest)
        start = time.perf_counter()
        arrays, state = load_checkpoint(newest)
        read_s = time.perf_counter() - start
        for k in range(members):
            buffer.clear_member(k)
        start = time.perf_counter()
        trainer.restore_snapshot(arrays, state)
        restore_s = time.perf_counter() - start
        del arrays
        assert buffer.sizes.tolist() == [held] * members  # the whole buffer went round
        assert float(buffer.obs.sum(dtype=np.float64)) == checksum
        # What trainer.checkpoint_every adds in a study: each member's own checkpoint too.
        start = time.perf_counter()
        states = {k: trainer.records.sync_state(k) for k in range(members)}
        trainer.store.checkpoint(states, trainer.envs.tapes)
        checkpoints_s = time.perf_counter() - start
        own = [list_checkpoints(d / "checkpoints")[-1] for d in run_dirs]
        checkpoints = sum(p.stat().st_size for d in own for p in d.iterdir())
        rows.append(
            {
                "case": case,
                "env_id": base.env.id,
                "members": members,
                "obs_dim": components.agent.learner.obs_dim,
                "action_dim": components.agent.learner.action_dim,
                "network": base.network.name,
                "buffer_size": buffer.capacity,
                "transitions_per_member": held,
                "repeat": repeat,
                "snapshot_gb": f"{size / 1e9:.4f}",
                "write_s": f"{write_s:.3f}",
                "read_s": f"{read_s:.3f}",
                "restore_s": f"{restore_s:.3f}",
                "checkpoints_gb": f"{checkpoints / 1e9:.4f}",
                "checkpoints_s": f"{checkpoints_s:.3f}",
            }
        )
    for writer in writers:
        writer.close()
    components.close()
    shutil.rmtree(workdir / case)
    return rows


def _git(*args: str) -> str:
    """What `git -C <repo> <args>` prints (empty where git fails)."""
    run = subprocess.run(["git", "-C", str(REPO), *args], capture_output=True, text=True)
    return run.stdout.strip()


def header(argv: list[str]) -> list[str]:
    """The `#` lines: commit, command, machine."""
    commit = _git("rev-parse", "--short", "HEAD")
    dirty = _git("status", "--porcelain", "--untracked-files=no")
    command = shlex.join(["python", "experiments/pbt/snapshot_cost.py", *argv])
    return [
        f"# commit: {commit}{' (with uncommitted changes)' if dirty else ''}",
        f"# command: {command}",
        f"# machine: {platform.machine()}, {os.cpu_count()} CPUs, Python "
        f"{platform.python_version()}, {time.strftime('%Y-%m-%d %H:%M UTC', time.gmtime())}",
    ]


def main(argv: list[str] | None = None) -> int:
    argv = sys.argv[1:] if argv is None else argv
    parser = argparse.ArgumentParser(description=__doc__.split("\n\n")[0])
    parser.add_argument("--members", type=int, nargs="+", default=[4, 8])
    parser.add_argument("--cases", nargs="+", choices=sorted(CASES), default=list(CASES))
    parser.add_argument("--repeats", type=int, default=3)
    parser.add_argument("--dir", type=Path, default=Path(tempfile.gettempdir()))
    args = parser.parse_args(argv)
    print("\n".join(header(argv)))
    print(",".join(COLUMNS), flush=True)
    workdir = Path(tempfile.mkdtemp(prefix="snapshot_cost-", dir=args.dir))
    try:
        for case in args.cases:
            for members in args.members:
                for row in measure(case, members, args.repeats, workdir):
                    print(",".join(str(row[c]) for c in COLUMNS), flush=True)
    finally:
        shutil.rmtree(workdir, ignore_errors=True)
    return 0


if __name__ == "__main__":
    sys.exit(main())
