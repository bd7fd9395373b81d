"""Import TensorFlow without its start-up notices on a machine that has no GPU.

TensorFlow's C++ side prints notices while it loads, before its log level applies ("All log
messages before absl::InitializeLog() is called are written to STDERR"), so
TF_CPP_MIN_LOG_LEVEL cannot silence them; on a machine without a GPU one of them,
"E0000 ... failed call to cuInit ... UNKNOWN ERROR (303)", reads like a failure. This module
imports TensorFlow and lets it look for devices with file descriptor 2 captured, then writes
back every captured line except the known notices, so anything else still reaches the user.

Set TF_CPP_MIN_LOG_LEVEL yourself (e.g. to 0) to see everything, GPU messages included: then
nothing is captured.
"""

from __future__ import annotations

import os
import re
import sys
import tempfile

#: Lines TensorFlow prints on every start-up of a CPU-only machine; none asks for action.
STARTUP_NOTICES = re.compile(
    "|".join(
        (
            r"All log messages before absl::InitializeLog\(\) is called are written to STDERR",
            r"oneDNN custom operations are on",
            r"Could not find cuda drivers on your machine, GPU will not be used",
            r"This TensorFlow binary is optimized to use available CPU instructions",
            r"To enable the following instructions: .* rebuild TensorFlow",
            r"failed call to cuInit",
            r"Unable to register cu(DNN|FFT|BLAS) factory",
            r"computation placer already registered",
            r"TF-TRT Warning: Could not find TensorRT",
        )
    )
)
_USER_LOG_LEVEL = "TF_CPP_MIN_LOG_LEVEL" in os.environ  # before anything of ours sets it
_done = False


def _gpu_driver_present() -> bool:
    return os.path.exists("/dev/nvidiactl") or os.path.exists("/proc/driver/nvidia")


def import_tensorflow() -> None:
    """Import TensorFlow (and Keras) once, quietly where no GPU driver exists; idempotent."""
    global _done
    if _done:
        return
    _done = True
    os.environ.setdefault("TF_CPP_MIN_LOG_LEVEL", "2")  # INFO and WARNING lines after start-up
    if _USER_LOG_LEVEL or _gpu_driver_present() or "tensorflow" in sys.modules:
        import keras  # noqa: F401
        import tensorflow  # noqa: F401

        return
    sys.stderr.flush()
    saved = os.dup(2)
    with tempfile.TemporaryFile(mode="w+b") as captured:
        os.dup2(captured.fileno(), 2)
        try:
            import keras  # noqa: F401
            import tensorflow as tf

            tf.config.list_physical_devices()  # the device search prints its notices now
        finally:  # an import that fails still shows what it printed
            sys.stderr.flush()
            os.dup2(saved, 2)
            os.close(saved)
            captured.seek(0)
            _write_back(captured.read().decode(errors="replace"))


def _write_back(text: str) -> None:
    kept = [line for line in text.splitlines() if line and not STARTUP_NOTICES.search(line)]
    if kept:
        print("\n".join(kept), file=sys.stderr, flush=True)
