# loopback.sh -- sourced by shell tests that need tests/llm_server.py playing
# tests/llm_loopback_script.json on a free loopback port.
#
#   loopback_start TMPDIR CFG   starts the server (its pid in $srv, its port in $port, the key in
#                               $EVO_LOOPBACK_KEY, fresh each call) and writes CFG: the shipped
#                               configs/llm_loopback.json pointed at that port and the shipped
#                               prompts. Returns 1, saying so, when the server does not come up.
# The caller kills $srv in its EXIT trap.

loopback_start() {
    local dir=$1 cfg=$2
    export EVO_LOOPBACK_KEY="sk-loop-$RANDOM$RANDOM$RANDOM$RANDOM$RANDOM"
    python3 tests/llm_server.py --script tests/llm_loopback_script.json --lifetime 300 \
        --key-env EVO_LOOPBACK_KEY > "$dir/port" &
    srv=$!
    for _ in $(seq 100); do grep -q PORT "$dir/port" 2> /dev/null && break; sleep 0.05; done
    port=$(awk '/PORT/ {print $2}' "$dir/port")
    [ -n "$port" ] || { echo "FAILED: the loopback server did not start"; return 1; }
    python3 - "$cfg" "$port" "$PWD/configs/prompts" << 'PY'
import json, sys
cfg = json.load(open("configs/llm_loopback.json"))
cfg["llm"]["models"][0]["base_url"] = "http://127.0.0.1:%s/v1" % sys.argv[2]
cfg["llm"]["prompts_dir"] = sys.argv[3]
json.dump(cfg, open(sys.argv[1], "w"), indent=1)
PY
}
