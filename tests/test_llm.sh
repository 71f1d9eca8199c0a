#!/usr/bin/env bash
# test_llm.sh -- the LLM operator through the `evo` program against the loopback server
# (tests/llm_server.py playing tests/llm_loopback_script.json): `evo llm-check` reports ok,
# and the exact reason for a wrong key; `evo run configs/llm_loopback.json` (synthetic
# evaluator) commits model-made candidates; a run killed with SIGKILL in the middle of model
# traffic loses nothing committed and resumes; the API key is in no output and no file.
# Env (set by ctest): EVO = the evo binary; cwd = repository root.
set -u
EVO=${EVO:?set EVO to the evo binary}
cd "${EVO_SOURCE_DIR:-.}"
. tests/support/loopback.sh
command -v python3 >/dev/null 2>&1 || { echo "SKIPPED: python3 is needed for the loopback server"; exit 77; }

if "$EVO" llm-check 2>&1 | grep -q "unknown command"; then
    echo "FAILED: this evo has no llm-check command: evo/cli/cli.c must dispatch it to cli_llm_check"
    exit 1
fi

fail=0
check() { # check DESCRIPTION COMMAND...
    local what=$1; shift
    if "$@"; then echo "ok: $what"; else echo "FAILED: $what"; fail=1; fi
}

tmp=$(mktemp -d /tmp/evo_test_llm.XXXXXX)
srv=""
cleanup() {
    [ -n "$srv" ] && kill "$srv" 2>/dev/null
    [ -n "${bg:-}" ] && kill -9 "$bg" 2>/dev/null
    [ "$fail" = 0 ] && rm -rf "$tmp"
}
trap cleanup EXIT

# The shipped config, pointed at this server's port and the shipped prompts.
loopback_start "$tmp" "$tmp/cfg.json" || { fail=1; exit 1; }

# 1. llm-check: ok, then the exact reason for a wrong key.
"$EVO" llm-check "$tmp/cfg.json" > "$tmp/check.out" 2>&1
rc=$?
check "llm-check exits 0" [ "$rc" = 0 ]
check "llm-check says ok" grep -Eq '^loopback +[0-9]+ms +[0-9]+ +[0-9]+  ok$' "$tmp/check.out"
EVO_LOOPBACK_KEY=wrong-key-for-the-test "$EVO" llm-check "$tmp/cfg.json" > "$tmp/check_bad.out" 2>&1
rc=$?
check "llm-check with a wrong key exits 1" [ "$rc" = 1 ]
check "llm-check names the rejected key's variable" grep -q \
    "HTTP 401 Unauthorized from http://127.0.0.1:$port/v1/chat/completions: the server rejected the key in environment variable EVO_LOOPBACK_KEY (server said: Incorrect API key provided)" \
    "$tmp/check_bad.out"

# 2. A search with the LLM operator.
"$EVO" run "$tmp/cfg.json" --run-dir "$tmp/run" > "$tmp/run.out" 2>&1
rc=$?
check "evo run exits 0" [ "$rc" = 0 ]
"$EVO" log "$tmp/run" > "$tmp/run.log" 2>&1
llm=$(grep -c '"operator":"llm"' "$tmp/run.log")
check "model-made candidates were committed ($llm)" [ "$llm" -ge 3 ]
check "a model-made candidate passed" grep -q '"operator":"llm","template":"llm-[0-9a-f]*","status":"PASSED"' "$tmp/run.log"
"$EVO" status "$tmp/run" --json > "$tmp/status.json" 2>&1
check "status reports LLM usage" python3 -c "
import json,sys
u=json.load(open('$tmp/status.json'))['usage']
sys.exit(0 if u['calls'] > 0 and u['cost_usd'] > 0 else 1)"

# 3. SIGKILL in the middle of model traffic, then resume.
"$EVO" run "$tmp/cfg.json" --run-dir "$tmp/killed" > "$tmp/killed.out" 2>&1 &
bg=$!
for _ in $(seq 200); do
    n=$("$EVO" log "$tmp/killed" 2>/dev/null | wc -l)
    [ "$n" -ge 12 ] && break
    sleep 0.05
done
"$EVO" log "$tmp/killed" > "$tmp/before.log" 2>/dev/null
kill -9 "$bg" 2>/dev/null
wait "$bg" 2>/dev/null
bg=""
"$EVO" log "$tmp/killed" > "$tmp/after_kill.log" 2>/dev/null
before=$(wc -l < "$tmp/before.log")
check "candidates were committed before the kill ($before)" [ "$before" -ge 1 ]
check "nothing committed was lost to SIGKILL" \
    cmp -s "$tmp/before.log" <(head -n "$before" "$tmp/after_kill.log")
"$EVO" resume "$tmp/killed" > "$tmp/resume.out" 2>&1
rc=$?
check "evo resume exits 0" [ "$rc" = 0 ]
"$EVO" log "$tmp/killed" > "$tmp/resumed.log" 2>/dev/null
check "the resumed run kept every committed candidate" \
    cmp -s "$tmp/before.log" <(head -n "$before" "$tmp/resumed.log")
check "the resumed run reached its stop" [ "$(wc -l < "$tmp/resumed.log")" -ge 60 ]

# 4. The key is in no output and no file.
check "the API key appears nowhere under $tmp" bash -c "! grep -rqaF -- '$EVO_LOOPBACK_KEY' '$tmp'"

exit $fail
