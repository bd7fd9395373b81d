"""Streams by role: SeedSequence's own spawned children, distinct across runs and roles."""

from __future__ import annotations

import numpy as np

from ddpg.algo.seeds import Role, generator, int_seed, stream


def test_a_stream_is_the_child_that_seedsequence_spawns() -> None:
    children = np.random.SeedSequence(7).spawn(len(Role))
    for role in Role:
        expected = children[role].generate_state(4)
        assert (stream(7, role).generate_state(4) == expected).all()
    layer = np.random.SeedSequence(7).spawn(1)[0].spawn(3)[2].spawn(2)[1]
    assert (stream(7, Role.ACTOR, 2, 1).generate_state(4) == layer.generate_state(4)).all()


def test_runs_and_roles_share_no_int_seed_or_generator_stream() -> None:
    seeds = {(s, role): int_seed(s, role) for s in range(200) for role in Role}
    assert len(set(seeds.values())) == len(seeds)
    assert all(0 <= v < 2**32 for v in seeds.values())
    draws = {tuple(generator(s, role).integers(0, 2**62, 4)) for s in range(50) for role in Role}
    assert len(draws) == 50 * len(Role)


def test_the_same_seed_gives_the_same_streams() -> None:
    assert int_seed(3, Role.ENV) == int_seed(3, Role.ENV)
    assert generator(3, Role.REPLAY).random() == generator(3, Role.REPLAY).random()
