"""The learner's state as one structure of [K, ...] variables, and the rows of some members.

A step where only some members learn (the others finished, stopped early, pruned, diverged or
still warming up) computes for those members alone: it gathers their rows of every variable into
tensors [N, ...], runs the update on that member axis of N, and scatters the results back, so a
member that is not listed costs no arithmetic and its variables are not written. A listed
member's numbers are those it would have in a population of N: where XLA's batched kernels give
a member the same bits whatever the member count (N >= 2; one member compiles its matmuls
without the member axis, see `listed_size`), as at the widths and batches of 16 and 64 checked
in tests/integration/test_population.py and tests/unit/population/test_trainer.py, those are
the bits the step of all K members would have given it; at width 8 and batch 8 a member's bits
already depend on its population's size (3.7e-9 after 70 updates, K = 2 against K = 4), and
then on N alike.

N is rounded up to a power of two (padding repeats a listed member, whose duplicate rows compute
the same values and scatter the same bits back): each N is its own trace and XLA compile, so a
population of K compiles at most log2(K) + 1 such steps however its members end, at a cost of
at most twice the arithmetic of the members that learn.
"""

from __future__ import annotations

from typing import NamedTuple

import keras
import numpy as np
import tensorflow as tf

from ddpg.algo.member_adam import AdamSlots


class MemberState(NamedTuple):
    """Everything an update reads or writes, every leaf [K, ...] (variables or tensors)."""

    actor: list
    actor_stats: list  # non-trainable (BatchNorm moving statistics)
    critic: list
    critic_stats: list
    target_actor: list
    target_actor_stats: list
    target_critic: list
    target_critic_stats: list
    actor_adam: AdamSlots
    critic_adam: AdamSlots
    actor_lr: tf.Tensor
    critic_lr: tf.Tensor
    tau: tf.Tensor
    gamma: tf.Tensor
    weight_decay: tf.Tensor


def raw(variable: tf.Variable) -> tf.Variable:
    """The tf.Variable behind a Keras variable (its scatter ops); a tf.Variable itself."""
    return variable.value if isinstance(variable, keras.Variable) else variable


def read(variables: MemberState) -> MemberState:
    """Every member's rows: the variables' values."""
    return tf.nest.map_structure(tf.convert_to_tensor, variables)


def assign(variables: MemberState, values: MemberState) -> None:
    """Every member's rows written (the step where all members learn)."""
    tf.nest.map_structure(lambda v, x: v.assign(x), variables, values)


def gather(variables: MemberState, listed: tf.Tensor) -> MemberState:
    """The rows of the `listed` members [N] (int32) of every variable: leaves [N, ...]."""
    return tf.nest.map_structure(lambda v: tf.gather(v, listed), variables)


def scatter(variables: MemberState, listed: tf.Tensor, values: MemberState) -> None:
    """Write rows [N, ...] back to the `listed` members; the other rows are not touched."""
    indices = listed[:, None]
    tf.nest.map_structure(lambda v, x: v.scatter_nd_update(indices, x), variables, values)


def listed_size(count: int, members: int) -> int:
    """The member axis of a step where `count` of `members` learn: the next power of two, at
    least 2 (a member axis of one compiles to other kernels and its last bit would differ from
    what the member computed among others) and at most `members`."""
    return min(members, max(2, 1 << (count - 1).bit_length()))


def listed_rows(update: np.ndarray) -> np.ndarray:
    """The members where `update` [K] holds, padded by repeating the first to `listed_size`."""
    listed = np.flatnonzero(update)
    size = listed_size(len(listed), len(update))
    return np.concatenate([listed, np.full(size - len(listed), listed[0], listed.dtype)])
