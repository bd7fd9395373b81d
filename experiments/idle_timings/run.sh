#!/usr/bin/env bash
# Time the commands whose durations the READMEs quote, one after the other, on an otherwise idle
# machine, and record how busy the whole machine was while each ran (so "idle" is measured):
#   PY=/abs/.venv/bin/python bash experiments/idle_timings/run.sh OUT BEFORE_TREE
# BEFORE_TREE: a checkout of 46975ff (the last commit before tune's refilled slots), for the
# trials-per-hour comparison; the tune study runs twice in each tree, in the order A B B A.
# Each line of OUT/times.txt: name, wall, user and system CPU of the command (/usr/bin/time), and
# the CPU seconds the whole machine spent meanwhile (/proc/stat): their difference is other load.
set -euo pipefail
OUT=$(realpath -m "$1")
BEFORE=$(realpath "$2")
PY=${PY:-python}
HERE=$(pwd)
mkdir -p "$OUT"

busy_seconds() {  # CPU seconds spent by every core since boot, idle and iowait excluded
    awk '/^cpu / {print ($2 + $3 + $4 + $7 + $8 + $9) / 100}' /proc/stat
}

timed() {  # timed NAME TREE ARGS...: run python ARGS in TREE, log the command, its time and load
    local name=$1 tree=$2; shift 2
    [ -e "$OUT/.done-$name" ] && return 0
    local commit before after
    commit=$(git -C "$tree" rev-parse HEAD)
    echo "$(date -u +%FT%TZ) $name commit $commit: python $*" >>"$OUT/commands.txt"
    before=$(busy_seconds)
    (cd "$tree" && PYTHONPATH="$tree" /usr/bin/time -f "%e %U %S" -o "$OUT/.time" \
        "$PY" "$@" >"$OUT/$name.log" 2>&1)
    after=$(busy_seconds)
    read -r wall user sys <"$OUT/.time"
    echo "$name: $wall s wall, $user s user, $sys s sys, machine busy $(echo "$after - $before" \
        | bc) s" >>"$OUT/times.txt"
    touch "$OUT/.done-$name"
}

TUNE=(-m ddpg.tune search=ddpg_members env=pendulum tune.n_trials=32 tune.population=16
    trainer.progress=false)
timed tune_before_1 "$BEFORE" "${TUNE[@]}" tune.dir="$OUT/tune_before_1"
timed tune_main_1 "$HERE" "${TUNE[@]}" tune.dir="$OUT/tune_main_1"
timed tune_main_2 "$HERE" "${TUNE[@]}" tune.dir="$OUT/tune_main_2"
timed tune_before_2 "$BEFORE" "${TUNE[@]}" tune.dir="$OUT/tune_before_2"

timed walkthrough_run "$HERE" -m ddpg.run seed=0 hydra.run.dir="$OUT/pendulum_seed0"
timed walkthrough_evaluate "$HERE" -m ddpg.evaluate run_dir="$OUT/pendulum_seed0"
timed halfcheetah_train "$HERE" -m ddpg.run env=halfcheetah trainer.total_steps=2000 \
    agent.learning_starts=1000 trainer.eval_every=2000 trainer.eval_episodes=1 \
    trainer.progress=false hydra.run.dir="$OUT/halfcheetah"
timed halfcheetah_video "$HERE" -m ddpg.evaluate run_dir="$OUT/halfcheetah" episodes=1 video=true

timed sweep_population "$HERE" -m ddpg.run -m +experiment=lr_tau_reward_norm \
    hydra/launcher=population hydra.launcher.n_workers=2 hydra.sweep.dir="$OUT/sweep_population"
timed sweep_joblib "$HERE" -m ddpg.run -m +experiment=lr_tau_reward_norm hydra/launcher=joblib \
    hydra.launcher.n_jobs=2 hydra.sweep.dir="$OUT/sweep_joblib"
