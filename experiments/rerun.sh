#!/usr/bin/env bash
# Re-run the runs behind every table in experiments/ that a README quotes, from this checkout.
#   PY=.venv/bin/python bash experiments/rerun.sh OUT [study ...]
# Studies: baselines populations lr_tau_reward_norm tune_pendulum reproduction (default: all, in
# that order). Each command is logged with the commit to OUT/commands.log before it runs; a part
# with a finished marker is skipped, so the script can be run again after an interruption. A
# sweep that was interrupted (SIGTERM checkpoints every job at its current step; reproduction
# runs also checkpoint every 25k steps) is continued, not restarted: each of its unfinished jobs
# resumes alone (`python -m ddpg.run resume=<job folder>`, two at a time), which continues it
# bit for bit as the separate run it was.
set -euo pipefail
OUT=$(realpath -m "$1"); shift
PY=${PY:-python}
STUDIES=("$@")
[ ${#STUDIES[@]} -eq 0 ] && STUDIES=(baselines populations lr_tau_reward_norm tune_pendulum reproduction)
mkdir -p "$OUT"
COMMIT=$(git rev-parse HEAD)

unfinished_jobs() {  # the job folders of sweep $1 that hold no finished summary.json
    local job
    for job in "$1"/*_seed=*/; do
        grep -qs '"status": "\(completed\|stopped_early\)"' "$job/summary.json" || echo "$job"
    done
}

start_missing_jobs() {  # sweep, command: each seed of the command without a job folder, alone
    local sweep=$1; shift
    local seeds=() keep=("$1" "$2") arg i  # "-m ddpg.run"
    shift 2
    for arg in "$@"; do
        case $arg in
        seed=*) IFS=, read -ra seeds <<<"${arg#seed=}" ;;
        -m | hydra.sweep.dir=* | hydra/launcher=* | hydra.launcher.*) ;;
        *) keep+=("$arg") ;;
        esac
    done
    for i in "${!seeds[@]}"; do
        compgen -G "$sweep/*_seed=${seeds[$i]}" >/dev/null && continue
        echo "$(date -u +%FT%TZ) commit $COMMIT: ${keep[*]} seed=${seeds[$i]} (alone)" \
            >>"$OUT/commands.log"
        "$PY" "${keep[@]}" seed="${seeds[$i]}" hydra.run.dir="$sweep/${i}_seed=${seeds[$i]}"
    done
}

run() {  # run STUDY-PART COMMAND...: log it, run it unless its done-marker exists
    local part=$1; shift
    [ -e "$OUT/.done-$part" ] && return 0
    local sweep
    sweep=$(printf '%s\n' "$@" | sed -n 's/^hydra.sweep.dir=//p')
    if [ -n "$sweep" ] && [ -d "$sweep" ]; then  # interrupted before: continue its jobs
        echo "$(date -u +%FT%TZ) commit $COMMIT: resume the unfinished jobs of $sweep" \
            >>"$OUT/commands.log"
        unfinished_jobs "$sweep" | xargs -r -P 2 -I{} \
            /usr/bin/time -f "$part (resume {}): %e s wall, %U s user" -a -o "$OUT/times.log" \
            "$PY" -m ddpg.run resume={} trainer.progress=false
        start_missing_jobs "$sweep" "$@"
    else
        echo "$(date -u +%FT%TZ) commit $COMMIT: $*" >>"$OUT/commands.log"
        /usr/bin/time -f "$part: %e s wall, %U s user" -a -o "$OUT/times.log" "$PY" "$@"
    fi
    touch "$OUT/.done-$part"
}

JOBLIB="hydra/launcher=joblib hydra.launcher.n_jobs=2 trainer.progress=false"
TUNED="agent.gamma=0.9997490522909134 agent.actor_lr=0.000318289159445677 \
agent.critic_lr=0.000318289159445677 agent.tau=0.0030341476615230304 noise=ou \
noise.sigma=0.11037514116430513"  # the study's best trial (trial 8 at c3c779f)
MUJOCO="agent=td3_ddpg network=mlp400_300 noise=gaussian trainer.checkpoint_every=25000"

for study in "${STUDIES[@]}"; do
    case $study in
    baselines)  # seeds 0-9 of the defaults serve baselines (0-4) and populations (10 separate)
        run pendulum -m ddpg.run -m seed=0,1,2,3,4,5,6,7,8,9 $JOBLIB \
            hydra.sweep.dir="$OUT/baselines_pendulum"
        run mountaincar -m ddpg.run -m env=mountaincar noise=ou seed=0,1,2,3,4 $JOBLIB \
            hydra.sweep.dir="$OUT/baselines_mountaincar"
        run seed_pendulum -m ddpg.run -m +experiment=seed_pendulum seed=0,1,2,3,4 $JOBLIB \
            hydra.sweep.dir="$OUT/baselines_seed_pendulum"
        run seed_mountaincar -m ddpg.run -m +experiment=seed_mountaincar seed=0,1,2 $JOBLIB \
            hydra.sweep.dir="$OUT/baselines_seed_mountaincar" ;;
    populations)
        run population_pendulum -m ddpg.run population.size=10 trainer.progress=false \
            hydra.run.dir="$OUT/population_pendulum"
        run population_mountaincar -m ddpg.run env=mountaincar noise=ou population.size=5 \
            trainer.progress=false hydra.run.dir="$OUT/population_mountaincar" ;;
    lr_tau_reward_norm)
        run study_joblib -m ddpg.run +experiment=lr_tau_reward_norm \
            hydra/launcher=joblib hydra.launcher.n_jobs=2 hydra.sweep.dir="$OUT/study_joblib"
        run study_population -m ddpg.run +experiment=lr_tau_reward_norm \
            hydra/launcher=population hydra.launcher.n_workers=2 \
            hydra.sweep.dir="$OUT/study_population" ;;
    tune_pendulum)  # the study, then its best settings against the defaults on fresh seeds
        run study -m ddpg.tune search=ddpg_members env=pendulum tune.n_trials=32 \
            tune.population=16 trainer.progress=false tune.dir="$OUT/tune_study"
        run recheck_best -m ddpg.run env=pendulum population.size=10 seed=100 \
            trainer.progress=false $TUNED hydra.run.dir="$OUT/recheck/best"
        run recheck_defaults -m ddpg.run env=pendulum population.size=10 seed=100 \
            trainer.progress=false hydra.run.dir="$OUT/recheck/defaults" ;;
    reproduction)  # the part of TD3's Table 1 that fits this machine, as in its README
        run inverted_pendulum -m ddpg.run -m env=inverted_pendulum $MUJOCO seed=0,1,2,3,4 \
            trainer.total_steps=100000 trainer.early_stop=eval trainer.target_score=1000 \
            $JOBLIB hydra.sweep.dir="$OUT/reproduction/inverted_pendulum"
        run hopper -m ddpg.run -m env=hopper $MUJOCO seed=0,1,2 trainer.total_steps=200000 \
            $JOBLIB hydra.sweep.dir="$OUT/reproduction/hopper"
        run halfcheetah -m ddpg.run -m env=halfcheetah $MUJOCO seed=0,1,2 \
            trainer.total_steps=200000 $JOBLIB hydra.sweep.dir="$OUT/reproduction/halfcheetah"
        run inverted_double_pendulum -m ddpg.run -m env=inverted_double_pendulum $MUJOCO \
            seed=0,1,2,3,4 trainer.total_steps=100000 $JOBLIB \
            hydra.sweep.dir="$OUT/reproduction/inverted_double_pendulum" ;;
    *) echo "rerun.sh: unknown study '$study'" >&2; exit 2 ;;
    esac
done
