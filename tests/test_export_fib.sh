#!/usr/bin/env bash
# test_export_fib.sh -- `evo export` writes what FlashInfer-Bench itself accepts, for every
# shipped task (CPU suite).
#
# For each task folder under kernels/: `evo run` with the real GPU evaluator (every seed of the
# task compiled by NVRTC; tests/support/fib_fake_worker.py standing in for the GPU, PASSED on
# every workload), `evo validate` and `evo export --candidate N` of every candidate. Then, with
# flashinfer-bench 0.1.2 from the package registry in a virtual environment cached in the build
# folder (EVO_BUILD_DIR/fib_venv: `python3 -m venv --system-site-packages`, flashinfer-bench
# --no-deps plus pydantic; its torch, safetensors, flashinfer and tvm-ffi dependencies are not
# installed: tests/support/fib_check.py imports only its schema and builder modules and stands
# empty modules in for torch and safetensors), tests/support/fib_check.py loads each export as
# a FlashInfer Trace dataset with FlashInfer-Bench's TraceSet loader and pydantic models, and
# builds every Solution the way its TorchBuilder does (its own source writer and source filter;
# nvcc / the host compiler with torch's default flags, torch's headers replaced by
# tests/support/torch_stub; one shared library, -Wl,--no-undefined).
# Control: a copy of one export laid out as evo exported before (a compiled .cu that another
# source also #includes) must fail that build with "multiple definition", as FlashInfer-Bench's
# own build failed on the H200 (COMPILE_ERROR on all 54 GDN decode workloads).
# The GDN decode and prefill exports are kept in EVO_BUILD_DIR/fib_export (Solutions for
# bench/fib/fib_validate.sh on the GPU machine; their traces carry the fake worker's figures).
# Skips (exit 77) with the reason where the virtual environment or the registry is unavailable,
# and after the schema checks where nvcc or a C++ compiler is missing.
# Env (set by ctest): EVO = the evo binary; EVO_BUILD_DIR; cwd = repository root.
set -u
EVO=${EVO:?set EVO to the evo binary}
cd "${EVO_SOURCE_DIR:-.}"
B=${EVO_BUILD_DIR:?set EVO_BUILD_DIR to the build folder}
case "$B" in /*) ;; *) B=$PWD/$B ;; esac
PY=$(command -v python3 || true)
[ -n "$PY" ] || { echo "SKIPPED: python3 is needed for flashinfer-bench"; exit 77; }

fail=0
check() { local what=$1; shift; if "$@"; then echo "ok: $what"; else echo "FAILED: $what"; fail=1; fi; }
tmp=$(mktemp -d /tmp/evo_test_fib.XXXXXX)
cleanup() { [ "$fail" = 0 ] && rm -rf "$tmp"; }
trap cleanup EXIT

# ---- the virtual environment (cached) ----
V=$B/fib_venv
if [ ! -f "$V/.fib_ok" ]; then
    rm -rf "$V"
    if ! "$PY" -m venv --system-site-packages "$V" > "$tmp/venv.log" 2>&1; then
        echo "SKIPPED: '$PY -m venv' failed (Debian: apt-get install python3-venv): $(tail -2 "$tmp/venv.log")"
        exit 77
    fi
    if ! "$V/bin/python" -m pip install -q --disable-pip-version-check --no-deps \
            flashinfer-bench==0.1.2 > "$tmp/pip.log" 2>&1 ||
       ! "$V/bin/python" -m pip install -q --disable-pip-version-check "pydantic==2.11.7" \
            >> "$tmp/pip.log" 2>&1; then
        echo "SKIPPED: pip could not install flashinfer-bench==0.1.2 and pydantic from the package registry:"
        grep -iE "error|could not|network|resolve" "$tmp/pip.log" | head -4
        rm -rf "$V"
        exit 77
    fi
    touch "$V/.fib_ok"
fi
echo "flashinfer-bench: $("$V/bin/python" -m pip show flashinfer-bench 2>/dev/null | grep -i '^version')" \
    "in $V"
# apache-tvm-ffi, what FlashInfer-Bench's default builder (TVMFFIBuilder) builds with: the
# default export form is built and loaded by it. Its absence skips that build, saying why.
tvm=1 tvm_why=""
if [ ! -f "$V/.tvm_ok" ]; then
    if "$V/bin/python" -m pip install -q --disable-pip-version-check --no-deps \
            "apache-tvm-ffi==0.1.15.post2" "typing-extensions>=4.5" > "$tmp/pip_tvm.log" 2>&1; then
        touch "$V/.tvm_ok"
    else
        tvm=0 tvm_why="pip could not install apache-tvm-ffi==0.1.15.post2: $(grep -iE "error|could not" "$tmp/pip_tvm.log" | head -2)"
    fi
fi

# ---- runs and exports, one per shipped task ----
pairs=() torch_pairs=()
for tj in kernels/*/task.json; do
    task=$(dirname "$tj")
    name=$(basename "$task")
    n=$("$PY" -c 'import json,sys; print(len(json.load(open(sys.argv[1]))["seeds"]))' "$tj")
    cat > "$tmp/$name.json" <<EOF
{"name": "fib-export-$name", "seed": 1, "concurrency": 1, "islands": {"count": 1, "population": 8},
 "operators": {"point": 1.0, "multi": 0.0, "crossover": 0.0, "restart": 0.0, "llm": 0.0},
 "stop": {"max_evaluations": $n},
 "evaluator": {"kind": "gpu", "task": "$PWD/$task", "cache_dir": "$tmp/cache", "timeout_s": 120}}
EOF
    EVO_WORKER="$PWD/tests/support/fib_fake_worker.py" "$EVO" run "$tmp/$name.json" \
        --run-dir "$tmp/$name.run" > "$tmp/$name.out" 2>&1
    check "$name: evo run of its $n seed(s) exits 0" [ $? = 0 ]
    ok=1
    for i in $(seq 1 "$n"); do
        EVO_WORKER="$PWD/tests/support/fib_fake_worker.py" "$EVO" validate "$tmp/$name.run" "$i" \
            >> "$tmp/$name.out" 2>&1 &&
        "$EVO" export "$tmp/$name.run" --candidate "$i" --flashinfer-bench "$tmp/$name.fib" \
            --hardware NVIDIA_H200 --libs "cuda=13.0" >> "$tmp/$name.out" 2>&1 &&
        "$EVO" export "$tmp/$name.run" --candidate "$i" --flashinfer-bench "$tmp/$name.torch.fib" \
            --hardware NVIDIA_H200 --libs "cuda=13.0" --binding torch >> "$tmp/$name.out" 2>&1 || ok=0
    done
    check "$name: evo validate and evo export (TVM-FFI and torch) of candidates 1..$n" [ "$ok" = 1 ]
    [ "$ok" = 1 ] || tail -5 "$tmp/$name.out"
    pairs+=("$tmp/$name.fib:$PWD/$task")
    torch_pairs+=("$tmp/$name.torch.fib:$PWD/$task")
done

# ---- FlashInfer-Bench's loader and models, and its builder's compile ----
cuda=${CUDA_HOME:-/usr/local/cuda}
compile=1 why=""
if ! { command -v nvcc > /dev/null || [ -x "$cuda/bin/nvcc" ]; }; then
    compile=0 why="no nvcc (CUDA_HOME=$cuda)"
else
    export PATH="$PATH:$cuda/bin"
    printf '__global__ void k() {}\n' > "$tmp/probe.cu"
    if ! nvcc -c "$tmp/probe.cu" -o "$tmp/probe.o" > "$tmp/probe.log" 2>&1; then
        compile=0 why="nvcc cannot compile here (a host C++ compiler? Debian: apt-get install g++): $(tail -1 "$tmp/probe.log")"
    fi
fi
check "the default export is TVM-FFI's binding.cc" \
    grep -rq '"entry_point": "binding.cc::run"' "$tmp/gdn_decode.fib/solutions"
check "--binding torch exports binding.cpp" \
    grep -rq '"entry_point": "binding.cpp::run"' "$tmp/gdn_decode.torch.fib/solutions"
"$EVO" export "$tmp/gdn_decode.run" --flashinfer-bench "$tmp/x.fib" --binding pybind > "$tmp/b.out" 2>&1
check "--binding pybind is refused by name, exit 2" \
    bash -c "[ $? = 2 ] && grep -q \"binding 'pybind': expected tvm-ffi or torch\" '$tmp/b.out'"
"$V/bin/python" tests/support/fib_check.py "${pairs[@]}" "${torch_pairs[@]}"
check "every export loads with FlashInfer-Bench's TraceSet and models" [ $? = 0 ]
if [ "$compile" = 1 ]; then
    "$V/bin/python" tests/support/fib_check.py --compile tests/support/torch_stub "${torch_pairs[@]}"
    check "every torch Solution builds as FlashInfer-Bench's TorchBuilder builds it" [ $? = 0 ]
    if [ "$tvm" = 1 ]; then
        LD_LIBRARY_PATH="$cuda/lib64${LD_LIBRARY_PATH:+:$LD_LIBRARY_PATH}" \
            "$V/bin/python" tests/support/fib_check.py --compile tests/support/torch_stub "${pairs[@]}"
        check "every TVM-FFI Solution builds and loads with FlashInfer-Bench's TVMFFIBuilder" [ $? = 0 ]
        # The control: a binding.cc that calls a function no source defines must fail to load.
        # (That binding.cc has no CUDA header, which TVMFFIBuilder's .cc compile cannot find on
        # a machine without CUDA in the system's include path, test_export checks; here
        # /usr/local/include may hold CUDA's headers.)
        for c in "undef:undefined symbol"; do
            "$PY" - "$tmp/gdn_decode.fib" "$tmp/${c%%:*}.fib" "${c%%:*}" <<'PY'
import glob, json, os, shutil, sys
src, dst, kind = sys.argv[1:4]
shutil.copytree(os.path.join(src, "traces"), os.path.join(dst, "traces"))
for p in glob.glob(os.path.join(src, "solutions", "**", "*.json"), recursive=True):
    s = json.load(open(p))
    for f in s["sources"]:
        if f["path"] == "binding.cc" and kind == "undef":
            f["content"] = f["content"].replace("evo_plan_launch(", "evo_plan_launch_gone(")
    out = os.path.join(dst, os.path.relpath(p, src))
    os.makedirs(os.path.dirname(out), exist_ok=True)
    json.dump(s, open(out, "w"))
PY
            LD_LIBRARY_PATH="$cuda/lib64${LD_LIBRARY_PATH:+:$LD_LIBRARY_PATH}" \
                "$V/bin/python" tests/support/fib_check.py --compile tests/support/torch_stub \
                --expect-link-error "${c#*:}" "$tmp/${c%%:*}.fib:$PWD/kernels/gdn_decode" | tail -3
            check "the control ${c%%:*} fails TVMFFIBuilder's build or load: '${c#*:}'" \
                [ "${PIPESTATUS[0]}" = 0 ]
        done
    else
        echo "SKIPPED: the TVM-FFI build: $tvm_why"
    fi

    # The control: the layout evo exported before (binding.cu #included kernel.cu, a source
    # TorchBuilder also compiles) must fail the same build.
    "$PY" - "$tmp/gdn_decode.torch.fib" "$tmp/old.fib" <<'PY'
import glob, json, os, shutil, sys
src, dst = sys.argv[1:3]
shutil.copytree(os.path.join(src, "traces"), os.path.join(dst, "traces"))
for p in glob.glob(os.path.join(src, "solutions", "**", "*.json"), recursive=True):
    s = json.load(open(p))
    files = {f["path"]: f["content"] for f in s["sources"]}
    s["sources"] = [{"path": "kernel.cu", "content": files["kernel.cuh"]},
                    {"path": "binding.cu", "content": files["kernel.cu"].replace(
                        '#include "kernel.cuh"', '#include "kernel.cu"')},
                    {"path": "binding.cpp", "content": files["binding.cpp"]}]
    out = os.path.join(dst, os.path.relpath(p, src))
    os.makedirs(os.path.dirname(out), exist_ok=True)
    json.dump(s, open(out, "w"))
PY
    "$V/bin/python" tests/support/fib_check.py --compile tests/support/torch_stub \
        --expect-link-error "multiple definition" "$tmp/old.fib:$PWD/kernels/gdn_decode" | tail -3
    check "the old layout (an #included .cu) fails that build: 'multiple definition'" \
        [ "${PIPESTATUS[0]}" = 0 ]
fi

# ---- the GDN exports, for the GPU machine ----
rm -rf "$B/fib_export"
mkdir -p "$B/fib_export"
rm -rf "$B/fib_export_torch"
mkdir -p "$B/fib_export_torch"
for name in gdn_decode gdn_prefill; do
    [ -d "$tmp/$name.fib" ] && cp -r "$tmp/$name.fib/." "$B/fib_export/"
    [ -d "$tmp/$name.torch.fib" ] && cp -r "$tmp/$name.torch.fib/." "$B/fib_export_torch/"
done
echo "kept: $B/fib_export ($(find "$B/fib_export" -name '*.json' | wc -l) GDN Solutions, TVM-FFI)" \
    "and $B/fib_export_torch (torch)"

if [ "$fail" = 0 ] && [ "$compile" = 0 ]; then
    echo "SKIPPED: the schema checks passed; the TorchBuilder-style compile was not run: $why"
    exit 77
fi
exit $fail
