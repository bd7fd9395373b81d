"""How the learner's compiled step crosses the Python/TF boundary: one flat float32 vector in,
one out, once per env step.

Layout of the input, for K members of which N update (the listed members), batch size B, obs and
action sizes O and A: per update, the listed members' obs, actor_obs (obs plus input noise) and
next_obs [N, B, O], action [N, B, A], reward and terminated [N, B]; then the listed members'
indices [N] (float32, exact for any member count a population has); then the observations every
member acts on next [K, O].
"""

from __future__ import annotations

import inspect
from collections.abc import Callable, Iterator, Sequence

import numpy as np
import tensorflow as tf

from ddpg.algo.replay import Batch


def compile_flat(
    fn: Callable[[tf.Tensor], tf.Tensor],
    size: int,
    compile: bool,
    jit_compile: bool,
    traced: list[tf.types.experimental.GenericFunction],
) -> Callable[[np.ndarray], tf.Tensor]:
    """`fn` on a [size] float32 vector, as a tf.function (XLA with `jit_compile`) traced once
    now, appended to `traced` (tests count its traces); eager when `compile` is False."""
    if not compile:
        return lambda packed: fn(tf.constant(packed))
    compiled = tf.function(fn, jit_compile=jit_compile)
    traced.append(compiled)
    call = flat_call(compiled.get_concrete_function(tf.TensorSpec([size], tf.float32)))
    return lambda packed: call(tf.constant(packed))


#: The parameters of TensorFlow's private `ConcreteFunction._call_flat` that `flat_call` uses.
CALL_FLAT_PARAMETERS = ("self", "tensor_inputs", "captured_inputs")


def flat_call(
    concrete: tf.types.experimental.ConcreteFunction,
) -> Callable[[tf.Tensor], tf.Tensor]:
    """`concrete` (one tensor in) as a call that takes the tensor as is: the one use of
    TensorFlow's private `ConcreteFunction._call_flat(tensor_inputs, captured_inputs)`.

    The public `concrete(tensor)` re-binds its arguments in Python on every call: on TF 2.21,
    2 CPU cores, mlp64 Pendulum (medians of two runs), the step +11-19% at K = 1 and +6-7% at
    K = 8 (0.1-0.3 ms), the act +53-74%; calling the tf.function itself, +14-43% and +0.3-0.6 ms.
    The captured inputs (the variables' handles, fixed for the function's life) are read once,
    here; the public call reads them on every call. tests/unit/algo/test_packed_step.py checks
    that the private entry is there with these parameters and returns what the public call does.
    A TensorFlow without it fails here, when the learner is built, with no fallback.
    """
    method = getattr(type(concrete), "_call_flat", None)
    parameters = tuple(inspect.signature(method).parameters) if callable(method) else None
    if parameters != CALL_FLAT_PARAMETERS:
        found = "absent" if parameters is None else f"with parameters {parameters}"
        expected = ", ".join(CALL_FLAT_PARAMETERS[1:])
        raise RuntimeError(
            "ddpg.algo.packed_step.flat_call relies on TensorFlow's private "
            f"ConcreteFunction._call_flat({expected}), which is {found} in "
            f"TensorFlow {tf.__version__} ({type(concrete).__module__}."
            f"{type(concrete).__qualname__}); port flat_call to this release, or make it return "
            "`concrete` itself (the public call, 0.1-0.3 ms slower per step)"
        )
    call_flat = concrete._call_flat
    captured = concrete.captured_inputs
    return lambda tensor: call_flat([tensor], captured)


def pack_step(
    out: np.ndarray,
    batches: Sequence[Batch],
    actor_obs: Sequence[np.ndarray],
    listed: np.ndarray | None,
    next_obs: np.ndarray,
) -> np.ndarray:
    """Write the input vector of one step (layout above) into `out` [size] float32; returns it.

    `batches` and `actor_obs` hold every member's rows [K, ...]; `listed` [N] picks the rows
    the step sees (None: all K, in order)."""
    start = 0
    for part in _parts(batches, actor_obs, listed, next_obs):
        end = start + part.size
        out[start:end] = part.reshape(-1)
        start = end
    return out


def _parts(
    batches: Sequence[Batch],
    actor_obs: Sequence[np.ndarray],
    listed: np.ndarray | None,
    next_obs: np.ndarray,
) -> Iterator[np.ndarray]:
    pick = (lambda rows: rows) if listed is None else (lambda rows: rows[listed])
    for batch, noisy_obs in zip(batches, actor_obs, strict=True):
        yield from (pick(batch.obs), pick(noisy_obs), pick(batch.next_obs), pick(batch.action))
        yield from (pick(batch.reward), pick(batch.terminated))
    yield np.arange(len(next_obs)) if listed is None else listed
    yield next_obs


def packed_size(updates: int, n: int, k: int, b: int, o: int, a: int) -> int:
    """The input's length for N listed of K members."""
    return updates * n * b * (3 * o + a + 2) + n + k * o


def unpack_step(
    packed: tf.Tensor, updates: int, n: int, k: int, b: int, o: int, a: int
) -> tuple[list[tuple[tf.Tensor, ...]], tf.Tensor, tf.Tensor]:
    """Inside the compiled step: per update (obs, actor_obs, action, reward, next_obs,
    terminated) of the N listed members, shaped [N, B, ...]; their indices [N] (int32); the
    observations every member acts on [K, 1, O]."""
    size = n * b * (3 * o + a + 2)
    chunks = []
    for u in range(updates):  # unrolled at trace time
        obs, actor_obs, next_obs, action, reward, terminated = tf.split(
            packed[u * size : (u + 1) * size],
            [n * b * o, n * b * o, n * b * o, n * b * a, n * b, n * b],
        )
        chunks.append(
            (
                tf.reshape(obs, [n, b, o]),
                tf.reshape(actor_obs, [n, b, o]),
                tf.reshape(action, [n, b, a]),
                tf.reshape(reward, [n, b]),
                tf.reshape(next_obs, [n, b, o]),
                tf.reshape(terminated, [n, b]),
            )
        )
    listed = tf.cast(packed[-n - k * o : -k * o], tf.int32)
    return chunks, listed, tf.reshape(packed[-k * o :], [k, 1, o])
