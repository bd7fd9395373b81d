"""ddpg.population.stop_rules: early stopping on the return EMA or the eval mean, episode cap."""

import dataclasses

from ddpg.config.schema import EnvConfig, RunConfig, TrainerConfig
from ddpg.population import stop_rules
from ddpg.population.train_state import TrainState


def _config(**trainer) -> RunConfig:
    return RunConfig(env=EnvConfig(solved_score=-200.0), trainer=TrainerConfig(**trainer))


def test_the_target_is_target_score_else_the_solved_score() -> None:
    assert stop_rules.target_score(_config()) == -200.0
    assert stop_rules.target_score(_config(early_stop="eval", target_score=-150.0)) == -150.0


def test_ema_stops_only_above_the_target_and_eval_at_or_above_it() -> None:
    ema = _config(early_stop="ema")
    state = TrainState(return_ema=-200.0)
    stop_rules.after_episode(state, ema)
    assert not state.stopped_early  # the EMA must pass the target
    state.return_ema = -199.0
    stop_rules.after_eval(state, ema)  # not this rule's event
    assert not state.stopped_early
    stop_rules.after_episode(state, ema)
    assert state.stopped_early and stop_rules.rule_met(state, ema)
    evaluated = TrainState(final_eval_return=-200.0)
    stop_rules.after_eval(evaluated, _config(early_stop="eval"))
    assert evaluated.stopped_early


def test_the_episode_cap_stops_a_member() -> None:
    config = dataclasses.replace(_config(), trainer=TrainerConfig(max_episodes=3))
    assert not stop_rules.rule_met(TrainState(episode=2), config)
    assert stop_rules.rule_met(TrainState(episode=3), config)
