#!/usr/bin/env bash
# Does the winner's schedule, not its lucky weights, carry the result? After run.sh: for each env,
# the best PBT member of study seed 0 (highest final eval) is replayed from scratch on seeds
# 100-104 (`ddpg.run pbt_schedule=<member>/schedule.json`, five runs), and random search's best
# trial of study seed 0 is retrained with its fixed values on the same seeds (one population).
#   PY=.venv/bin/python bash experiments/pbt/replay.sh OUT [env ...]     # env: pendulum mountaincar
# Logged and skipped as in run.sh (lib.sh's run_once: the same OUT/commands.log, OUT/times.log,
# OUT/<run>/.done).
set -euo pipefail
OUT=$(realpath -m "$1"); shift
PY=${PY:-python}
ENVS=("$@")
[ ${#ENVS[@]} -eq 0 ] && ENVS=(pendulum mountaincar)
SEEDS=${SEEDS:-"100 101 102 103 104"}
COMMIT=$(git rev-parse HEAD)

source "$(dirname "${BASH_SOURCE[0]}")/lib.sh"  # run_once

winner() {  # study folder: the finished run with the highest final eval (ties: the first)
    "$PY" - "$1" <<'PY'
import json, sys
from pathlib import Path
runs = [(json.loads(p.read_text()), p.parent) for p in sorted(Path(sys.argv[1]).rglob("summary.json"))]
best = max((r for r in runs if r[0]["status"] in ("completed", "stopped_early")),
           key=lambda r: r[0]["final_eval_return"])
print(best[1])
PY
}

fixed_values() {  # run folder: its searched values as overrides (conf/search/ddpg_members.yaml)
    "$PY" - "$1" <<'PY'
import json, sys
from pathlib import Path
p = json.loads((Path(sys.argv[1]) / "params.json").read_text())
out = [f"agent.{k}={p['agent.' + k]!r}" for k in ("actor_lr", "critic_lr", "gamma", "tau")]
out.append(f"noise={p['noise.name']}")
if p["noise.name"] != "none":
    out.append(f"noise.sigma={p['noise.sigma']!r}")
print(" ".join(out))
PY
}

for env in "${ENVS[@]}"; do
    [ -e "$OUT/$env/pbt/s0/.done" ] && [ -e "$OUT/$env/random/s0/.done" ] || {
        echo "experiments/pbt/replay.sh: $OUT/$env/{pbt,random}/s0 unfinished: run run.sh first" >&2
        exit 2
    }
    best_pbt=$(winner "$OUT/$env/pbt/s0")
    best_random=$(winner "$OUT/$env/random/s0")
    for s in $SEEDS; do  # the schedule sets noise: the env's own noise=ou would be refused
        run_once "$env/replay_pbt/s$s" -m ddpg.run env="$env" \
            pbt_schedule="$best_pbt/schedule.json" seed="$s" trainer.progress=false \
            hydra.run.dir="$OUT/$env/replay_pbt/s$s"
    done
    first=${SEEDS%% *}
    read -ra values <<<"$(fixed_values "$best_random")"
    run_once "$env/replay_random/s$first" -m ddpg.run env="$env" "${values[@]}" \
        population.size="$(wc -w <<<"$SEEDS")" seed="$first" trainer.progress=false \
        hydra.run.dir="$OUT/$env/replay_random/s$first"
done
