#!/usr/bin/env bash
# test_secret_leak.sh -- a secret planted in a host file and in the environment reaches no
# record, log, prompt or request, whatever a model's candidate includes (CPU suite).
#
# `evo run` with the real GPU evaluator (task kernels/rmsnorm, NVRTC compiling for real), a
# model played by tests/llm_server.py whose executor and repair replies try every way of
# naming a host file in an include (the planted file, /proc/self/environ, a macro, comments
# and splices inside the directive, a digraph, __has_include), and tests/support/fake_worker.py
# standing in for the GPU. Afterwards the secret must be in no file of the run directory (the
# LMDB store read as bytes), the cache, the fitness log, the program's output, or any request
# the model server received; and the hostile candidates must be COMPILE_ERRORs that say why.
# Env (set by ctest): EVO = the evo binary; cwd = repository root.
set -u
EVO=${EVO:?set EVO to the evo binary}
cd "${EVO_SOURCE_DIR:-.}"
command -v python3 >/dev/null 2>&1 || { echo "SKIPPED: python3 is needed for the loopback server"; exit 77; }

fail=0
check() { local what=$1; shift; if "$@"; then echo "ok: $what"; else echo "FAILED: $what"; fail=1; fi; }
tmp=$(mktemp -d /tmp/evo_test_secret.XXXXXX)
srv=""
cleanup() { [ -n "$srv" ] && kill "$srv" 2>/dev/null; [ "$fail" = 0 ] && rm -rf "$tmp"; }
trap cleanup EXIT

secret="evo-planted-$RANDOM$RANDOM$RANDOM-secret"
printf '%s\n' "$secret" > "$tmp/secret.txt"
export EVO_PLANTED_SECRET="$secret"
export EVO_LOOPBACK_KEY="sk-secret-test-$RANDOM$RANDOM"

# The model's replies: each a full rmsnorm candidate with a hostile first line, then one good one.
python3 - "$tmp" <<'PY'
import json, sys
tmp = sys.argv[1]
seed = open("kernels/rmsnorm/rmsnorm_block.cu").read()
secret = tmp + "/secret.txt"
hostile = [
    '#include "%s"' % secret,
    '#include <%s>' % secret,
    '#include "/proc/self/environ"',
    '#define LEAK "/proc/self/environ"\n#include LEAK',
    '#/* hidden */include "%s"' % secret,
    '#inc\\\nlude "%s"' % secret,
    '%%:include "%s"' % secret,
    '#if __has_include("%s")\n#error present\n#endif' % secret,
]
def reply(first):
    return {"reply": "Here is the kernel.\n```cuda\n%s\n%s```\n" % (first, seed)}
script = {"roles": {
    "planner": [{"reply": "Plan: read the configuration first."}],
    "executor": [reply(h) for h in hostile[:4]] + [reply("/* a clean rewrite */")] +
                [reply(h) for h in hostile[4:]],
    "repair": [reply(h) for h in reversed(hostile)],
    "summarizer": [{"reply": "Lesson: the include was refused."}],
}}
json.dump(script, open(tmp + "/script.json", "w"))
PY

python3 tests/llm_server.py --script "$tmp/script.json" --lifetime 300 --key-env EVO_LOOPBACK_KEY \
    --log "$tmp/requests.log" > "$tmp/port" &
srv=$!
for _ in $(seq 100); do grep -q PORT "$tmp/port" 2>/dev/null && break; sleep 0.05; done
port=$(awk '/PORT/ {print $2}' "$tmp/port")
[ -n "$port" ] || { echo "FAILED: the loopback server did not start"; fail=1; exit 1; }

cat > "$tmp/cfg.json" <<EOF
{"name": "secret-leak", "seed": 3, "concurrency": 1, "islands": {"count": 1, "population": 20},
 "operators": {"point": 0.2, "multi": 0.0, "crossover": 0.0, "restart": 0.0, "llm": 1.0},
 "mutation": {"max_repairs": 2}, "stop": {"max_evaluations": 20},
 "evaluator": {"kind": "gpu", "task": "$PWD/kernels/rmsnorm", "workloads": ["batch_size=7"],
               "seeds": ["rmsnorm_block"], "cache_dir": "$tmp/cache", "timeout_s": 30},
 "llm": {"models": [{"name": "loopback", "base_url": "http://127.0.0.1:$port/v1", "model": "scripted",
                     "api_key_env": "EVO_LOOPBACK_KEY", "timeout_s": 10}],
         "prompts_dir": "$PWD/configs/prompts", "retries": 1, "backoff_ms": 10, "max_calls": 80}}
EOF

EVO_WORKER="$PWD/tests/support/fake_worker.py" "$EVO" run "$tmp/cfg.json" --run-dir "$tmp/run" \
    > "$tmp/run.out" 2>&1
rc=$?
check "evo run exits 0 ($rc)" [ "$rc" = 0 ]
"$EVO" log "$tmp/run" > "$tmp/run.log" 2>&1
"$EVO" trace "$tmp/run" > "$tmp/trace.out" 2>&1
for i in $(seq 1 20); do "$EVO" trace "$tmp/run" "$i" >> "$tmp/trace.out" 2>&1; done
refused=$(grep -c '"status":"COMPILE_ERROR"' "$tmp/run.log")
check "hostile candidates were refused as COMPILE_ERROR ($refused)" [ "$refused" -ge 6 ]
check "the refusals say why" grep -q "source policy: line" "$tmp/trace.out"
check "the model was asked to repair a refusal (it saw the reason)" grep -q "source policy" "$tmp/requests.log"
check "a clean candidate passed" grep -q '"operator":"llm","template":"llm-[0-9a-f]*","status":"PASSED"' "$tmp/run.log"
leaks=$(grep -rla -- "$secret" "$tmp/run" "$tmp/cache" "$tmp/run.out" "$tmp/run.log" "$tmp/trace.out" \
    "$tmp/requests.log" 2>/dev/null)
check "the secret is in no record, log, prompt or request (${leaks:-none})" [ -z "$leaks" ]
keys=$(grep -rla -- "$EVO_LOOPBACK_KEY" "$tmp/run" "$tmp/run.out" "$tmp/requests.log" 2>/dev/null)
check "the API key is in no file (${keys:-none})" [ -z "$keys" ]
exit $fail
