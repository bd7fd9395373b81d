"""ddpg.evaluation.episodes: episodes played one at a time, returns shown live, actions kept."""

from __future__ import annotations

import gymnasium as gym
import numpy as np

from ddpg.evaluation.episodes import play_episodes


class Counter(gym.Env):
    """Three steps per episode; the reward is the action; observations count the resets."""

    observation_space = gym.spaces.Box(-np.inf, np.inf, (1,))
    action_space = gym.spaces.Box(-1.0, 1.0, (1,))

    def __init__(self) -> None:
        self.resets, self.t = 0, 0

    def reset(self, *, seed=None, options=None):
        self.resets, self.t = self.resets + 1, 0
        return np.array([self.resets], np.float32), {}

    def step(self, action):
        self.t += 1
        return np.array([self.resets], np.float32), float(action[0]), False, self.t == 3, {}


def test_returns_in_order_each_shown_as_it_ends_and_the_first_episodes_actions_kept() -> None:
    def act(obs: np.ndarray) -> np.ndarray:  # episode i (its reset i + 1) acts 0.1 * (i + 1)
        return np.array([0.1 * obs[0]], np.float32)

    shown: list[tuple[int, float, int, float]] = []
    returns, kept = play_episodes(
        Counter(), act, 3, keep_actions=2, on_return=lambda *episode: shown.append(episode)
    )
    np.testing.assert_allclose(returns, [0.3, 0.6, 0.9], rtol=1e-6)
    assert [i for i, *_ in shown] == [0, 1, 2] and [r for _, r, *_ in shown] == returns
    assert [steps for *_, steps, _ in shown] == [3, 3, 3]  # each episode's steps and time
    assert all(0 < seconds < 5 for *_, seconds in shown)
    assert [len(actions) for actions in kept] == [3, 3]  # one action [A] per step
    np.testing.assert_allclose(np.concatenate(kept[1]), [0.2, 0.2, 0.2], rtol=1e-6)
    assert play_episodes(Counter(), act, 1)[1] == []  # nothing kept unless asked
