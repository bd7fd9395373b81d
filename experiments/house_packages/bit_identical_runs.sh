#!/usr/bin/env bash
# usage: bit_identical_runs.sh <checkout> <out dir>   (PY=<python of a venv with the package>)
# The two runs the house redesign must leave bit-identical: a sweep trained as populations of 3
# members that differ in lr, tau and reward_norm on Pendulum, and one MountainCar run.
set -euo pipefail
cd "$1"; out="$2"; rm -rf "$out"; mkdir -p "$out"
PY=${PY:-python}
$PY -m ddpg.run -m hydra/launcher=population hydra.launcher.max_members=3 \
  agent.actor_lr=3e-4,1e-3 agent.tau=0.005,0.02 reward_norm=none,episode_return,running \
  trainer.total_steps=3000 trainer.eval_every=1000 trainer.checkpoint_every=1000 trainer.eval_episodes=3 \
  trainer.progress=false hydra.sweep.dir="$out/pop" > "$out/pop.log" 2>&1
$PY -m ddpg.run env=mountaincar noise=ou trainer.total_steps=5000 trainer.eval_every=2500 \
  trainer.checkpoint_every=2500 trainer.eval_episodes=2 trainer.progress=false hydra.run.dir="$out/mc" > "$out/mc.log" 2>&1
echo done
