"""The compiled step's flat call: TensorFlow's private ConcreteFunction._call_flat, which
ddpg.algo.packed_step.flat_call alone uses, is still there, takes what flat_call passes, and
returns what the public call returns; without it flat_call fails, naming it."""

import inspect
import re

import numpy as np
import pytest
import tensorflow as tf

from ddpg.algo.learner import Learner
from ddpg.algo.packed_step import CALL_FLAT_PARAMETERS, compile_flat, flat_call
from ddpg.config.schema import AgentConfig, NetworkConfig
from ddpg.population.build import build_networks


def _concrete_type() -> type:
    return type(tf.function(tf.identity).get_concrete_function(tf.TensorSpec([2], tf.float32)))


def test_tensorflow_still_has_the_private_call_flat_that_flat_call_relies_on():
    cls = _concrete_type()
    where = (
        f"TensorFlow {tf.__version__}: {cls.__module__}.{cls.__qualname__}._call_flat, the private "
        "entry ddpg.algo.packed_step.flat_call calls"
    )
    assert callable(getattr(cls, "_call_flat", None)), f"{where}, is gone"
    parameters = tuple(inspect.signature(cls._call_flat).parameters)
    assert parameters == CALL_FLAT_PARAMETERS, f"{where}, now takes {parameters}"
    assert isinstance(
        tf.function(tf.identity).get_concrete_function(tf.TensorSpec([2], tf.float32)),
        tf.types.experimental.ConcreteFunction,
    )


@pytest.mark.parametrize("jit_compile", [False, True], ids=["graph", "xla"])
def test_the_flat_call_returns_and_changes_what_the_public_call_does(jit_compile):
    state = tf.Variable(np.linspace(-1.0, 1.0, 5, dtype=np.float32))  # a captured input

    def step(packed: tf.Tensor) -> tf.Tensor:
        state.assign(state * 0.9 + tf.sin(packed))
        return tf.concat([state * packed, [tf.reduce_sum(packed)]], 0)

    traced: list = []
    flat = compile_flat(step, 5, True, jit_compile, traced)
    concrete = traced[0].get_concrete_function(tf.TensorSpec([5], tf.float32))
    inputs = np.random.default_rng(0).standard_normal((4, 5)).astype(np.float32)
    start = state.numpy()
    runs = []
    for call in (flat, lambda packed: concrete(tf.constant(packed))):
        state.assign(start)
        runs.append([(np.asarray(call(packed)), state.numpy()) for packed in inputs])
    for (flat_out, flat_state), (public_out, public_state) in zip(*runs, strict=True):
        np.testing.assert_array_equal(flat_out, public_out)
        np.testing.assert_array_equal(flat_state, public_state)
    assert traced[0].experimental_get_tracing_count() == 1


def test_the_learners_act_through_the_flat_call_equals_the_public_call():
    network = NetworkConfig(actor_hidden=[8], critic_hidden=[8])
    learner = Learner(*build_networks(network, 3, 2, [0, 1]), [AgentConfig(batch_size=4)] * 2, 3, 2)
    act = learner.compiled_functions[-1].get_concrete_function(tf.TensorSpec([6], tf.float32))
    obs = np.random.default_rng(1).standard_normal((2, 3)).astype(np.float32)
    public = np.asarray(act(tf.constant(obs.reshape(-1)))).reshape(2, 2)
    np.testing.assert_array_equal(learner.act(obs), public)


class _WithoutCallFlat:
    captured_inputs: list = []


class _OtherCallFlat:
    captured_inputs: list = []

    def _call_flat(self, args, captured_inputs, cancellation_manager=None):
        raise AssertionError("never called")


@pytest.mark.parametrize("cls", [_WithoutCallFlat, _OtherCallFlat], ids=["absent", "changed"])
def test_flat_call_fails_naming_the_private_entry_and_the_tensorflow_release(cls):
    pattern = rf"flat_call .*ConcreteFunction\._call_flat.*TensorFlow {re.escape(tf.__version__)}"
    with pytest.raises(RuntimeError, match=pattern):
        flat_call(cls())
