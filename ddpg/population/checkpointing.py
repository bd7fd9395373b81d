"""When a population's trainer checkpoints, and how it restores: each member into its own run
folder on its own step (`trainer.checkpoint_every`), a study's snapshot of every member at one
loop tick (what goes in, how it comes back; the format is ddpg.population.snapshot's), both on
SIGINT/SIGTERM. A held member (ddpg.population.held_members) is never checkpointed: its run
folder keeps its last good checkpoint; a snapshot keeps it as it is, held, with why. A mixin of
ddpg.population.trainer.Trainer, whose state it reads."""

from __future__ import annotations

from collections.abc import Callable
from pathlib import Path
from typing import Any

import numpy as np

from ddpg.config.schema import RunConfig
from ddpg.population.build import Components
from ddpg.population.member_checkpoint import MemberStore, capture_member, learner_member_states
from ddpg.population.member_envs import MemberEnvs
from ddpg.population.member_records import MemberRecords
from ddpg.population.snapshot import Snapshots, save_study_state
from ddpg.population.stop_signals import StopSignals
from ddpg.population.train_state import InterruptedRun


class Checkpointing:
    """The trainer's checkpoints and restore (ddpg.population.trainer.Trainer sets the state)."""

    c: Components
    config: RunConfig
    configs: list[RunConfig]
    members: int
    freed: list[int]
    store: MemberStore
    records: MemberRecords
    envs: MemberEnvs
    signals: StopSignals
    tick: int
    offsets: np.ndarray
    held: dict[int, str]
    retired_steps: int
    _live: Callable[[np.ndarray], np.ndarray]
    # A study's population: after each tick, snapshot(signal received) may snapshot every
    # member at once (`use_snapshots`).
    snapshot: Callable[[bool], None] | None = None

    def restore(self, member_arrays: dict[int, dict], member_states: dict[int, dict]) -> None:
        """Continue from checkpoints (member -> arrays / state.json), envs replayed to the step."""
        restored = self.store.restore(member_arrays, member_states)
        for k, (state, _) in restored.items():
            self.records.resume(k, state)
            self.tick = state.step  # members resume together, from one step
        self.envs.replay({k: tape for k, (_, tape) in restored.items()})

    def use_snapshots(self, snapshots: Snapshots) -> None:
        """Snapshot every member every `snapshots.every` loop ticks, and on a signal."""

        def snapshot(forced: bool) -> None:
            if forced or self.tick % snapshots.every == 0:
                self._save_snapshot(snapshots)

        self.snapshot = snapshot

    def _save_snapshot(self, snapshots: Snapshots) -> Path:
        """Snapshot every slot at the current tick, with the study's state."""
        c, records = self.c, self.records
        learner_states = learner_member_states(c.agent.learner)
        arrays: dict[str, np.ndarray] = {}
        slots = []
        for k in range(self.members):
            state = records.states[k]
            kept = state.last_checkpoint_step  # a snapshot is no checkpoint in its run folder
            records.sync_state(k)
            state.last_checkpoint_step = kept
            tape, config = self.envs.tapes[k], self.configs[k]
            member, saved = capture_member(c, k, learner_states[k], tape, state, config)
            arrays.update({f"slot{k}/{name}": value for name, value in member.items()})
            slots.append(saved | {"run_dir": str(self.store.run_dirs[k])})
        snapshot = {
            "tick": self.tick,
            "offsets": self.offsets.tolist(),
            "freed": [int(k) for k in self.freed],
            "held": [[k, why] for k, why in sorted(self.held.items())],
            "retired_steps": self.retired_steps,  # the progress bar's count goes on from them
            "slots": slots,
            "study": snapshots.study_state(),
        }
        return save_study_state(snapshots.directory, arrays, snapshot, snapshots.keep)

    def restore_snapshot(self, arrays: dict[str, np.ndarray], state: dict[str, Any]) -> None:
        """Put a snapshot back (the trainer built with `snapshot_members`' configs and folders):
        every slot's components and counters, envs replayed to their step, tick, offsets, the
        slots waiting for a member, the members held and the steps of those whose slots others
        took."""
        slots = state["slots"]
        member_arrays = {
            k: {n[len(f"slot{k}/") :]: v for n, v in arrays.items() if n.startswith(f"slot{k}/")}
            for k in range(len(slots))
        }
        restored = self.store.restore(member_arrays, dict(enumerate(slots)))
        for k, (train, _) in restored.items():
            self.records.resume(k, train)
        self.envs.replay({k: tape for k, (_, tape) in restored.items()})
        self.tick = int(state["tick"])
        self.offsets[:] = np.asarray(state["offsets"], np.int64)
        self.freed = [int(k) for k in state["freed"]]
        # (a snapshot written before held members and retired steps were kept has neither)
        self.held = {int(k): str(why) for k, why in state.get("held", [])}
        self.retired_steps = int(state.get("retired_steps", 0))

    def _checkpoint(self, members: list[int]) -> None:
        """Checkpoint the listed members at their current step, each into its own run dir."""
        states = {k: self.records.sync_state(k) for k in members}
        self.store.checkpoint(states, self.envs.tapes)

    def _maybe_checkpoint(self, running: np.ndarray) -> None:
        every = self.config.trainer.checkpoint_every
        if self.snapshot is not None:
            self.snapshot(self.signals.received is not None)
        running = self._live(running)  # a held member's checkpoint stays its last good one
        if self.signals.received is not None:
            self._checkpoint(list(running))
            raise InterruptedRun(self.signals.received)
        if every and running.size:
            due = running[(self.tick - self.offsets[running]) % every == 0]
            if due.size:
                self._checkpoint(due.tolist())
