"""The members' training envs mid-episode: each one's current observation, the tape that can
replay its episode (ddpg.envs.rollout), and the transitions it holds back until the episode ends
(per-episode reward normalization stores a whole episode at once, here when it ends)."""

from __future__ import annotations

from typing import Any

import numpy as np

from ddpg.envs.rollout import EpisodeTape, Transition, replay_episode, start_episode
from ddpg.population.build import Components
from ddpg.population.train_state import TrainState

#: An episode that ended at the last step: (member, its final info dict).
Ended = tuple[int, dict[str, Any]]


class MemberEnvs:
    """Steps the running members' envs together and routes their transitions to replay."""

    def __init__(self, seeds: list[int], components: Components, states: list[TrainState]) -> None:
        """`seeds`: each member's first reset seed; `states`: the members' TrainStates (read for
        the step, counted on per env step)."""
        self.seeds, self.c, self.states = seeds, components, states
        self.members = len(seeds)
        self.tapes: list[EpisodeTape | None] = [None] * self.members  # None: between episodes
        self.obs = np.zeros((self.members, components.agent.learner.obs_dim), np.float32)
        self.pending: list[list[Any]] = [[] for _ in seeds]  # held-back episodes
        self.to_start: list[int] = []  # members whose next episode begins at the next step

    def replay(self, tapes: dict[int, EpisodeTape | None]) -> None:
        """After a restore: replay each member's checkpointed episode up to its step."""
        for k, tape in tapes.items():
            self.tapes[k] = tape
            if tape is None:  # checkpointed between episodes: the loop starts the next one
                continue
            self.obs[k], transitions = replay_episode(self.c.envs[k], tape)
            if self.c.reward_normalizer.per_episode[k]:
                self.pending[k] = transitions

    def reset_member(self, k: int, seed: int) -> None:
        """Member k starts over: its next step begins a first episode, reset with `seed`."""
        self.seeds[k] = seed
        self.tapes[k] = None
        self.pending[k] = []
        self.obs[k] = 0.0
        if k not in self.to_start:
            self.to_start.append(k)

    def new_episode(self, k: int) -> None:
        """Member k's episode is cut short: its next step begins a new one (a reset without a
        seed, its env's own stream going on); transitions held back for the episode's end are
        dropped."""
        self.tapes[k] = None
        self.pending[k] = []
        if k not in self.to_start:
            self.to_start.append(k)

    def start_episodes(self) -> None:
        """Reset the env of every member due a new episode (the first with its reset seed)."""
        states = self.states
        while self.to_start:
            k = self.to_start.pop()
            first = states[k].step == 0 and states[k].episode == 0
            seed = self.seeds[k] if first else None
            obs, self.tapes[k] = start_episode(self.c.envs[k], seed)
            self.obs[k] = obs
            self.c.agent.obs_normalizer.update(np.array([k]), obs[None])  # as the env gave it
            self.c.agent.noise.reset(np.array([k]))

    def step(self, running: np.ndarray, actions: np.ndarray) -> list[Ended]:
        """Step every running member's env; returns (member, info) of each episode that ended."""
        c, n, states = self.c, len(running), self.states
        next_obs = np.empty((n, self.obs.shape[1]), np.float32)
        reward, terminated = np.empty(n), np.zeros(n, bool)
        ended: list[Ended] = []
        for i, k in enumerate(running.tolist()):
            next_obs[i], reward[i], terminated[i], truncated, info = c.envs[k].step(actions[k])
            self.tapes[k].actions.append(actions[k])  # type: ignore[union-attr]
            states[k].step += 1
            if terminated[i] or truncated:
                ended.append((k, info))
        c.agent.obs_normalizer.update(running, next_obs)
        c.reward_normalizer.observe(running, reward, terminated)
        obs = self.obs[running]  # a copy: self.obs takes next_obs below
        held = c.reward_normalizer.per_episode[running]
        if not held.any():  # the usual case: every transition goes to replay now
            c.replay_buffer.add(running, obs, actions[running], reward, next_obs, terminated)
        else:
            direct, rows = ~held, running[~held]
            if rows.size:
                transitions = (obs, actions[running], reward, next_obs, terminated)
                c.replay_buffer.add(rows, *(x[direct] for x in transitions))
            for row in np.flatnonzero(held):
                k = int(running[row])
                self.pending[k].append(
                    (obs[row], actions[k], reward[row], next_obs[row], terminated[row])
                )
        self.obs[running] = next_obs
        return ended

    def end_episodes(self, ended: list[Ended]) -> None:
        """Store held-back episodes; the next episode begins at the next step."""
        for k, _ in ended:
            if self.pending[k]:
                self.store_episode(k, self.pending[k])
                self.pending[k] = []
            self.tapes[k] = None
            self.to_start.append(k)

    def store_episode(self, k: int, episode: list[Transition]) -> None:
        """Normalize a held-back episode's rewards and store it in member k's replay rows."""
        columns = (np.array(column) for column in zip(*episode, strict=True))
        obs, action, reward, next_obs, terminated = columns
        reward = self.c.reward_normalizer.normalize_episode(k, reward.astype(np.float64))
        self.c.replay_buffer.add_episode(k, obs, action, reward, next_obs, terminated)
