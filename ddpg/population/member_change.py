"""What population-based training does to one member at a step, as data (no TensorFlow here,
so that ddpg.tune can say it before training starts); ddpg.population.slots carries it out."""

from __future__ import annotations

from typing import NamedTuple

from ddpg.config.schema import RunConfig


class MemberChange(NamedTuple):
    """`target` copies `source` (None: nothing is copied) and trains on under `config`;
    `scalars` are logged at that step. `copy_replay`: the copy takes the source's replay buffer
    too, replacing the target's (`tune.pbt.copy_replay`)."""

    target: int
    source: int | None
    config: RunConfig
    scalars: dict[str, float]
    copy_replay: bool = False
