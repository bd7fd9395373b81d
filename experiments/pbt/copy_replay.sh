#!/usr/bin/env bash
# The runs behind experiments/pbt/README.md's "Copying the replay buffer": population-based
# training on MountainCar (8 members x 100k env steps, as run.sh) with each member keeping its
# own replay buffer (the default) and with `tune.pbt.copy_replay=true`, study seeds 0-4.
#   PY=.venv/bin/python bash experiments/pbt/copy_replay.sh OUT
# Logged, timed and resumable by study as run.sh (lib.sh); then
#   python experiments/pbt/collect.py OUT --to experiments/pbt/copy_replay_members.csv
set -euo pipefail
OUT=$(realpath -m "$1")
PY=${PY:-python}
SEEDS=${SEEDS:-"0 1 2 3 4"}
mkdir -p "$OUT"
COMMIT=$(git rev-parse HEAD)

source "$(dirname "${BASH_SOURCE[0]}")/lib.sh"  # run_once

for s in $SEEDS; do
    for arm in pbt pbt_copy_replay; do
        extra=()
        [ "$arm" = pbt_copy_replay ] && extra=(tune.pbt.copy_replay=true)
        run_once "mountaincar/$arm/s$s" -m ddpg.tune tune.algorithm=pbt tune.population=8 \
            search=ddpg_members env=mountaincar noise=ou "${extra[@]}" seed="$s" tune.seed="$s" \
            trainer.progress=false tune.dir="$OUT/mountaincar/$arm/s$s"
    done
done
