#!/usr/bin/env bash
# test_cli_consistency.sh -- every command of the `evo` program answers the same way: --help
# and -h print its usage on stdout and exit 0; a usage error (an unknown option, a missing
# value, an extra argument, a number or candidate id that is not one) prints on stderr, names
# the option and the bad value, and exits 2, before any work is done. The commands come from
# `evo --help`, so a new command is checked for --help, -h and a bad option without an edit
# here; its numbers and arguments get rows below.
# Env (set by ctest): EVO = the evo binary; cwd = repository root.
set -u
EVO=${EVO:?set EVO to the evo binary}
case $EVO in /*) ;; *) EVO=$PWD/$EVO ;; esac

tmp=$(mktemp -d /tmp/evo_test_cli_consistency.XXXXXX)
fail=0
trap '[ "$fail" = 0 ] && rm -rf "$tmp"' EXIT

# A finished run of 30 candidates (the synthetic evaluator) and its config.
cfg=$tmp/cfg.json
cat > "$cfg" <<'EOF'
{"name": "cli", "seed": 5, "concurrency": 1,
 "evaluator": {"kind": "synthetic", "synthetic": {"dims": 4, "levels": 8}},
 "store": {"sync": "none"}, "stop": {"max_evaluations": 30}}
EOF
run=$tmp/run
if ! "$EVO" run "$cfg" --run-dir "$run" --quiet > "$tmp/setup.out" 2>&1; then
    echo "FAILED: the fixture run did not complete:"; cat "$tmp/setup.out"; fail=1; exit 1
fi
out=$tmp/out

rows=0 hostile=0 SANE=0
# expect RC STREAM NEEDLE... -- ARGS...: run `evo ARGS`, check the exit code, that only STREAM
# (out or err) has text, and that it holds every NEEDLE (fixed strings).
expect() {
    local rc_want=$1 stream=$2; shift 2
    local needles=()
    while [ "$1" != -- ]; do needles+=("$1"); shift; done
    shift
    rows=$((rows + 1))
    [ "$SANE" = 1 ] || hostile=$((hostile + 1))
    rm -rf "$out"; mkdir -p "$out"
    (cd "$out" && timeout 60 "$EVO" "$@" > "$out/stdout" 2> "$out/stderr")
    local rc=$? what="evo $*" problem=""
    local said=$out/stdout quiet=$out/stderr
    [ "$stream" = err ] && said=$out/stderr quiet=$out/stdout
    [ "$rc" = "$rc_want" ] || problem="exit $rc, expected $rc_want"
    [ -z "$problem" ] && [ -s "$quiet" ] && problem="printed on std$([ "$stream" = err ] && echo out || echo err) too"
    [ -z "$problem" ] && [ ! -s "$said" ] && problem="printed nothing on std$stream"
    for n in "${needles[@]}"; do
        [ -z "$problem" ] && ! grep -qF -- "$n" "$said" && problem="std$stream lacks '$n'"
    done
    if [ -n "$problem" ]; then
        echo "FAILED: $what: $problem"
        echo "  stdout: $(head -c 300 "$out/stdout")"
        echo "  stderr: $(head -c 300 "$out/stderr")"
        fail=1
    fi
}

# Every command named by `evo --help`.
"$EVO" --help > "$tmp/help" 2>&1
mapfile -t cmds < <(sed -n 's/^  evo \([a-z][a-z-]*\).*/\1/p' "$tmp/help" | sort -u)
if [ "${#cmds[@]}" -lt 12 ]; then
    echo "FAILED: evo --help lists ${#cmds[@]} commands"; fail=1
fi
for c in "${cmds[@]}"; do
    expect 0 out "usage: evo $c" -- "$c" --help
    expect 0 out "usage: evo $c" -- "$c" -h
    expect 2 err "--bogus" "usage: evo $c" -- "$c" --bogus
    expect 2 err "-Z" -- "$c" -Z
done
# --help wins wherever it stands, even after other arguments.
expect 0 out "usage: evo trace" -- trace "$run" --help
expect 0 out "usage: evo check" -- check --samples 2 -h
expect 0 out "usage: evo run" -- run "$cfg" --bogus --help
expect 0 out "usage: evo status" -- status "$run" -h
expect 0 out "usage: evo validate" -- validate "$run" 3 --help
expect 0 out "usage: evo export" -- export --help "$run"

# The program itself.
expect 2 err "usage:" --
expect 2 err "unknown command 'bogus'" -- bogus
SANE=1
expect 0 out "usage:" -- --help
expect 0 out "usage:" -- help
SANE=0

# Extra arguments and missing values.
expect 2 err "unexpected argument 'extra'" -- run "$cfg" extra
expect 2 err "--run-dir" "needs a value" -- run "$cfg" --run-dir
expect 2 err "usage: evo run" -- run
expect 2 err "unexpected argument 'extra'" -- resume "$run" extra
expect 2 err "usage: evo resume" -- resume
expect 2 err "unexpected argument 'extra'" -- status "$run" extra
expect 2 err "unexpected argument 'extra'" -- best "$run" extra
expect 2 err "unexpected argument 'extra'" -- log "$run" extra
expect 2 err "unexpected argument 'extra'" -- plot "$run" extra
expect 2 err "unexpected argument" -- check "$cfg" extra
expect 2 err "--kernels" "needs a value" -- check --kernels
expect 2 err "--arch" "needs a value" -- check --arch
expect 2 err "--arch" "at most 8" -- check --arch a --arch b --arch c --arch d --arch e --arch f --arch g --arch h --arch i
expect 2 err "unexpected argument 'extra'" -- trace "$run" 3 extra
expect 2 err "unexpected argument '4'" -- trace "$run" 3 4
expect 2 err "usage: evo trace" -- trace
expect 2 err "unexpected argument 'extra'" -- llm-check "$cfg" extra
expect 2 err "usage: evo llm-check" -- llm-check
expect 2 err "unexpected argument 'extra'" -- export "$run" --flashinfer-bench "$tmp/x" extra
expect 2 err "--candidate" "needs a value" -- export "$run" --flashinfer-bench "$tmp/x" --candidate
expect 2 err "unexpected argument 'extra'" -- validate "$run" 3 extra
expect 2 err "--trials" "needs a value" -- validate "$run" --trials
expect 2 err "unexpected argument 'extra'" -- version extra

# Numbers: digits only, no overflow, in range, named with the bad value.
for v in abc -5 99999999999 18446744073709551617 1.5 1e3 0x10 +3 " 3" "3 " "" 1001 - --; do
    expect 2 err "--samples" "'$v'" -- check --samples "$v"
done
expect 2 err "--samples" "?[31m" -- check --samples $'\e[31m'
for v in abc 1.5 -1 99999999999 0 101 " 7"; do
    expect 2 err "--trials" "'$v'" -- validate "$run" --trials "$v"
done
for v in x 0 10001 -3 99999999999999999999; do
    expect 2 err "--iterations" "'$v'" -- validate "$run" --iterations "$v"
done
# Candidate ids: digits (an optional '#', as evo prints them), at least 1, a candidate of the
# run; checked before any evaluator starts.
for v in abc 0 -1 -0 1.5 3abc 0x3 "#" "##3" " 3" "" 99999999999999999999 +3; do
    expect 2 err "CANDIDATE" "'$v'" -- trace "$run" "$v"
    expect 2 err "CANDIDATE" "'$v'" -- validate "$run" "$v"
    expect 2 err "--candidate" "'$v'" -- export "$run" --flashinfer-bench "$tmp/x" --candidate "$v"
done
for v in 31 9999 9223372036854775807; do
    expect 2 err "#$v" "does not exist" "#1 to #30" -- trace "$run" "$v"
    expect 2 err "#$v" "does not exist" -- validate "$run" "$v"
    expect 2 err "#$v" "does not exist" -- export "$run" --flashinfer-bench "$tmp/x" --candidate "$v"
done
[ -e "$tmp/x" ] && { echo "FAILED: a refused export wrote $tmp/x"; fail=1; }

# Good input still works (these are not hostile).
SANE=1
expect 0 out "lineage of #7" -- trace "$run" 7
expect 0 out "lineage of #7" -- trace "$run" "#7"
expect 0 out "lineage of #30" -- trace "$run" 30
expect 0 out "evaluations" -- status "$run"

echo "$rows rows, $hostile hostile"
[ "$fail" = 0 ] && echo "all rows passed"
exit "$fail"
