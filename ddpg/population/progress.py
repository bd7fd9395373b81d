"""One progress bar per population: env steps (tqdm's rate: steps/s of each member), the
aggregate steps/s of all running members, members running/done/diverged, and the best and median
latest eval; a single run shows its last eval and the EMA of its training returns."""

from __future__ import annotations

import time

import numpy as np
from tqdm import tqdm

from ddpg.config.schema import TrainerConfig
from ddpg.population.train_state import TrainState


class PopulationProgress:
    """A tqdm bar over the population's env steps (each member takes one per step)."""

    def __init__(self, trainer: TrainerConfig, states: list[TrainState]) -> None:
        step = max(s.step for s in states)
        self.bar = tqdm(
            total=trainer.total_steps,
            initial=step,
            unit="step",
            disable=not trainer.progress,
        )
        self._clock, self._clock_step = time.perf_counter(), step
        self._rate: float | None = None
        self.show(states)

    def rate(self, step: int) -> float:
        """Env steps per second of one member since the last call (the loop's own rate)."""
        now = time.perf_counter()
        rate = (step - self._clock_step) / max(now - self._clock, 1e-9)
        self._clock, self._clock_step = now, step
        self._rate = rate
        return rate

    def update(self, step: int) -> None:
        self.bar.update(step - self.bar.n)

    def show(self, states: list[TrainState]) -> None:
        """Members by status; the best and median of their latest evals."""
        status = [s.status for s in states]
        evals = [s.final_eval_return for s in states if s.final_eval_return is not None]
        values = {}
        if len(states) > 1:
            running = status.count("running")
            if self._rate is not None:  # every running member takes each step
                values["all_steps/s"] = f"{self._rate * running:.0f}"
            values["running"] = str(running)
            values["done"] = str(sum(x in ("completed", "stopped_early", "pruned") for x in status))
            values["diverged"] = str(status.count("diverged"))
            values["best"] = f"{max(evals):.1f}" if evals else "-"
            values["median"] = f"{np.median(evals):.1f}" if evals else "-"
        else:
            ema = states[0].return_ema
            values["eval"] = f"{evals[0]:.1f}" if evals else "-"
            values["return_ema"] = "-" if ema is None else f"{ema:.1f}"
        self.bar.set_postfix(values, refresh=False)

    def close(self, states: list[TrainState]) -> None:
        self.update(max(s.step for s in states))  # the bar ends where training did
        self.show(states)
        self.bar.close()
