"""The environment loop against gymnasium's own wrappers: what is stored, what is normalized."""

import dataclasses
from pathlib import Path
from typing import Any

import gymnasium as gym
import numpy as np
import pytest
from conftest import poison_actor_learning_rate, population_trainer, tiny_member_config
from gymnasium.wrappers import NormalizeObservation, NormalizeReward

from ddpg.algo.seeds import Role, int_seed
from ddpg.config.schema import RunConfig
from ddpg.envs.make import make_env

EPISODE = 50  # Pendulum never terminates: every episode ends by truncation


@pytest.fixture(scope="module")
def trained(tmp_path_factory):
    """A short run with running observation and reward normalization; its components."""
    config = tiny_member_config(
        5,
        hidden=(8,),
        batch_size=8,
        learning_starts=40,
        episode=EPISODE,
        normalized=True,
        total_steps=4 * EPISODE,
        eval_every=100,
    )
    trainer = population_trainer([config], [Path(tmp_path_factory.mktemp("run"))])
    trainer.train()
    trainer.close()
    return config, trainer.c


def replay_through_gymnasium(config: RunConfig, actions: np.ndarray) -> gym.Env:
    """The run's env (raw observations) under gymnasium's normalizing wrappers, same actions."""
    env = NormalizeReward(
        NormalizeObservation(make_env(config.env)), gamma=config.reward_norm.gamma
    )
    env.reset(seed=int_seed(config.seed, Role.ENV))
    for t, action in enumerate(actions):
        _, _, terminated, truncated, _ = env.step(action)
        if (terminated or truncated) and t + 1 < len(actions):  # the run stops without a reset
            env.reset()
    return env


def test_replay_holds_raw_observations(trained):
    config, c = trained
    buffer = c.replay_buffer
    assert buffer.sizes[0] == config.trainer.total_steps
    env = make_env(dataclasses.replace(config.env, obs_norm="none"))  # what the env returns
    obs, _ = env.reset(seed=int_seed(config.seed, Role.ENV))
    for t in range(buffer.sizes[0]):
        np.testing.assert_array_equal(buffer.obs[0, t], obs)
        obs, _, terminated, truncated, _ = env.step(buffer.action[0, t])
        np.testing.assert_array_equal(buffer.next_obs[0, t], obs)
        if terminated or truncated:
            obs, _ = env.reset()


def test_observation_and_reward_statistics_match_gymnasium_wrappers(trained):
    config, c = trained
    stored = c.replay_buffer.sizes[0]
    reference = replay_through_gymnasium(config, c.replay_buffer.action[0, :stored])
    obs_rms = reference.env.obs_rms  # NormalizeObservation's
    ours = c.agent.obs_normalizer.member_state(0)
    # gymnasium's statistics are float32 (ours float64): equal to float32 resolution
    np.testing.assert_allclose(ours["mean"], obs_rms.mean, rtol=1e-6, atol=1e-6)
    np.testing.assert_allclose(ours["var"], obs_rms.var, rtol=1e-6, atol=1e-6)
    assert ours["count"] == obs_rms.count
    # Truncations carry the discounted return on, as NormalizeReward does.
    var = c.reward_normalizer.member_state(0)["var"]
    assert var == pytest.approx(float(reference.return_rms.var), rel=1e-10)


def test_actions_and_batches_use_the_current_statistics(trained):
    _, c = trained
    raw = c.replay_buffer.obs[0, :3]
    normalizer = c.agent.obs_normalizer
    stats = normalizer.member_state(0)
    expected = (raw - stats["mean"]) / np.sqrt(stats["var"] + 1e-8)
    np.testing.assert_allclose(normalizer.normalize(raw[None])[0], expected, rtol=1e-6)
    member = np.array([0])
    for obs in raw:
        np.testing.assert_array_equal(
            c.agent.policy_action(obs[None], member, explore=False),
            c.agent.learner.act(normalizer.normalize(obs[None])),
        )


def test_progress_bar_shows_the_last_eval_and_the_return_ema_together(tmp_path, capsys):
    config = tiny_member_config(
        hidden=(8,),
        batch_size=8,
        learning_starts=40,
        episode=EPISODE,
        total_steps=2 * EPISODE,
        eval_every=EPISODE,
        progress=True,
    )
    trainer = population_trainer([config], [tmp_path])
    trainer.train()
    trainer.close()
    last = capsys.readouterr().err.replace("\r", "\n").strip().splitlines()[-1]
    s = trainer.states[0]
    assert f"eval={s.final_eval_return:.1f}" in last and f"return_ema={s.return_ema:.1f}" in last
    assert "step/s" in last and f"{2 * EPISODE}/{2 * EPISODE}" in last


def _poison_member_1(trainer) -> tuple[list[np.ndarray], list[tuple[int, str, str | None]]]:
    """Member 1's actor learning rate made NaN (poison_actor_learning_rate); returns the
    actions its env is stepped with and each member's end (member, status, error), as they come."""
    poison_actor_learning_rate(trainer, 1)
    seen: list[np.ndarray] = []
    step = trainer.c.envs[1].step
    trainer.c.envs[1].step = lambda action: (seen.append(np.array(action)), step(action))[1]
    ended: list[tuple[int, str, str | None]] = []
    trainer.on_end = lambda k, status, error: ended.append((k, status, error))
    return seen, ended


def test_a_member_whose_updated_actor_is_not_finite_never_acts(tmp_path):
    """A NaN learning rate makes member 1's actor NaN in the very update whose losses are still
    finite: it is diverged at that step, its env never sees a non-finite action, and member 0
    trains on to its budget."""
    config = tiny_member_config(
        hidden=(8,), batch_size=8, episode=EPISODE, total_steps=60, eval_every=60
    )
    configs = [config, dataclasses.replace(config, seed=1)]
    trainer = population_trainer(configs, [tmp_path / "a", tmp_path / "b"])
    seen, ended = _poison_member_1(trainer)
    try:
        trainer.train()
    finally:
        trainer.close()
    assert seen and all(np.isfinite(action).all() for action in seen)
    assert len(seen) == 20  # the warm-up steps; the first learning step stopped it
    ((_, status, error),) = [end for end in ended if end[0] == 1]
    assert status == "diverged" and "the action is not finite" in error
    assert "loss" not in error  # its losses were still finite: only the action check saw it
    assert trainer.states[0].status == "completed" and trainer.states[0].step == 60


def _tiny16(seed: int, tau: float, total_steps: int = 80, **settings: Any) -> RunConfig:
    """A member at widths and batch of 16: shapes whose batched kernels give a member the same
    bits whatever the member count (at width 8 and batch 8 they differ in the last bit)."""
    return tiny_member_config(
        seed, tau=tau, episode=EPISODE, total_steps=total_steps, eval_every=20, **settings
    )


def _scalars(run_dir: Path) -> list[str]:
    lines = (run_dir / "scalars.csv").read_text().splitlines()
    return [line for line in lines if ",perf/" not in line]  # wall-clock rates differ


def _pruned_population(tmp_path: Path, prune: dict[int, set[int]]):
    """Four tiny members; at each evaluation step in `prune`, the listed members are pruned."""
    configs = [_tiny16(k, 0.01 * k) for k in range(1, 5)]
    trainer = population_trainer(configs, [tmp_path / str(k) for k in range(4)])
    trainer.on_eval = lambda k, step, mean: k in prune.get(step, set())
    try:
        trainer.train()
    finally:
        trainer.close()
    return trainer


def test_members_left_after_others_end_compute_alone_and_train_bit_for_bit_the_same(tmp_path):
    """Members 2 and 3 pruned at step 20, member 1 at step 40: from then on the step computes
    for the members left only (a member axis of 2: members 0 and 1, then member 0 repeated),
    and member 0's scalars and final state are those it has when no member ends early."""
    from ddpg.population.member_checkpoint import learner_member_states

    pruned = _pruned_population(tmp_path / "pruned", {20: {2, 3}, 40: {1}})
    everyone = _pruned_population(tmp_path / "everyone", {})
    assert [s.status for s in pruned.states] == ["completed", "pruned", "pruned", "pruned"]
    assert pruned.c.agent.learner.member_axes == [4, 2]
    assert everyone.c.agent.learner.member_axes == [4]
    assert _scalars(tmp_path / "pruned" / "0") == _scalars(tmp_path / "everyone" / "0")
    ours = learner_member_states(pruned.c.agent.learner)
    reference = learner_member_states(everyone.c.agent.learner)
    for name, value in reference[0].items():
        np.testing.assert_array_equal(ours[0][name], value, err_msg=name)


def test_a_member_started_in_a_freed_slot_trains_as_it_would_in_a_fresh_population(tmp_path):
    """Member 2 is pruned at step 20 and its slot takes a new member (seed 9, tau 0.05, OU noise
    and running normalizers, unlike the slot's first member) while the others train on; member 0
    completes at step 80 and its slot takes one more. Each new member's scalars, bit for bit,
    are those of the same config in a fresh population, and nothing was recompiled."""
    from ddpg.config.schema import NoiseConfig
    from ddpg.storage.metrics import MetricsWriter

    configs = [_tiny16(k, 0.01 * k) for k in range(1, 5)]
    newcomer = dataclasses.replace(
        _tiny16(9, 0.05, normalized=True), noise=NoiseConfig(name="ou", sigma=0.3)
    )
    queue = [(2, newcomer, tmp_path / "new"), (0, _tiny16(11, 0.02), tmp_path / "later")]

    def on_free(k: int):
        if not queue or queue[0][0] != k:
            return None
        _, config, run_dir = queue.pop(0)
        run_dir.mkdir()
        trainer.records.writers[k].close()  # the ended member's (close() closes the new one)
        return config, run_dir, MetricsWriter(run_dir)

    trainer = population_trainer(configs, [tmp_path / str(k) for k in range(4)])
    trainer.on_eval = lambda k, step, mean: k == 2 and step == 20 and trainer.configs[2].seed == 3
    trainer.on_free = on_free
    try:
        trainer.train()
        traces = [
            f.experimental_get_tracing_count() for f in trainer.c.agent.learner.compiled_functions
        ]
    finally:
        trainer.close()
    assert not queue
    assert [s.status for s in trainer.states] == ["completed"] * 4
    assert [s.step for s in trainer.states] == [80] * 4
    assert trainer.tick == 160  # the second newcomer started at step 80
    assert set(traces) == {1}  # each compiled step traced once: no recompile for a newcomer

    fresh = population_trainer(
        [newcomer, _tiny16(11, 0.02)], [tmp_path / "fresh_new", tmp_path / "fresh_later"]
    )
    try:
        fresh.train()
    finally:
        fresh.close()
    assert _scalars(tmp_path / "new") == _scalars(tmp_path / "fresh_new")
    assert _scalars(tmp_path / "later") == _scalars(tmp_path / "fresh_later")
    assert any("eval/return_mean" in line for line in _scalars(tmp_path / "new"))


def test_a_held_diverged_member_acts_at_random_then_copies_at_the_next_round(tmp_path):
    """Population-based training's hold: member 1's NaN learning rate makes it diverge at its
    first update (step 20); `on_diverge` holds it, so it is neither ended nor evaluated nor
    learning, and its env sees only finite (random) actions; at the round of step 40 it copies
    member 0 and trains on to its budget, its step counting on: it completes, one divergence
    counted, never recorded as diverged."""
    from ddpg.population.member_change import MemberChange

    configs = [_tiny16(1, 0.01, total_steps=60), _tiny16(2, 0.02, total_steps=60)]
    trainer = population_trainer(configs, [tmp_path / "0", tmp_path / "1"])
    seen, ended = _poison_member_1(trainer)
    held: list[tuple[int, int]] = []
    trainer.on_diverge = lambda k, step, why: held.append((k, step)) is None
    rounds: list[tuple[int, list[int]]] = []

    def exploit(members: np.ndarray, step: int) -> list[MemberChange]:
        rounds.append((step, members.tolist()))
        return [MemberChange(1, 0, configs[1], {})] if step == 40 else []

    trainer.exploit = exploit
    try:
        trainer.train()
        weights = trainer.c.agent.learner.actor.get_weights()
    finally:
        trainer.close()
    assert held == [(1, 20)]
    assert rounds == [(20, [0, 1]), (40, [0, 1]), (60, [0, 1])]  # the held one too, at 40
    assert len(seen) == 60 and all(np.isfinite(action).all() for action in seen)
    assert sorted(ended) == [(0, "completed", None), (1, "completed", None)]
    state = trainer.states[1]
    assert state.step == 60 and state.divergences == 1 and not trainer.held
    assert all(np.isfinite(w[1]).all() for w in weights)  # member 1's actor, revived
    evals = [
        line.split(",")[0] for line in _scalars(tmp_path / "1") if ",eval/return_mean," in line
    ]
    assert evals == ["20", "60"]  # not evaluated while held (step 40)


def test_a_held_member_with_nothing_to_copy_ends_diverged_at_the_round(tmp_path):
    from ddpg.population.member_change import MemberChange

    configs = [_tiny16(1, 0.01, total_steps=60), _tiny16(2, 0.02, total_steps=60)]
    trainer = population_trainer(configs, [tmp_path / "0", tmp_path / "1"])
    poison_actor_learning_rate(trainer, 1)
    ended: list[tuple[int, str]] = []
    trainer.on_end = lambda k, status, error: ended.append((k, status))
    trainer.on_diverge = lambda k, step, why: True
    trainer.exploit = lambda members, step: (
        [MemberChange(1, None, configs[1], {})] if step == 40 else []
    )
    try:
        trainer.train()
    finally:
        trainer.close()
    assert sorted(ended) == [(0, "completed"), (1, "diverged")]
    assert trainer.states[1].step == 40 and trainer.states[1].divergences == 1


def test_with_refilled_slots_the_progress_counts_each_members_steps_to_its_total(
    tmp_path, monkeypatch
):
    """Two slots, each taking one more member when its first completes (step 40): the status
    file's step counts every member's steps per slot against the budget of the members
    running and to come (`upcoming`), so it never passes its total, which stays 80 from the
    start (an ETA that holds), and ends at 80/80, not at the loop's 80 ticks of a 40 budget."""
    from ddpg.population import progress as module
    from ddpg.storage.metrics import MetricsWriter

    monkeypatch.setattr(module, "STATUS_EVERY_S", 0.0)
    written: list[dict] = []
    write = module.write_json_atomic
    monkeypatch.setattr(
        module, "write_json_atomic", lambda path, data: (written.append(data), write(path, data))
    )

    def member(seed: int) -> RunConfig:  # logging every 10 steps: the bar moves then
        config = _tiny16(seed, 0.01 * seed, total_steps=40)
        return dataclasses.replace(
            config, trainer=dataclasses.replace(config.trainer, log_every=10)
        )

    queue = [member(7), member(8)]

    def on_free(k: int):
        if not queue:
            return None
        run_dir = tmp_path / f"new{k}"
        run_dir.mkdir()
        trainer.records.writers[k].close()
        return queue.pop(0), run_dir, MetricsWriter(run_dir)

    configs = [member(1), member(2)]
    trainer = population_trainer(configs, [tmp_path / "0", tmp_path / "1"])
    trainer.on_free, trainer.upcoming = on_free, lambda: len(queue)
    trainer.status_path = tmp_path / "status.json"
    try:
        trainer.train()
    finally:
        trainer.close()
    assert trainer.tick == 80 and not queue
    assert written and all(s["step"] <= s["total_steps"] == 80 for s in written)
    assert written[-1]["finished"] and written[-1]["step"] == 80
