#!/usr/bin/env bash
# test_report.sh -- `evo report DIR -o FILE.html` as a user meets it after a run, rendered by
# headless Chromium (Debian `chromium`):
#   1. an LLM run (configs/llm_loopback.json against tests/llm_server.py): every section, the
#      lineage's plans and lessons, the cost; the page loads nothing (no URL, no external
#      script or stylesheet) and its own script runs to the end with no error;
#   2. a GPU task's run (kernels/gdn_decode, tests/support/fib_fake_worker.py standing in for
#      the GPU): the best candidate per workload against its baseline, in the axes' order;
#   3. a run whose every text is markup (tests/support/report_hostile_run.py through the
#      Python binding): shown as text, no script of the run's runs;
#   4. controls that the checks can fail: the page with a script error and with a script the
#      page's policy must block both read as broken;
#   5. usage and errors: no run, a folder that cannot be written (the old file kept), -o -.
# Screenshots land in $EVO_BUILD_DIR/report-test/ (look at them). Without chromium the static
# checks still run and the test then says SKIPPED (exit 77).
# Env (set by ctest): EVO, EVO_BUILD_DIR, EVO_SOURCE_DIR; cwd = repository root.
set -u
EVO=${EVO:?set EVO to the evo binary}
BUILD=${EVO_BUILD_DIR:?set EVO_BUILD_DIR to the build folder}
cd "${EVO_SOURCE_DIR:-.}"
. tests/support/loopback.sh
command -v python3 > /dev/null 2>&1 || { echo "SKIPPED: python3 is needed for the runs"; exit 77; }

fail=0
check() { # check DESCRIPTION COMMAND...
    local what=$1
    shift
    if "$@"; then echo "ok: $what"; else echo "FAILED: $what"; fail=1; fi
}
tmp=$(mktemp -d /tmp/evo_test_report.XXXXXX)
srv=""
cleanup() {
    [ -n "$srv" ] && kill "$srv" 2> /dev/null
    [ "$fail" = 0 ] && rm -rf "$tmp"
}
trap cleanup EXIT
shots=$BUILD/report-test
rm -rf "$shots" && mkdir -p "$shots"

chrome=""
for c in chromium chromium-browser google-chrome; do
    command -v "$c" > /dev/null 2>&1 && { chrome=$c; break; }
done
# render PAGE NAME: the DOM after the page's scripts ran (NAME.dom) and a screenshot
# (NAME.png); Chromium's console lines in NAME.log.
render() {
    local page=$1 name=$2
    local flags=(--headless --no-sandbox --disable-gpu --hide-scrollbars --no-first-run
        --user-data-dir="$tmp/chrome-$name" --virtual-time-budget=3000)
    timeout 120 "$chrome" "${flags[@]}" --enable-logging=stderr --v=0 --dump-dom \
        "file://$page" > "$tmp/$name.dom" 2> "$tmp/$name.log"
    timeout 120 "$chrome" "${flags[@]}" --window-size=1280,4200 \
        --screenshot="$shots/$name.png" "file://$page" > /dev/null 2>&1
}
body_of() { grep -o '<body[^>]*>' "$tmp/$1.dom" | head -1; }
# rendered_ok NAME: the page's script ran to its end and recorded no error or blocked load.
rendered_ok() {
    local b
    b=$(body_of "$1")
    case $b in *'data-report="ok"'*) ;; *) echo "  body: $b"; return 1 ;; esac
    case $b in *data-errors*) echo "  body: $b"; return 1 ;; esac
    if grep -E 'CONSOLE.*(Uncaught|Refused|Error|violates|blocked)' "$tmp/$1.log"; then return 1; fi
    return 0
}
seen_broken() { ! rendered_ok "$1" > /dev/null; }
# self_contained PAGE: nothing that would load from anywhere.
self_contained() {
    ! grep -Eiq '(src|href|action|xlink:href)="(https?:|//|file:)' "$1" &&
        ! grep -Eiq '<link |<iframe|<object|<embed|@import|url\(' "$1" &&
        ! grep -Eq '<script [^>]*src=' "$1" &&
        grep -q "Content-Security-Policy\" content=\"default-src 'none'" "$1"
}
# only_own_scripts PAGE: every <script> carries the page's nonce, and there are exactly two
# (the error recorder in the head, the page script at the end).
only_own_scripts() {
    local nonce all own
    nonce=$(grep -o "'nonce-[0-9a-f]*'" "$1" | head -1 | tr -d "'" | sed 's/^nonce-//')
    all=$(grep -o '<script' "$1" | wc -l)
    own=$(grep -o "<script nonce=\"$nonce\">" "$1" | wc -l)
    [ -n "$nonce" ] && [ "$all" = 2 ] && [ "$own" = 2 ]
}

# ---- 1. an LLM run ----
loopback_start "$tmp" "$tmp/llm.json" || { fail=1; exit 1; }
"$EVO" run "$tmp/llm.json" --run-dir "$tmp/llm.run" > "$tmp/llm.out" 2>&1
check "the LLM run exits 0" [ $? = 0 ]
"$EVO" report "$tmp/llm.run" -o "$tmp/llm.html" > "$tmp/report.out" 2>&1
check "evo report exits 0" [ $? = 0 ]
check "evo report says where it wrote" grep -qx "wrote $tmp/llm.html" "$tmp/report.out"
p=$tmp/llm.html
for s in summary progress best lineage failures islands operators models; do
    check "the page has the section '$s'" grep -q "<section id=\"$s\">" "$p"
done
check "the page loads nothing: no URL, external script, stylesheet or frame" self_contained "$p"
check "the page's scripts are its own two (nonce)" only_own_scripts "$p"
check "the summary names the run and its stop" grep -q 'reached max_evaluations (60)' "$p"
check "the best-so-far and every-candidate plots are inline SVG" \
    [ "$(grep -c '<svg class="plot"\|<svg id="[a-z-]*" class="plot"' "$p")" -ge 2 ]
check "the lineage shows the model's plans" grep -q 'Moving P0 to 3 and P1 to 10' "$p"
check "the lineage names the operator of each step" grep -q 'class="op">llm<' "$p"
check "the models section shows the cost in dollars" grep -Eq '\$0\.0[0-9]+' "$p"
check "the API key is not in the page" bash -c "! grep -q '$EVO_LOOPBACK_KEY' '$p'"
best=$("$EVO" status "$tmp/llm.run" --json | python3 -c 'import json,sys; print(json.load(sys.stdin)["best"]["id"])')
check "the page names the best candidate #$best" grep -q "#$best" "$p"

# ---- 2. a GPU task's run: per-workload figures against the baseline ----
n=$(python3 -c 'import json; print(len(json.load(open("kernels/gdn_decode/task.json"))["seeds"]))')
cat > "$tmp/gdn.json" << EOF
{"name": "report-gdn", "seed": 1, "concurrency": 1, "islands": {"count": 1, "population": 8},
 "operators": {"point": 1.0, "multi": 0.0, "crossover": 0.0, "restart": 0.0, "llm": 0.0},
 "stop": {"max_evaluations": $n},
 "evaluator": {"kind": "gpu", "task": "$PWD/kernels/gdn_decode", "cache_dir": "$tmp/cache",
               "timeout_s": 120}}
EOF
EVO_WORKER="$PWD/tests/support/fib_fake_worker.py" "$EVO" run "$tmp/gdn.json" \
    --run-dir "$tmp/gdn.run" > "$tmp/gdn.out" 2>&1
check "the GPU task's run (fake worker) exits 0" [ $? = 0 ]
"$EVO" report "$tmp/gdn.run" -o "$tmp/gdn.html" > /dev/null 2>&1
check "evo report of the GPU task's run exits 0" [ $? = 0 ]
# The per-workload rows of the best candidate, in the order evo status prints them (the axes').
"$EVO" status "$tmp/gdn.run" > "$tmp/gdn.status" 2>&1
python3 - "$tmp/gdn.html" "$tmp/gdn.status" > "$tmp/gdn.rows" 2>&1 << 'PY'
import re, sys
page = open(sys.argv[1]).read()
best = page[page.index('<section id="best">'):page.index('<section id="lineage">')]
rows = re.findall(r'<td class="wl">([^<]*)</td>', best)
status = [l.split()[0] for l in open(sys.argv[2]) if re.match(r"\s+batch_size=", l)]
print("page:", rows[:6], len(rows))
print("status:", status[:6], len(status))
sys.exit(0 if rows and rows == status else 1)
PY
check "the best candidate's table has every workload in the axes' order" [ $? = 0 ]
[ "$fail" = 0 ] || cat "$tmp/gdn.rows"
check "the table has a baseline column" grep -q 'baseline' "$tmp/gdn.html"

# ---- 3. markup in every text a run carries ----
# (through the Python binding, which cannot load an ASan-instrumented libevo: that build
# skips this part, the plain build runs it, as tests/test_python.sh does)
if grep -q '^EVO_SANITIZE:BOOL=ON' "$BUILD/CMakeCache.txt" 2> /dev/null; then
    echo "skipped: the hostile run (part 3) in an AddressSanitizer build; the plain build runs it"
elif PYTHONPATH="$PWD/python" EVO_LIBRARY="$BUILD/libevo.so" PYTHONDONTWRITEBYTECODE=1 \
    python3 tests/support/report_hostile_run.py "$tmp/evil.run" > "$tmp/evil.out" 2>&1; then
    "$EVO" report "$tmp/evil.run" -o "$tmp/evil.html" > /dev/null 2>&1
    check "evo report of the hostile run exits 0" [ $? = 0 ]
    e=$tmp/evil.html
    check "the hostile run's markup is text: still only the page's two scripts" only_own_scripts "$e"
    check "no <img> or <svg onload> of the run's reaches the page" \
        bash -c "! grep -Eq '<img|<svg onload' '$e'"
    check "the hostile texts are there, escaped (error, plan, lesson, seed name)" \
        [ "$(grep -o '&lt;script&gt;document.body' "$e" | wc -l)" -ge 4 ]
    check "the hostile page loads nothing" self_contained "$e"
else
    echo "FAILED: tests/support/report_hostile_run.py: $(tail -3 "$tmp/evil.out")"
    fail=1
fi

# ---- 5. usage and errors ----
"$EVO" report > "$tmp/u.out" 2>&1
check "evo report without DIR exits 2 with the usage" \
    bash -c "[ $? = 2 ] && grep -q 'usage: evo report DIR' '$tmp/u.out'"
"$EVO" report "$tmp/nothing-here" -o "$tmp/x.html" > "$tmp/n.out" 2>&1
rc=$?
check "evo report of no run exits 1 and names the folder" \
    bash -c "[ $rc = 1 ] && grep -q '$tmp/nothing-here' '$tmp/n.out'"
check "... and writes no page" [ ! -e "$tmp/x.html" ]
mkdir -p "$tmp/ro" && cp "$tmp/llm.html" "$tmp/ro/old.html" && chmod a-w "$tmp/ro"
if [ "$(id -u)" != 0 ]; then
    "$EVO" report "$tmp/llm.run" -o "$tmp/ro/old.html" > "$tmp/ro.out" 2>&1
    rc=$?
    check "a folder that cannot be written: exit 1 naming the file" \
        bash -c "[ $rc = 1 ] && grep -q '$tmp/ro/old.html' '$tmp/ro.out'"
    check "... and the old page is as it was" cmp -s "$tmp/llm.html" "$tmp/ro/old.html"
fi
"$EVO" report "$tmp/llm.run" -o "$tmp/no/such/dir/r.html" > "$tmp/nd.out" 2>&1
rc=$?
check "-o into a missing folder: exit 1 naming the file" \
    bash -c "[ $rc = 1 ] && grep -q '$tmp/no/such/dir/r.html' '$tmp/nd.out'"
chmod u+w "$tmp/ro"
"$EVO" report "$tmp/llm.run" -o - > "$tmp/stdout.html" 2> /dev/null
check "-o - writes the page to stdout" grep -q '</html>' "$tmp/stdout.html"
"$EVO" report "$tmp/llm.run" > /dev/null 2>&1
check "without -o the page is DIR/report.html" grep -q '</html>' "$tmp/llm.run/report.html"

# ---- rendering ----
if [ -z "$chrome" ]; then
    [ "$fail" = 0 ] || exit 1
    echo "SKIPPED: the rendering checks need headless Chromium (Debian: apt-get install chromium);" \
        "the static checks above passed"
    exit 77
fi
echo "chromium: $($chrome --version 2> /dev/null | head -1)"
render "$tmp/llm.html" llm
check "the LLM run's page renders and its script runs with no error" rendered_ok llm
render "$tmp/gdn.html" gdn
check "the GPU task's page renders with no error" rendered_ok gdn
if [ -e "$tmp/evil.html" ]; then
    render "$tmp/evil.html" evil
    check "the hostile page renders with no error" rendered_ok evil
    check "no script of the hostile run ran (no data-pwned on <body>)" \
        bash -c "! grep -o '<body[^>]*>' '$tmp/evil.dom' | grep -q pwned"
fi
check "screenshots were taken" [ -s "$shots/llm.png" ] && [ -s "$shots/gdn.png" ]

# ---- 4. controls: checks that must see a broken page ----
nonce=$(grep -o "'nonce-[0-9a-f]*'" "$tmp/llm.html" | head -1 | tr -d "'" | sed 's/^nonce-//')
python3 - "$tmp/llm.html" "$tmp/broken.html" "$tmp/foreign.html" "$nonce" << 'PY'
import sys
page = open(sys.argv[1]).read()
at = page.index("<main>")
open(sys.argv[2], "w").write(
    page[:at] + '<script nonce="%s">noSuchFunction();</script>' % sys.argv[4] + page[at:])
open(sys.argv[3], "w").write(
    page[:at] + "<script>document.body.setAttribute('data-pwned','1')</script>" + page[at:])
PY
render "$tmp/broken.html" broken
check "control: a script error in the page is seen" seen_broken broken
render "$tmp/foreign.html" foreign
check "control: a script without the nonce is blocked and seen" \
    seen_broken foreign
check "control: ... and it did not run" bash -c "! grep -o '<body[^>]*>' '$tmp/foreign.dom' | grep -q pwned"

[ "$fail" = 0 ] && echo "all report checks passed (screenshots: $shots)"
exit "$fail"
