"""A population's evaluations, on the trainer's side: the members due evaluated together on
their eval envs (each seeded once, at its first evaluation), each result recorded and checked by
the stop rules, then reported to `on_eval`, which may stop a member ("pruned"). A mixin of
ddpg.population.trainer.Trainer, whose state it reads."""

from __future__ import annotations

from collections.abc import Callable

import numpy as np

from ddpg.algo.seeds import Role, int_seed
from ddpg.config.schema import RunConfig
from ddpg.envs.rollout import evaluate_members
from ddpg.population import stop_rules
from ddpg.population.build import Components
from ddpg.population.member_envs import MemberEnvs
from ddpg.population.member_records import MemberRecords
from ddpg.population.train_state import TrainState

#: Called after each periodic evaluation of a member: (member, env step, eval mean); True stops
#: that member ("pruned", e.g. by a hyperparameter search), the others train on.
OnEval = Callable[[int, int, float], bool]


class MemberEvals:
    """The trainer's evaluations (ddpg.population.trainer.Trainer sets the state)."""

    c: Components
    config: RunConfig
    configs: list[RunConfig]
    states: list[TrainState]
    records: MemberRecords
    envs: MemberEnvs
    on_eval: OnEval | None
    _finish: Callable[..., None]

    def _evaluate(self, members: np.ndarray) -> None:
        agent, cfg = self.c.agent, self.config
        for k in members:  # once; later evaluations continue the eval env's RNG
            if not self.states[k].eval_seeded:
                self.c.eval_envs[k].reset(seed=int_seed(self.configs[k].seed, Role.EVAL_ENV))
                self.states[k].eval_seeded = True
        act = lambda obs: agent.policy_action(obs, members, explore=False)  # noqa: E731
        returns = evaluate_members(
            self.c.eval_envs, act, members, cfg.trainer.eval_episodes, self.envs.obs.shape[1]
        )
        for i, k in enumerate(members):
            self.records.eval_result(k, returns[i])
            stop_rules.after_eval(self.states[k], self.configs[k])

    def _report_evals(self, members: np.ndarray) -> None:
        if self.on_eval is None:
            return
        for k in members:
            mean, step = self.states[k].final_eval_return, self.states[k].step
            if mean is not None and self.on_eval(int(k), step, mean):
                self._finish(int(k), "pruned")
