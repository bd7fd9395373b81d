"""ddpg.storage.staged: a folder is built beside its target and swapped in, or left untouched.

The kill tests run a real save_policy in a child process that SIGKILLs itself between the steps
of a replacement, then load whatever `policy/` holds, as `ddpg evaluate` would.
"""

from __future__ import annotations

import os
import signal
import subprocess
import sys
import textwrap
from pathlib import Path

import numpy as np
import pytest

from ddpg.storage import staged
from ddpg.storage.staged import remove_staging, replace_folder, staged_folder

#: A child that saves a new policy (seed 1) over `policy/` and kills itself at MODE:
#: before_exchange | after_exchange | fallback (no exchange; killed right after policy -> old).
CHILD = textwrap.dedent(
    """
    import os, signal, sys
    from pathlib import Path

    import numpy as np

    from ddpg.algo.networks import build_actor
    from ddpg.config.schema import RunConfig
    from ddpg.envs.make import action_dim, make_env, obs_dim
    from ddpg.evaluation.policy import save_policy
    from ddpg.storage import staged

    mode, target = sys.argv[1], Path(sys.argv[2])
    real_exchange, real_rename = staged._exchange, os.rename

    def die():
        os.kill(os.getpid(), signal.SIGKILL)

    def exchange(a, b):
        if mode == "before_exchange":
            die()
        if mode == "fallback":
            return False
        if not real_exchange(a, b):
            sys.exit(3)  # this system cannot exchange: nothing to test here
        die()

    def rename(src, dst, *args, **kwargs):
        real_rename(src, dst, *args, **kwargs)
        if Path(src) == target:  # the fallback's first rename: no policy/ until the second
            die()

    staged._exchange = exchange
    os.rename = rename
    config, env = RunConfig(), make_env(RunConfig().env)
    actor = build_actor(config.network, obs_dim(env), action_dim(env), seed=1)
    np.savez(target.parent / "new.npz", *actor.get_weights())
    save_policy(target, actor, config.env, config.network, env, {})
    sys.exit(4)  # not killed: the patches missed the step they were meant for
    """
)


def write(folder: Path, name: str, text: str) -> None:
    folder.mkdir(parents=True, exist_ok=True)
    (folder / name).write_text(text)


def contents(folder: Path) -> dict[str, str]:
    return {p.name: p.read_text() for p in folder.iterdir()}


@pytest.fixture(params=["exchange", "fallback"])
def path(request: pytest.FixtureRequest, monkeypatch: pytest.MonkeyPatch) -> str:
    """Each test runs with renameat2's exchange (skipped where unsupported) and without it."""
    if request.param == "fallback":
        monkeypatch.setattr(staged, "_exchange", lambda a, b: False)
    elif staged._renameat2() is None:
        pytest.skip("renameat2 is unavailable here")
    return str(request.param)


def test_staged_folder_replaces_the_content_and_leaves_no_staging(
    tmp_path: Path, path: str
) -> None:
    target = tmp_path / "policy"
    write(target, "old.txt", "old")
    with staged_folder(target, ".policy-") as staging:
        assert staging.parent == tmp_path and staging.name.startswith(".policy-")
        assert staging.stat().st_mode & 0o777 == 0o755
        write(staging, "new.txt", "new")
        assert contents(target) == {"old.txt": "old"}  # untouched until the block ends
    assert contents(target) == {"new.txt": "new"}
    assert target.stat().st_mode & 0o777 == 0o755
    assert [p.name for p in tmp_path.iterdir()] == ["policy"]


def test_staged_folder_creates_a_missing_target(tmp_path: Path) -> None:
    with staged_folder(tmp_path / "step_000000001", ".tmp-") as staging:
        write(staging, "a", "1")
    assert contents(tmp_path / "step_000000001") == {"a": "1"}
    assert [p.name for p in tmp_path.iterdir()] == ["step_000000001"]


def test_an_exception_leaves_the_old_folder_and_no_staging(tmp_path: Path, path: str) -> None:
    target = tmp_path / "policy"
    write(target, "old.txt", "old")
    with pytest.raises(RuntimeError, match="writer failed"), staged_folder(target, ".p-") as s:
        write(s, "half.txt", "half")
        raise RuntimeError("writer failed")
    assert contents(target) == {"old.txt": "old"}
    assert [p.name for p in tmp_path.iterdir()] == ["policy"]


def test_exchange_swaps_in_one_step_where_supported(tmp_path: Path) -> None:
    if staged._renameat2() is None:
        pytest.skip("renameat2 is unavailable here")
    write(tmp_path / "a", "x", "a")
    write(tmp_path / "b", "x", "b")
    if not staged._exchange(tmp_path / "a", tmp_path / "b"):
        pytest.skip("this filesystem refuses RENAME_EXCHANGE")
    assert contents(tmp_path / "a") == {"x": "b"} and contents(tmp_path / "b") == {"x": "a"}
    with pytest.raises(FileNotFoundError):  # a real failure is raised, not taken for "no support"
        staged._exchange(tmp_path / "a", tmp_path / "missing")


def test_fallback_puts_the_old_folder_back_when_the_second_rename_fails(
    tmp_path: Path, monkeypatch: pytest.MonkeyPatch
) -> None:
    monkeypatch.setattr(staged, "_exchange", lambda a, b: False)
    real_rename, calls = os.rename, []

    def rename(src: Path, dst: Path) -> None:
        calls.append(src)
        if len(calls) == 2:
            raise OSError("disk gone")
        real_rename(src, dst)

    monkeypatch.setattr(staged.os, "rename", rename)
    write(tmp_path / "policy", "old.txt", "old")
    write(tmp_path / ".policy-x", "new.txt", "new")
    with pytest.raises(OSError, match="disk gone"):
        replace_folder(tmp_path / ".policy-x", tmp_path / "policy")
    monkeypatch.undo()
    assert contents(tmp_path / "policy") == {"old.txt": "old"}


def test_remove_staging_deletes_only_prefixed_folders(tmp_path: Path) -> None:
    for name in (".tmp-abc", ".tmp-abc-old", "step_000000001", ".policy-x"):
        write(tmp_path / name, "f", name)
    remove_staging(tmp_path, ".tmp-")
    assert sorted(p.name for p in tmp_path.iterdir()) == [".policy-x", "step_000000001"]


def save_old_policy(run_dir: Path) -> list[np.ndarray]:
    """Save a seed-0 actor as run_dir/policy, as MemberStore.save_policy does; its weights."""
    from ddpg.algo.networks import build_actor
    from ddpg.config.schema import RunConfig
    from ddpg.envs.make import action_dim, make_env, obs_dim
    from ddpg.evaluation.policy import save_policy

    config = RunConfig()
    env = make_env(config.env)
    actor = build_actor(config.network, obs_dim(env), action_dim(env), seed=0)
    save_policy(run_dir / "policy", actor, config.env, config.network, env, {})
    env.close()
    return list(actor.get_weights())


def kill_writer(run_dir: Path, mode: str) -> list[np.ndarray]:
    """Run CHILD at `mode` over run_dir/policy; the weights it meant to save."""
    child = subprocess.run(
        [sys.executable, "-c", CHILD, mode, str(run_dir / "policy")],
        capture_output=True,
        text=True,
        timeout=300,
    )
    if child.returncode == 3:
        pytest.skip("this system cannot exchange folders (renameat2)")
    assert child.returncode == -signal.SIGKILL, child.stderr[-3000:]
    with np.load(run_dir / "new.npz") as data:
        return [data[f"arr_{i}"] for i in range(len(data.files))]


def assert_weights(found: list[np.ndarray], expected: list[np.ndarray]) -> None:
    assert len(found) == len(expected)
    for a, b in zip(found, expected, strict=True):
        np.testing.assert_array_equal(a, b)


@pytest.mark.parametrize("mode", ["before_exchange", "after_exchange"])
def test_a_writer_killed_around_the_exchange_leaves_a_loadable_policy(
    tmp_path: Path, mode: str
) -> None:
    from ddpg.evaluation.policy import load_policy

    old = save_old_policy(tmp_path)
    new = kill_writer(tmp_path, mode)
    loaded = load_policy(tmp_path / "policy").actor.get_weights()
    assert_weights(loaded, old if mode == "before_exchange" else new)
    # What the kill left beside it is staging only, which a later save may remove.
    leftovers = {p.name for p in tmp_path.iterdir()} - {"policy", "new.npz"}
    assert len(leftovers) == 1 and leftovers.pop().startswith(".policy-")


def test_the_fallbacks_window_has_no_policy_and_load_policy_does_not_look_elsewhere(
    tmp_path: Path,
) -> None:
    """Documents the fallback (no renameat2): killed between its renames, policy/ is missing."""
    from ddpg.config.schema import ConfigError
    from ddpg.evaluation.policy import load_policy

    old = save_old_policy(tmp_path)
    kill_writer(tmp_path, "fallback")
    with pytest.raises(ConfigError, match="does not exist: not a saved policy"):
        load_policy(tmp_path / "policy")
    (retired,) = tmp_path.glob(".policy-*-old")  # the old policy, whole, under the staging prefix
    assert_weights(load_policy(retired).actor.get_weights(), old)
    new = save_old_policy(tmp_path)  # the next save puts a whole policy back
    assert_weights(load_policy(tmp_path / "policy").actor.get_weights(), new)
