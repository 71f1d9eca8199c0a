#!/usr/bin/env python3
"""binding_floor.py DATASET TORCH_EXPORT [DEFINITION] [NWORKLOADS] -- what FlashInfer-Bench's
time_runnable costs per call for each way of binding the same exported kernel, on NWORKLOADS
workloads spread over the list (GPU machine; DATASET as bench/fib/fib_dataset.py writes it from
`evo export` (TVM-FFI binding, the default), TORCH_EXPORT the same candidate exported with
`--binding torch`):

  python-noop   a Python function that does nothing, through Runnable: the harness's own floor
  torch-noop    the exported binding.cpp with its body emptied: pybind11's casts of the args
  torch         the torch export as written (TorchBuilder)
  tvm-noop      the exported binding.cc with its body emptied: TVM-FFI's argument conversion
  tvm-nocheck   binding.cc without its tensor checks: conversion, stream, launch
  tvm           the default export as written (TVMFFIBuilder)

Per variant: fib_us (time_runnable, 10 warm-ups, 50 timed, as FlashInfer-Bench times) and host_us
(200 back-to-back calls, host clock, no sync), the median of 3 interleaved rounds; graph_us of
the torch and the tvm runnable (the kernel replayed from a CUDA graph, L2 flushed: the capture
also shows each binding launches on torch's current stream). Outputs of tvm and torch are
compared bit for bit.
"""
import os, re, statistics, sys, time

HERE = os.path.dirname(os.path.abspath(__file__))
sys.path.insert(0, HERE)
from fib_run import capture_graph  # noqa: E402


def variants(tvm_sol, torch_sol):
    def src(sol):
        return {x.path: x.content for x in sol.sources}

    def with_binding(sol, name, path, text):
        # A fresh model, not model_copy: Solution memoizes its content hash, which the builder
        # registry caches builds by.
        d = sol.model_dump(mode="json")
        d["name"] = sol.name + "_" + name
        d["sources"] = [{"path": p, "content": c} for p, c in src(sol).items() if p != path]
        d["sources"].append({"path": path, "content": text})
        return type(sol).model_validate(d)

    def emptied(text, sig, tail):
        head, sep, rest = text.partition(sig)
        proto, brace, body = rest.partition("\n{\n")
        body, sep2, mod = body.rpartition("\n}\n\n" + tail)
        return head + sep + proto + brace + "}\n\n" + tail + mod

    tb, vb = src(torch_sol)["binding.cpp"], src(tvm_sol)["binding.cc"]
    nocheck = re.sub(r"(?m)^\s+evo_(check|dim)\(.*\n", "", vb)
    nocheck = re.sub(r"(?m)^    if \(\w+\.has_value\(\)\) \{\n    \}\n", "", nocheck)
    return [
        ("torch-noop", with_binding(torch_sol, "tnoop", "binding.cpp",
                                    emptied(tb, "\nvoid run(", "PYBIND11_MODULE"))),
        ("torch", torch_sol),
        ("tvm-noop", with_binding(tvm_sol, "vnoop", "binding.cc",
                                  emptied(vb, "\nstatic void run_impl(", "TVM_FFI_DLL_EXPORT"))),
        ("tvm-nocheck", with_binding(tvm_sol, "vnocheck", "binding.cc", nocheck)),
        ("tvm", tvm_sol),
    ]


def graph_times(r, args, flush, torch):
    out = []
    for a in args:
        g, _ = capture_graph(r, a, torch)
        ts_ = []
        for i in range(60):
            flush.zero_()
            torch.cuda.synchronize()
            e0, e1 = torch.cuda.Event(enable_timing=True), torch.cuda.Event(enable_timing=True)
            e0.record()
            g.replay()
            e1.record()
            torch.cuda.synchronize()
            if i >= 10:
                ts_.append(e0.elapsed_time(e1) * 1000.0)
        out.append(statistics.median(ts_))
        del g
    return out


def main():
    ds, torch_export = sys.argv[1], sys.argv[2]
    defname = sys.argv[3] if len(sys.argv) > 3 else "gdn_decode_qk4_v8_d128_k_last"
    n = int(sys.argv[4]) if len(sys.argv) > 4 else 8
    import torch
    from flashinfer_bench.bench.evaluators.utils import allocate_outputs
    from flashinfer_bench.bench.timing import time_runnable
    from flashinfer_bench.bench.utils import gen_inputs
    from flashinfer_bench.compile import BuilderRegistry, Runnable
    from flashinfer_bench.compile.runnable import RunnableMetadata
    from flashinfer_bench.data import TraceSet
    ts = TraceSet.from_path(ds)
    d = ts.definitions[defname]
    wls = [t.workload for t in ts.workloads.get(defname, [])]
    picks = [wls[i * (len(wls) - 1) // max(1, n - 1)] for i in range(min(n, len(wls)))]
    import glob, json
    sol = [s for s in ts.solutions.get(defname, []) if "decode" in s.name][0]
    from flashinfer_bench.data import Solution
    tp = [p for p in glob.glob(os.path.join(torch_export, "solutions", "**", "*.json"), recursive=True)
          if "/" + defname + "/" in p][0]
    td = json.load(open(tp))
    td["name"] += "_torch"
    torch_sol = Solution.model_validate(td)
    dev = "cuda:0"
    torch.manual_seed(0)
    inputs = [list(gen_inputs(d, w, device=dev, safe_tensors={})) for w in picks]
    args = [inp + allocate_outputs(d, inp, dev) for inp in inputs]
    print("torch %s, %d workloads of %s, solutions %s (%s) and %s (%s)" % (
        torch.__version__, len(picks), defname, sol.name, sol.spec.binding.value, torch_sol.name,
        torch_sol.spec.binding.value))

    built = [("python-noop", Runnable(callable=lambda *a: None,
                                      metadata=RunnableMetadata(build_type="python", definition_name=defname,
                                                                solution_name="noop", definition=d)))]
    for name, s in variants(sol, torch_sol):
        t = time.time()
        try:
            r = BuilderRegistry.get_instance().build(d, s)
        except Exception as e:  # noqa: BLE001
            print("%s: does not build: %s" % (name, str(e)[-1500:]))
            continue
        print("%s: built in %.0f s (%s, %s)" % (name, time.time() - t, r.metadata.build_type,
                                               r.metadata.solution_name), flush=True)
        built.append((name, r))

    flush = torch.empty(256 * 1024 * 1024 // 4, dtype=torch.int32, device=dev)
    graph = []
    runnable = dict(built)
    for name in ("torch", "tvm"):
        if name not in runnable:
            continue
        try:
            g = graph_times(runnable[name], args, flush, torch)
        except Exception as e:  # noqa: BLE001
            print("graph_us of %s: the capture failed: %s" % (name, str(e)[-600:]))
            continue
        print("graph_us of %s per workload: %s; mean %.2f" % (
            name, " ".join("%.2f" % x for x in g), statistics.mean(g)))
        if not graph:
            graph = g
    if "torch" in runnable and "tvm" in runnable:
        for a in args[:3]:
            o1 = [x.clone() if isinstance(x, torch.Tensor) else x for x in a]
            o2 = [x.clone() if isinstance(x, torch.Tensor) else x for x in a]
            runnable["torch"](*o1)
            runnable["tvm"](*o2)
            torch.cuda.synchronize()
            same = all(torch.equal(x, y) for x, y in zip(o1[-2:], o2[-2:]))
            print("tvm outputs equal torch outputs (B=%d): %s" % (a[0].shape[0], same))

    # Rounds interleave the variants, so drift in clocks or host load touches all of them alike;
    # each figure is the median over rounds of the mean over workloads.
    rounds = 3
    fib_r = {name: [] for name, _ in built}
    host_r = {name: [] for name, _ in built}
    per_wl = {}
    for _ in range(rounds):
        for name, r in built:
            fib, host = [], []
            for a in args:
                fib.append(time_runnable(r, a, 10, 50, dev) * 1000.0)
                for _ in range(20):
                    r(*a)
                torch.cuda.synchronize()
                t = time.perf_counter()
                for _ in range(200):
                    r(*a)
                host.append((time.perf_counter() - t) / 200 * 1e6)
                torch.cuda.synchronize()
            fib_r[name].append(statistics.mean(fib))
            host_r[name].append(statistics.mean(host))
            per_wl[name] = fib
    print("\n%-14s %9s %9s %12s   (median of %d interleaved rounds; rounds' fib_us)" % (
        "variant", "fib_us", "host_us", "fib/graph", rounds))
    for name, _ in built:
        f, h = statistics.median(fib_r[name]), statistics.median(host_r[name])
        ratio = f / statistics.mean(graph) if graph else float("nan")
        print("%-14s %9.2f %9.2f %12.2f   %s; last round per workload: %s" % (
            name, f, h, ratio, " ".join("%.1f" % x for x in fib_r[name]),
            " ".join("%.1f" % x for x in per_wl[name])), flush=True)

if __name__ == "__main__":
    main()
