"""The environment loop of a population: warm-up, act, store, update, evaluate, log, stop.

All members advance together: one compiled call updates every learning member and returns every
member's next action, then each running member's env takes its step. Members end on their own
(budget, early stop, episode cap, divergence) and the rest train on; a diverged member is frozen
with its last good checkpoint kept, unless `on_diverge` holds it for population-based training's
next `exploit` (ddpg.population.held_members). A single run is a population of one. A slot whose
member ended may take a fresh member at once (`on_free`, `reset_member`), which counts its own
steps from 0 while the others go on; population-based training changes members in place after
an evaluation (`exploit`, `change_member`): ddpg.population.member_slots; what either does to the
components is ddpg.population.slots'. Stop rules are ddpg.population.stop_rules', per-member
counters and scalars ddpg.population.member_records', the envs mid-episode
ddpg.population.member_envs', evaluations ddpg.population.member_evals', policies and
checkpoints ddpg.population.member_checkpoint's, when to checkpoint (and a study's snapshots)
and restore ddpg.population.checkpointing's.
"""

from __future__ import annotations

import time
from collections.abc import Callable
from pathlib import Path

import numpy as np

from ddpg.algo.seeds import Role, int_seed
from ddpg.config.schema import RunConfig
from ddpg.population import stop_rules
from ddpg.population.build import Components
from ddpg.population.checkpointing import Checkpointing
from ddpg.population.held_members import HeldMembers, OnDiverge
from ddpg.population.member_change import MemberChange
from ddpg.population.member_checkpoint import MemberStore
from ddpg.population.member_envs import MemberEnvs
from ddpg.population.member_evals import MemberEvals, OnEval
from ddpg.population.member_records import MemberRecords
from ddpg.population.member_slots import MemberSlots, OnFree
from ddpg.population.progress import PopulationProgress
from ddpg.population.stop_signals import StopSignals
from ddpg.population.train_state import TrainState
from ddpg.storage.metrics import MetricsWriter

#: Called once per member when it stops training: (member, status, error or None).
OnEnd = Callable[[int, str, str | None], None]
#: Called after the evaluations of a step (the members evaluated, their step): the changes
#: population-based training makes (ddpg.population.member_change.MemberChange), [] for none.
Exploit = Callable[[np.ndarray, int], list[MemberChange]]


class Trainer(Checkpointing, MemberSlots, HeldMembers, MemberEvals):
    """Runs DDPG for the members of `components`, member k under `configs[k]`."""

    def __init__(
        self,
        configs: list[RunConfig],
        components: Components,
        run_dirs: list[Path],
        writers: list[MetricsWriter],
        started: float | None = None,
        on_end: OnEnd | None = None,
        on_eval: OnEval | None = None,
        status_path: Path | None = None,
        on_free: OnFree | None = None,
        exploit: Exploit | None = None,
        on_diverge: OnDiverge | None = None,
        upcoming: Callable[[], int] | None = None,
    ) -> None:
        """Member k trains under `configs[k]` into `run_dirs[k]`, logging through `writers[k]`;
        `started`: the perf_counter() reading this segment's wall time counts from;
        `status_path`: where the progress is kept for a launcher to show (None: nowhere);
        `on_free`: asked for a new member each time a slot frees (None: slots stay empty);
        `exploit`: population-based training's decisions after each step's evaluations;
        `on_diverge`: whether a diverged member is held for `exploit` (None: it ends);
        `upcoming`: how many more members `on_free` will start (for the progress bar's total)."""
        self.configs, self.c = list(configs), components
        self.config = configs[0]  # budget, cadence and shapes are the same in every member
        self.members = len(configs)
        self.records = MemberRecords(
            writers,
            [config.trainer.ema_decay for config in configs],
            [config.env.solved_score for config in configs],
            started,
        )
        self.store = MemberStore(components, self.configs, run_dirs)
        self.on_end = on_end or (lambda k, status, error: None)
        self.on_eval = on_eval
        self.states = self.records.states
        env_seeds = [int_seed(config.seed, Role.ENV) for config in configs]
        self.envs = MemberEnvs(env_seeds, components, self.states)
        self.signals = StopSignals()
        self.loop_seconds = 0.0  # the last train() call's env loop alone (no closing work)
        self.status_path = status_path
        self.on_free, self.exploit = on_free, exploit
        self.freed: list[int] = []  # slots freed since the last refill
        self.on_diverge, self.upcoming = on_diverge, upcoming
        self.held: dict[int, str] = {}
        self.retired_steps = 0  # env steps of the members whose slots others took
        # The loop's step count; member k's own step is tick - offsets[k] (a member that
        # started in a freed slot counts from 0).
        self.tick = 0
        self.offsets = np.zeros(self.members, np.int64)

    @property
    def running(self) -> np.ndarray:
        """Indices of the members still training."""
        return np.array([k for k, s in enumerate(self.states) if s.status == "running"], int)

    def train(self) -> list[TrainState]:
        """Run every member until its budget, episode cap, early stop or divergence; a slot
        freed meanwhile takes the member `on_free` hands over, if any."""
        cfg, c = self.config, self.c
        agent, buffer, normalizer = c.agent, c.replay_buffer, c.reward_normalizer
        batch_size, n_updates = cfg.agent.batch_size, cfg.agent.updates_per_step
        learning_starts = max(cfg.agent.learning_starts, batch_size)
        total, schedule = cfg.trainer.total_steps, cfg.trainer
        progress = PopulationProgress(cfg.trainer, self.states, self.status_path, work=self._work())
        self.signals.__enter__()  # SIGINT/SIGTERM: checkpoint every running member and stop
        loop_start = time.perf_counter()
        running = self.running
        envs = self.envs
        envs.to_start = [k for k in running.tolist() if envs.tapes[k] is None]
        all_ready = False
        try:
            while True:
                if self.freed:
                    self._refill()
                    running, all_ready = self.running, False  # a new member warms up
                if not running.size:
                    break
                tick = self.tick
                member_steps = tick - self.offsets  # [K]
                over = running[member_steps[running] >= total]
                if over.size:
                    if over.size == running.size:
                        self.loop_seconds = time.perf_counter() - loop_start
                    states = self.states
                    due = [
                        k for k in self._live(over) if states[k].last_eval_step != states[k].step
                    ]
                    if due:  # one batched final evaluation rather than one per member
                        self._evaluate(np.array(due))
                    for k in over:
                        self._finish(k, "completed")
                    running = self.running
                    continue
                envs.start_episodes()  # of members whose episode ended (or never began)
                agent.noise.set_progress(member_steps)
                actions = np.zeros((self.members, agent.action_dim), np.float32)
                if all_ready:  # replay only grows: once everyone is ready, all stay ready
                    learners, warm = running, running[:0]
                else:
                    ready = buffer.sizes[running] >= learning_starts
                    learners, warm = running[ready], running[~ready]
                    all_ready = bool(ready.all())
                learners, warm = self._live(learners), self._live(warm)  # the held neither
                if learners.size:
                    batches = [
                        buffer.sample(batch_size, c.replay_rngs, learners) for _ in range(n_updates)
                    ]
                    batches = [
                        b._replace(reward=normalizer.normalize_batch(b.reward)) for b in batches
                    ]
                    acting = learners if cfg.agent.random_warmup else running
                    policy_action, metrics = agent.update_and_act(
                        batches, learners, acting, envs.obs
                    )
                    # The action comes from the just-updated actor: a member whose update went
                    # non-finite is stopped here, before its env sees the action.
                    acted = policy_action[learners]
                    if not np.isfinite(metrics[learners].sum() + acted.sum()):
                        finite = np.isfinite(metrics[learners]).all(axis=1)
                        finite &= np.isfinite(acted).all(axis=1)
                        for k in learners[~finite]:  # frozen, its last good checkpoint kept
                            why = self.records.divergence(k, metrics[k], policy_action[k])
                            if not self._hold(k, why):
                                self._finish(k, "diverged", why)
                        learners = learners[finite]
                        running = np.sort(np.concatenate([learners, warm, self._held()]))
                        if not running.size:
                            continue  # a freed slot may take a new member
                    self.records.add_metrics(learners, metrics, batches[0].reward)
                    actions[learners] = agent.explore(policy_action, learners)[learners]
                    if warm.size and not cfg.agent.random_warmup:
                        actions[warm] = agent.explore(policy_action, warm)[warm]
                elif not cfg.agent.random_warmup:
                    policy_action = agent.policy_action(envs.obs, warm, explore=True)
                    actions[warm] = agent.explore(policy_action, warm)[warm]
                if warm.size and cfg.agent.random_warmup:
                    actions[warm] = agent.random_action(warm)[warm]
                self._act_held(actions)
                ended = envs.step(running, actions)
                self.tick = tick = tick + 1
                steps = tick - self.offsets[running]  # [R] each running member's own step
                logged = running[steps % schedule.log_every == 0]
                if logged.size:
                    self.records.log_window(logged, progress.rate(tick))
                    progress.update(*self._work())
                evaluated = running[steps % schedule.eval_every == 0]
                if evaluated.size:
                    if (live := self._live(evaluated)).size:
                        self._evaluate(live)
                        self._report_evals(live)
                    if self.exploit is not None:  # the held too: exploit revives or ends them
                        step = self.states[evaluated[0]].step  # PBT's members share it
                        for change in self.exploit(evaluated, step):
                            self.change_member(change)
                    progress.show(self.states)
                if ended:
                    envs.end_episodes(ended)
                    for k, info in ended:
                        self.records.end_episode(k, info, agent.noise.scale[k])
                        if k not in self.held:  # its random episodes decide nothing
                            stop_rules.after_episode(self.states[k], self.configs[k])
                # Stop rules change only with an episode's end or an evaluation.
                checked = evaluated if evaluated.size else np.array([k for k, _ in ended], int)
                for k in self._live(checked):
                    s = self.states[k]
                    if s.status == "running" and stop_rules.rule_met(s, self.configs[k]):
                        stopped = s.stopped_early
                        self._finish(k, "stopped_early" if stopped else "completed")
                if ended or evaluated.size:
                    running = self.running
                self._maybe_checkpoint(running)
        finally:
            self.signals.__exit__()
            progress.close(self.states, self._work())
            self.records.flush()
        return self.states

    def _finish(self, k: int, status: str, error: str | None = None) -> None:
        """Member k stops: final eval and policy (unless diverged), last checkpoint, summary.

        Statuses: completed, stopped_early, pruned (by `on_eval`), diverged.
        """
        if k in self.held:  # no copy revived it (none to copy, or its budget came first)
            status, error = "diverged", self.held.pop(k)
        s = self.states[k]
        eval_due = status != "diverged" and s.last_eval_step != s.step
        if eval_due:
            self._evaluate(np.array([k]))
        if status != "diverged":
            self.store.save_policy(k)
        s.status = status
        self.records.stop_clock(k)
        # Skip the checkpoint when one was just written for this very state.
        if status != "diverged" and (eval_due or s.last_checkpoint_step != s.step):
            self._checkpoint([k])
        self.on_end(k, status, error)
        if self.on_free is not None:
            self.freed.append(k)
