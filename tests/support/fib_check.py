#!/usr/bin/env python3
"""fib_check.py -- checks `evo export` folders with FlashInfer-Bench's own code, no GPU, no torch
(tests/test_export_fib.sh runs it in a virtual environment holding flashinfer-bench 0.1.2).

    fib_check.py [--compile STUB_DIR] [--expect-link-error TEXT] EXPORT_DIR:TASK_DIR...

For each export folder (what `evo export RUN --flashinfer-bench EXPORT_DIR` wrote) and the task
folder of its run:
  - a FlashInfer Trace dataset is assembled in a temporary folder (the task's definition.json
    under definitions/<op_type>/, its workloads.jsonl under workloads/<op_type>/, the export's
    solutions/ and traces/) and loaded with FlashInfer-Bench's TraceSet.from_path, which
    validates every Definition, Solution and Trace with its pydantic models; then every Solution
    must be one that its registry would give to TorchBuilder (TorchBuilder.can_build), every
    Trace must name a loaded Solution, its definition, and one of the definition's workloads;
  - with --compile: every Solution's sources are written the way TorchBuilder writes them
    (compile.utils.write_sources_to_path), the sources TorchBuilder compiles are the ones its
    _filter_sources keeps, and each is compiled as torch.utils.cpp_extension.load compiles it
    (nvcc with torch's default nvcc flags for a .cu, the host compiler for a .cpp; torch's
    headers replaced by STUB_DIR, tests/support/torch_stub), then all objects are linked into
    one shared library with -Wl,--no-undefined, as torch links the extension: a kernel defined
    in two translation units fails here ("multiple definition") as it does there. The entry
    function's parameter count is checked against the definition (what TorchBuilder's
    signature check does with a callable). nvcc builds for sm_90a (TORCH_CUDA_ARCH_LIST=9.0a); a
    Solution that says it needs sm_90a must also fail to build for torch's default sm_90, with
    the message that tells the user so.
--expect-link-error TEXT inverts the compile verdict: the link (or a compile) must fail with
TEXT in its log (the test's check that this script catches today's defect).

Only the schema and builder modules of flashinfer-bench are imported: its package __init__
imports the benchmark runner and torch, so the packages flashinfer_bench, .compile and
.compile.builders are entered without running their __init__ (their modules are the package's
own, unchanged), and where torch / safetensors are not installed, empty stand-ins named torch,
safetensors and safetensors.torch are registered (flashinfer_bench.data.trace_set imports them
at the top and uses them only to read and write blobs, which this never does). Exit 0 when all
passed, 1 otherwise; every failure is printed with its file.
"""
import argparse
import glob
import importlib.util
import json
import os
import re
import shutil
import subprocess
import sys
import tempfile
import types

TORCH_NVCC_FLAGS = ["-D__CUDA_NO_HALF_OPERATORS__", "-D__CUDA_NO_HALF_CONVERSIONS__",
                    "-D__CUDA_NO_BFLOAT16_CONVERSIONS__", "-D__CUDA_NO_HALF2_OPERATORS__",
                    "--expt-relaxed-constexpr"]
ARCH_90A = ["-gencode=arch=compute_90a,code=sm_90a"]
ARCH_90_DEFAULT = ["-gencode=arch=compute_90,code=compute_90", "-gencode=arch=compute_90,code=sm_90"]


def import_fib():
    spec = importlib.util.find_spec("flashinfer_bench")
    if spec is None or not spec.submodule_search_locations:
        sys.exit("fib_check: flashinfer_bench is not installed")
    root = list(spec.submodule_search_locations)[0]
    # tvm_ffi looks for torch when it is imported; it must find none rather than the stand-in.
    if importlib.util.find_spec("tvm_ffi") is not None and importlib.util.find_spec("torch") is None:
        import tvm_ffi  # noqa: F401
        import tvm_ffi.cpp  # noqa: F401
    for name in ("torch", "safetensors"):
        if importlib.util.find_spec(name) is None:
            sys.modules[name] = types.ModuleType(name)
            print("fib_check: %s is not installed: an empty stand-in is registered" % name)
    if "safetensors.torch" not in sys.modules and not hasattr(sys.modules.get("safetensors"), "torch"):
        try:
            import safetensors.torch  # noqa: F401
        except Exception:  # noqa: BLE001
            m = types.ModuleType("safetensors.torch")
            sys.modules["safetensors.torch"] = m
            sys.modules["safetensors"].torch = m
    for pkg, sub in (("flashinfer_bench", ""), ("flashinfer_bench.compile", "compile"),
                     ("flashinfer_bench.compile.builders", os.path.join("compile", "builders"))):
        m = types.ModuleType(pkg)
        m.__path__ = [os.path.join(root, sub)]
        sys.modules[pkg] = m
    from flashinfer_bench.data import Definition, Solution, Trace, TraceSet  # noqa: F401
    from flashinfer_bench.compile.builders.torch_builder import TorchBuilder
    from flashinfer_bench.compile.utils import write_sources_to_path
    return TraceSet, TorchBuilder, write_sources_to_path


def fail(errors, msg):
    errors.append(msg)
    print("FAILED: " + msg, flush=True)


def assemble(export_dir, task_dir, ds):
    task = json.load(open(os.path.join(task_dir, "task.json")))
    defp = os.path.join(task_dir, task.get("definition", "definition.json"))
    defn = json.load(open(defp))
    op = defn.get("op_type") or "x"
    os.makedirs(os.path.join(ds, "definitions", op))
    shutil.copy(defp, os.path.join(ds, "definitions", op, defn["name"] + ".json"))
    os.makedirs(os.path.join(ds, "workloads", op))
    shutil.copy(os.path.join(task_dir, task.get("workloads", "workloads.jsonl")),
                os.path.join(ds, "workloads", op, defn["name"] + ".jsonl"))
    for sub in ("solutions", "traces"):
        if os.path.isdir(os.path.join(export_dir, sub)):
            shutil.copytree(os.path.join(export_dir, sub), os.path.join(ds, sub))
    return defn


def run(cmd, log):
    p = subprocess.run(cmd, stdout=subprocess.PIPE, stderr=subprocess.STDOUT, text=True)
    log.append("$ " + " ".join(cmd) + "\n" + p.stdout)
    return p.returncode == 0


def compile_solution(sol, defn, builder, write_sources, stub, work, nvcc, cxx, cuda_home):
    """(ok, log) of building sol the way TorchBuilder has torch build it."""
    log = []
    name = re.sub(r"[^0-9a-zA-Z_]", "_", sol.name)
    build = os.path.join(work, name)
    from pathlib import Path
    paths = write_sources(Path(build), sol.sources)
    srcs = builder._filter_sources(paths)
    entry_ext = sol.get_entry_path().suffix
    if entry_ext not in builder._CPP_CUDA_EXTENSIONS:
        return False, ["entry file %s is not a source TorchBuilder compiles" % sol.get_entry_path()], [], build
    common = ["-DTORCH_EXTENSION_NAME=" + name, "-DTORCH_API_INCLUDE_EXTENSION_H", "-I" + build,
              "-isystem", stub, "-isystem", os.path.join(cuda_home, "include")]
    objs, ok = [], True
    for s in srcs:
        if s.endswith(".cu"):
            o = os.path.splitext(s)[0] + ".cuda.o"
            ok &= run([nvcc] + common + TORCH_NVCC_FLAGS + ARCH_90A +
                      ["--compiler-options", "-fPIC", "-std=c++17", "-c", s, "-o", o], log)
        else:
            o = os.path.splitext(s)[0] + ".o"
            ok &= run([cxx] + common + ["-fPIC", "-std=c++17", "-c", s, "-o", o], log)
        objs.append(o)
    if ok:
        ok = run([cxx] + objs + ["-shared", "-L" + os.path.join(cuda_home, "lib64"), "-lcudart",
                                 "-Wl,--no-undefined", "-o", os.path.join(build, name + ".so")], log)
    # the entry's parameter count (TorchBuilder._try_validate_signature's first check)
    entry = sol.get_entry_source().content
    m = re.search(r"\b%s\s*\(([^)]*)\)\s*\{" % re.escape(sol.get_entry_symbol()), entry)
    want = len(defn["inputs"]) + len(defn["outputs"])
    got = len([a for a in m.group(1).split(",") if a.strip()]) if m else -1
    if got != want:
        ok = False
        log.append("entry %s takes %d parameters; the definition has %d inputs and outputs"
                   % (sol.spec.entry_point, got, want))
    return ok, log, srcs, build


def tvm_build(sol, definition, arch, cache):
    """FlashInfer-Bench's own TVMFFIBuilder.build (tvm_ffi.cpp.build: nvcc for .cu, g++ -O2 for
    .cc, linked with libtvm_ffi and libcudart, then tvm_ffi.load_module and its signature
    check), for arch (TVM_FFI_CUDA_ARCH_LIST) with its cache under cache: (runnable, None) or
    (None, the error text)."""
    from flashinfer_bench.compile.builders.tvm_ffi_builder import TVMFFIBuilder
    os.environ["TVM_FFI_CUDA_ARCH_LIST"] = arch
    os.environ["FIB_CACHE_PATH"] = cache
    try:
        return TVMFFIBuilder().build(definition, sol), None
    except Exception as e:  # noqa: BLE001
        cause = e.__cause__ if e.__cause__ is not None else e
        return None, "%s: %s" % (e, cause)


def check_tvm_ffi(s, definition, a, errors, work):
    from flashinfer_bench.compile.builders.tvm_ffi_builder import TVMFFIBuilder
    if not TVMFFIBuilder().can_build(s):
        fail(errors, "%s: FlashInfer-Bench's registry would not give it to TVMFFIBuilder "
             "(language %s, binding %s)" % (s.name, s.spec.language, s.spec.binding))
    if not a.compile:
        return
    if importlib.util.find_spec("tvm_ffi") is None:
        fail(errors, "%s: a TVM-FFI Solution, and tvm_ffi is not installed to build it" % s.name)
        return
    name = re.sub(r"[^0-9a-zA-Z_]", "_", s.name)
    r, why = tvm_build(s, definition, "9.0a", os.path.join(work, "tvm90a", name))
    if a.expect_link_error and r is None:
        if a.expect_link_error not in why:
            fail(errors, "%s: expected the TVM-FFI build to fail with '%s'; %s" % (
                s.name, a.expect_link_error, why[-1500:]))
        else:
            print("ok: %s fails to build with TVMFFIBuilder: ...%s" % (
                s.name, why[max(0, why.index(a.expect_link_error) - 80):][:240].replace("\n", " ")))
        return
    if r is None:
        fail(errors, "%s: FlashInfer-Bench's TVMFFIBuilder did not build it:\n%s" % (s.name, why[-3000:]))
        return
    # tvm_ffi.load_module binds functions lazily: every symbol must resolve now, as a call would
    # (in a fresh process: a second dlopen here would return the library already loaded).
    binary = r.metadata.misc.get("binary", "?")
    p = subprocess.run([sys.executable, "-c", "import ctypes, os, sys, tvm_ffi; "
                        "ctypes.CDLL(sys.argv[1], mode=os.RTLD_NOW)", binary],
                       stdout=subprocess.PIPE, stderr=subprocess.STDOUT, text=True)
    if p.returncode != 0:
        why = "dlopen(RTLD_NOW): %s" % p.stdout.strip().splitlines()[-1:]
        if a.expect_link_error and a.expect_link_error in why:
            print("ok: %s fails to load: %s" % (s.name, why[:300]))
        else:
            fail(errors, "%s: built by TVMFFIBuilder, but %s" % (s.name, why))
        return
    if a.expect_link_error:
        fail(errors, "%s: expected the TVM-FFI build or load to fail with '%s'; it built and "
             "loaded" % (s.name, a.expect_link_error))
        return
    print("ok: %s: built and loaded by FlashInfer-Bench's TVMFFIBuilder (%s), signature checked, "
          "every symbol bound" % (s.name, os.path.basename(binary)))
    if "TVM_FFI_CUDA_ARCH_LIST=9.0a" in (s.description or ""):
        r, why = tvm_build(s, definition, "9.0", os.path.join(work, "tvm90", name))
        if r is not None or "TVM_FFI_CUDA_ARCH_LIST=9.0a" not in why:
            fail(errors, "%s: built for sm_90 it should stop with the TVM_FFI_CUDA_ARCH_LIST=9.0a "
                 "message; %s" % (s.name, "it built" if r is not None else why[-800:]))
        else:
            print("ok: %s: for sm_90 it stops with 'build with TVM_FFI_CUDA_ARCH_LIST=9.0a'" % s.name)


def main():
    ap = argparse.ArgumentParser()
    ap.add_argument("--compile", metavar="STUB_DIR")
    ap.add_argument("--expect-link-error", metavar="TEXT")
    ap.add_argument("pairs", nargs="+", metavar="EXPORT_DIR:TASK_DIR")
    a = ap.parse_args()
    TraceSet, TorchBuilder, write_sources = import_fib()
    from flashinfer_bench.data import SupportedBindings
    import flashinfer_bench.data.solution as fsol
    print("fib_check: flashinfer_bench from %s" % os.path.dirname(os.path.dirname(fsol.__file__)))
    cuda_home = os.environ.get("CUDA_HOME") or "/usr/local/cuda"
    nvcc = shutil.which("nvcc") or os.path.join(cuda_home, "bin", "nvcc")
    cxx = os.environ.get("CXX") or "c++"
    errors = []
    work = tempfile.mkdtemp(prefix="fib_check.")
    builder = TorchBuilder()
    nsol = ntr = 0
    for pair in a.pairs:
        export_dir, task_dir = pair.split(":", 1)
        ds = tempfile.mkdtemp(prefix="fib_ds.", dir=work)
        defn = assemble(export_dir, task_dir, ds)
        try:
            ts = TraceSet.from_path(ds)
        except Exception as e:  # noqa: BLE001
            fail(errors, "%s: FlashInfer-Bench's TraceSet.from_path refused it: %s" % (export_dir, e))
            continue
        dname = defn["name"]
        if dname not in ts.definitions:
            fail(errors, "%s: definition %s did not load" % (task_dir, dname))
        sols = ts.solutions.get(dname, [])
        files = glob.glob(os.path.join(export_dir, "solutions", "**", "*.json"), recursive=True)
        if len(sols) != len(files) or not sols:
            fail(errors, "%s: %d Solution files, %d loaded" % (export_dir, len(files), len(sols)))
        wl = {t.workload.uuid for t in ts.workloads.get(dname, [])}
        lines = sum(1 for p in glob.glob(os.path.join(export_dir, "traces", "**", "*.jsonl"),
                                         recursive=True) for l in open(p) if l.strip())
        traces = ts.traces.get(dname, [])
        if len(traces) != lines or not traces:
            fail(errors, "%s: %d Trace lines, %d loaded" % (export_dir, lines, len(traces)))
        for t in traces:
            if ts.get_solution(t.solution) is None:
                fail(errors, "%s: trace names solution %s, which is not loaded" % (export_dir, t.solution))
            if t.workload.uuid not in wl:
                fail(errors, "%s: trace workload %s is not one of %s's" % (export_dir, t.workload.uuid, dname))
        for s in sols:
            nsol += 1
            if s.spec.binding == SupportedBindings.TVM_FFI:
                check_tvm_ffi(s, ts.definitions[dname], a, errors, work)
                continue
            if not builder.can_build(s):
                fail(errors, "%s: FlashInfer-Bench's registry would not give it to TorchBuilder "
                     "(language %s, binding %s)" % (s.name, s.spec.language, s.spec.binding))
            if not a.compile:
                continue
            ok, log, srcs, build = compile_solution(s, defn, builder, write_sources, a.compile,
                                                    work, nvcc, cxx, cuda_home)
            text = "\n".join(log)
            if a.expect_link_error:
                if ok or a.expect_link_error not in text:
                    fail(errors, "%s: expected the build to fail with '%s'; %s" % (
                        s.name, a.expect_link_error, "it linked" if ok else text[-1500:]))
                else:
                    print("ok: %s fails to build as TorchBuilder builds it: %s" % (
                        s.name, next(l for l in text.splitlines() if a.expect_link_error in l).strip()))
                continue
            if not ok:
                fail(errors, "%s: TorchBuilder-style build of %s failed:\n%s" % (s.name, srcs, text[-3000:]))
                continue
            print("ok: %s: %s compiled as TorchBuilder compiles them and linked into one library"
                  % (s.name, [os.path.basename(x) for x in srcs]))
            if "TORCH_CUDA_ARCH_LIST=9.0a" in (s.description or ""):
                cu = [x for x in srcs if x.endswith(".cu")]
                lg = []
                r = run([nvcc, "-I" + build, "-isystem", a.compile] + TORCH_NVCC_FLAGS + ARCH_90_DEFAULT +
                        ["-std=c++17", "-c", cu[0], "-o", os.path.join(build, "sm90.o")], lg)
                if r or "TORCH_CUDA_ARCH_LIST=9.0a" not in lg[0]:
                    fail(errors, "%s: built for torch's default sm_90 it should stop with the "
                         "TORCH_CUDA_ARCH_LIST=9.0a message; %s" % (s.name, "it built" if r else lg[0][-800:]))
                else:
                    print("ok: %s: for torch's default sm_90 it stops with 'build with "
                          "TORCH_CUDA_ARCH_LIST=9.0a'" % s.name)
        ntr += len(traces)
    shutil.rmtree(work, ignore_errors=True)
    print("fib_check: %d solutions, %d traces checked; %d failure%s" % (
        nsol, ntr, len(errors), "" if len(errors) == 1 else "s"))
    return 1 if errors else 0


if __name__ == "__main__":
    sys.exit(main())
