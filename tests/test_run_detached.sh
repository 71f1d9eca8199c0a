#!/usr/bin/env bash
# test_run_detached.sh -- an overnight search outlives its terminal. `evo run` piped into
# `head -1` (stderr and stdout a pipe whose reader is gone: SIGPIPE/EPIPE), with stdout
# closed early, with every standard stream closed, after SIGHUP from `kill` and after a real
# terminal hangup (a pty whose master is closed: SIGHUP, then EIO on every write) runs to its
# end: every candidate committed, the store and the fitness log agreeing, exit 0, and the
# progress and the final report in DIR/progress.log. The first SIGINT (or SIGTERM) still stops
# within seconds with exit 130 and nothing lost, also after SIGHUP with the terminal gone; a
# second SIGINT aborts at once. Synthetic evaluator, CPU only.
# Env (set by ctest): EVO = the evo binary; cwd = repository root.
set -u
EVO=${EVO:?set EVO to the evo binary}
case $EVO in /*) ;; *) EVO=$PWD/$EVO ;; esac
command -v python3 > /dev/null 2>&1 || { echo "SKIPPED: python3 reads the status and plays the terminal"; exit 77; }

tmp=$(mktemp -d /tmp/evo_test_run_detached.XXXXXX)
fail=0 cases=0
bgpid=""
cleanup() {
    [ -n "$bgpid" ] && kill -9 "$bgpid" 2>/dev/null
    [ "$fail" = 0 ] && rm -rf "$tmp"
}
trap cleanup EXIT
check() { # check DESCRIPTION COMMAND...
    local what=$1; shift
    if "$@"; then echo "ok: $what"; else echo "FAILED: $what"; fail=1; fi
}

# N evaluations of DELAY ms each; progress lines every 50 ms, so writes keep coming after
# the reader of a pipe has gone.
config() { # config FILE MAX DELAY_MS
    cat > "$1" <<EOF
{"name": "detached", "seed": 9, "concurrency": 2,
 "evaluator": {"kind": "synthetic", "synthetic": {"dims": 5, "levels": 10, "delay_ms": $3}},
 "store": {"sync": "none"}, "log": {"progress_interval": 0.05},
 "stop": {"max_evaluations": $2}}
EOF
}
config "$tmp/short.json" 300 4
config "$tmp/mid.json" 300 25 # about 4 s: time to send signals mid-way
config "$tmp/long.json" 1000000 20
config "$tmp/slow.json" 1000000 3000

# committed DIR: the number of candidates in the store ("-" when unreadable).
committed() {
    "$EVO" status "$1" --json 2>/dev/null |
        python3 -c 'import json,sys; print(json.load(sys.stdin)["counters"]["evaluations"])' 2>/dev/null ||
        echo -
}
finished() {
    "$EVO" status "$1" --json 2>/dev/null |
        python3 -c 'import json,sys; sys.exit(0 if json.load(sys.stdin)["counters"]["finished"] else 1)'
}
at_least() { [ "$1" != - ] && [ "$1" -ge "$2" ]; }
log_lines() { [ -f "$1/fitness.jsonl" ] && wc -l < "$1/fitness.jsonl" || echo 0; }
# wait_for DIR N: until N candidates are committed (at most 20 s).
wait_for() {
    for _ in $(seq 400); do
        local n; n=$(committed "$1")
        [ "$n" != - ] && [ "$n" -ge "$2" ] && return 0
        sleep 0.05
    done
    return 1
}
# whole_run DIR RC WHAT: a run that went to its end despite WHAT.
whole_run() {
    local dir=$1 rc=$2 what=$3
    cases=$((cases + 1))
    check "$what: exit 0 (was $rc)" [ "$rc" = 0 ]
    check "$what: all 300 candidates committed ($(committed "$dir"))" [ "$(committed "$dir")" = 300 ]
    check "$what: the run is finished" finished "$dir"
    check "$what: the fitness log has 300 lines ($(log_lines "$dir"))" [ "$(log_lines "$dir")" = 300 ]
    check "$what: progress.log has the last progress line" grep -q 'eval 300/300' "$dir/progress.log"
    check "$what: progress.log has the report" grep -q '== evo report ==' "$dir/progress.log"
    check "$what: progress.log ends with exit 0" grep -q ' exit 0$' "$dir/progress.log"
}

# 1. Both streams into `head -1`: head exits after the first line.
"$EVO" run "$tmp/short.json" --run-dir "$tmp/head" 2>&1 | head -1 > "$tmp/head.first"
rc=${PIPESTATUS[0]}
whole_run "$tmp/head" "$rc" "run | head -1"
check "run | head -1: head saw the run directory line" grep -q 'run directory' "$tmp/head.first"
check "run | head -1: the log says stderr went away" grep -q 'stderr stopped taking' "$tmp/head/progress.log"

# 2. stdout into a pipe closed at once (the report cannot be written there), stderr a file.
"$EVO" run "$tmp/short.json" --run-dir "$tmp/stdout" 2> "$tmp/stdout.err" | true
rc=${PIPESTATUS[0]}
whole_run "$tmp/stdout" "$rc" "run | true"
check "run | true: the log says the report is only there" grep -q 'stdout did not take the report' "$tmp/stdout/progress.log"

# 3. Every standard stream closed: no message may land in a file the run opens.
"$EVO" run "$tmp/short.json" --run-dir "$tmp/closed" <&- >&- 2>&-
rc=$?
whole_run "$tmp/closed" "$rc" "run <&- >&- 2>&-"
if "$EVO" verify --help > /dev/null 2>&1; then
    check "run <&- >&- 2>&-: the store verifies" "$EVO" verify "$tmp/closed" > /dev/null 2>&1
fi

# 4. --quiet with stderr into a dead pipe: the log is still written.
"$EVO" run "$tmp/short.json" --run-dir "$tmp/quiet" --quiet 2>&1 | head -0
rc=${PIPESTATUS[0]}
whole_run "$tmp/quiet" "$rc" "run --quiet | head -0"

# 5. SIGHUP from kill, mid-way, while progress.log is followed as `tail -f` would.
"$EVO" run "$tmp/mid.json" --run-dir "$tmp/hup" > "$tmp/hup.out" 2>&1 &
bgpid=$!
wait_for "$tmp/hup" 40
cases=$((cases + 1))
check "SIGHUP: progress.log has progress lines before the end" grep -q ' eval [0-9]*/300' "$tmp/hup/progress.log"
kill -HUP "$bgpid"
sleep 0.2
kill -HUP "$bgpid" 2>/dev/null
wait "$bgpid"
rc=$?
bgpid=""
whole_run "$tmp/hup" "$rc" "two SIGHUPs"
check "SIGHUP: noted in progress.log" grep -q 'SIGHUP' "$tmp/hup/progress.log"

# 6. A real terminal hangup: evo in a pty (its controlling terminal, stdout and stderr a
#    terminal), the master closed mid-way: SIGHUP, then EIO on every write to the terminal.
if command -v python3 > /dev/null 2>&1; then
    python3 - "$EVO" "$tmp/mid.json" "$tmp/pty" > "$tmp/pty.rc" 2> "$tmp/pty.err" <<'PY'
import json, os, pty, subprocess, sys, time
evo, cfg, run = sys.argv[1:4]
pid, master = pty.fork()
if pid == 0:
    os.execv(evo, [evo, "run", cfg, "--run-dir", run])
deadline = time.time() + 20
seen = b""
while time.time() < deadline:  # read the live progress line until 40 are committed
    try:
        seen += os.read(master, 4096)
    except OSError:
        break
    st = subprocess.run([evo, "status", run, "--json"], capture_output=True, text=True)
    if (b"\x1b[K" in seen and st.returncode == 0 and
            json.loads(st.stdout)["counters"]["evaluations"] >= 40):
        break
os.close(master)  # the terminal goes away
_, status = os.waitpid(pid, 0)
print(os.waitstatus_to_exitcode(status) if hasattr(os, "waitstatus_to_exitcode") else status >> 8)
print("tty-progress" if b"\x1b[K" in seen else "no-tty-progress")
PY
    rc=$(head -1 "$tmp/pty.rc")
    whole_run "$tmp/pty" "${rc:-none}" "terminal hangup (pty closed)"
    check "terminal hangup: progress was drawn on the terminal first" grep -q '^tty-progress' "$tmp/pty.rc"
    check "terminal hangup: SIGHUP noted in progress.log" grep -q 'SIGHUP' "$tmp/pty/progress.log"
else
    echo "skipped: the pty hangup needs python3"
fi

# 7. SIGINT after SIGHUP with both streams into a dead pipe: stops within 5 s, exit 130,
#    the store and the fitness log agree.
{ "$EVO" run "$tmp/long.json" --run-dir "$tmp/int" 2>&1 & echo $! > "$tmp/int.pid"; wait $!; echo $? > "$tmp/int.rc"; } | head -1 > /dev/null &
pipeline=$!
for _ in $(seq 100); do [ -s "$tmp/int.pid" ] && break; sleep 0.05; done
bgpid=$(cat "$tmp/int.pid")
wait_for "$tmp/int" 30
kill -HUP "$bgpid"
sleep 0.3
t0=$(date +%s.%N)
kill -INT "$bgpid"
for _ in $(seq 100); do kill -0 "$bgpid" 2>/dev/null || break; sleep 0.05; done
t1=$(date +%s.%N)
wait "$pipeline"
bgpid=""
cases=$((cases + 1))
took=$(python3 -c "print(round($t1 - $t0, 2))")
check "SIGINT after SIGHUP, streams dead: exit 130 ($(cat "$tmp/int.rc" 2>/dev/null))" [ "$(cat "$tmp/int.rc" 2>/dev/null)" = 130 ]
check "SIGINT after SIGHUP: stopped within 5 s (${took}s)" python3 -c "import sys; sys.exit(0 if $took < 5 else 1)"
n=$(committed "$tmp/int")
check "SIGINT after SIGHUP: store ($n) and fitness log ($(log_lines "$tmp/int")) agree" [ "$n" = "$(log_lines "$tmp/int")" ]
check "SIGINT after SIGHUP: the run went past SIGHUP ($n >= 30)" at_least "$n" 30
check "SIGINT: progress.log says it is stopping" grep -q 'SIGINT: stopping after the evaluations in flight' "$tmp/int/progress.log"
check "SIGINT: progress.log says how to continue" grep -q 'continue with `evo resume' "$tmp/int/progress.log"
check "SIGINT: progress.log ends with exit 130" grep -q ' exit 130$' "$tmp/int/progress.log"

# 8. SIGTERM with stdout into a dead pipe: the same graceful stop.
{ "$EVO" run "$tmp/long.json" --run-dir "$tmp/term" 2> /dev/null & echo $! > "$tmp/term.pid"; wait $!; echo $? > "$tmp/term.rc"; } | true &
pipeline=$!
for _ in $(seq 100); do [ -s "$tmp/term.pid" ] && break; sleep 0.05; done
bgpid=$(cat "$tmp/term.pid")
wait_for "$tmp/term" 20
kill -TERM "$bgpid"
wait "$pipeline"
bgpid=""
cases=$((cases + 1))
n=$(committed "$tmp/term")
check "SIGTERM, stdout dead: exit 130 ($(cat "$tmp/term.rc" 2>/dev/null))" [ "$(cat "$tmp/term.rc" 2>/dev/null)" = 130 ]
check "SIGTERM, stdout dead: store ($n) and fitness log agree" [ "$n" = "$(log_lines "$tmp/term")" ]
check "SIGTERM: progress.log ends with exit 130" grep -q ' exit 130$' "$tmp/term/progress.log"

# 9. A second SIGINT aborts while a 3 s evaluation is in flight.
"$EVO" run "$tmp/slow.json" --run-dir "$tmp/twice" > "$tmp/twice.out" 2>&1 &
bgpid=$!
sleep 0.8
kill -INT "$bgpid"
sleep 0.2
t0=$(date +%s.%N)
kill -INT "$bgpid"
wait "$bgpid"
rc=$?
t1=$(date +%s.%N)
bgpid=""
cases=$((cases + 1))
took=$(python3 -c "print(round($t1 - $t0, 2))")
check "second SIGINT: exit 130 ($rc)" [ "$rc" = 130 ]
check "second SIGINT: aborted at once (${took}s)" python3 -c "import sys; sys.exit(0 if $took < 1.5 else 1)"
check "second SIGINT: progress.log says so" grep -q '^aborted by a second SIGINT' "$tmp/twice/progress.log"

# 10. The interrupted runs resume to a consistent store.
"$EVO" resume "$tmp/int" --quiet > /dev/null 2>&1 &
bgpid=$!
wait_for "$tmp/int" $((n + 10))
kill -INT "$bgpid"
wait "$bgpid"
rc=$?
bgpid=""
cases=$((cases + 1))
check "resume after the stops: exit 130 after its own SIGINT ($rc)" [ "$rc" = 130 ]
check "resume: the log tells the second session" [ "$(grep -c ': resume in ' "$tmp/int/progress.log")" = 1 ]
check "resume: store and fitness log agree" [ "$(committed "$tmp/int")" = "$(log_lines "$tmp/int")" ]

echo "$cases hostile cases"
[ "$fail" = 0 ] && echo "all passed"
exit "$fail"
