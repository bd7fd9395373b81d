"""Videos without a GPU: on Mesa's software OpenGL the MuJoCo render context is rebuilt lighter."""

import ctypes.util
import os
import subprocess
import sys

import pytest

# In a child: Mesa's LLVM and TensorFlow's (loaded by other tests here) cannot share a process.
SCRIPT = """
import numpy as np
from ddpg.config.schema import EnvConfig
from ddpg.envs.make import make_env
from ddpg.envs.mujoco_gl import choose_offscreen_gl
from ddpg.evaluation.rendering import lighter_on_software_gl
choose_offscreen_gl("HalfCheetah-v5")
env = make_env(EnvConfig(id="HalfCheetah-v5"), render_mode="rgb_array")
env.reset(seed=0)
before = env.render()
name = lighter_on_software_gl(env)
after = env.render()
quality = env.unwrapped.model.vis.quality
print(name, quality.shadowsize, quality.offsamples, after.shape == before.shape, after.max() > 100)
"""


@pytest.mark.skipif(not ctypes.util.find_library("EGL"), reason="apt install libegl1")
def test_software_gl_gets_a_smaller_shadow_map_and_no_multisampling():
    env = {k: v for k, v in os.environ.items() if k not in ("DISPLAY", "MUJOCO_GL")}
    done = subprocess.run(
        [sys.executable, "-c", SCRIPT], env=env, capture_output=True, text=True, timeout=120
    )
    assert done.returncode == 0, done.stderr[-2000:]
    name, shadow, samples, same_shape, drawn = done.stdout.split()[-5:]
    if name == "None":
        pytest.skip("this machine renders on a GPU: nothing to lighten")
    assert (shadow, samples, same_shape, drawn) == ("1024", "0", "True", "True")
