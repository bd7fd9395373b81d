# Sourced by run.sh and replay.sh: the one way their runs are logged, timed and resumed.
# Needs OUT (the output folder), PY (the python) and COMMIT (the checkout's HEAD) set.

run_once() {  # name, python arguments (the output folder is OUT/name)
    local name=$1; shift
    local dir="$OUT/$name"
    [ -e "$dir/.done" ] && return 0
    rm -rf "$dir"
    mkdir -p "$(dirname "$dir")"
    echo "$(date -u +%FT%TZ) commit $COMMIT: $*" >>"$OUT/commands.log"
    /usr/bin/time -f "$name: %e s wall, %U s user" -a -o "$OUT/times.log" "$PY" "$@" >"$dir.log" 2>&1
    touch "$dir/.done"
}
