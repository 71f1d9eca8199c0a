#!/usr/bin/env python3
"""binding_floor.py DATASET [DEFINITION] [NWORKLOADS] -- what FlashInfer-Bench's time_runnable costs
per call for each way of binding the same exported kernel, on NWORKLOADS workloads spread over
the list (GPU machine; DATASET as bench/fib/fib_dataset.py writes it, with evo's exported GDN
decode Solution in it):

  python-noop   a Python function that does nothing, through Runnable: the harness's own floor
  torch-noop    the exported binding.cpp with its body emptied: pybind11's casts of the 11 args
  torch-nocheck the exported binding without its tensor checks: casts, stream, launch
  torch         the exported Solution as written (TorchBuilder)
  tvm-noop      bench/fib/binding_tvm_decode.cc built with -DEVO_NOOP (TVMFFIBuilder)
  tvm           bench/fib/binding_tvm_decode.cc: the same checks and launch through TVM-FFI

Per variant: fib_us (time_runnable, 10 warm-ups, 50 timed, as FlashInfer-Bench times) and host_us
(200 back-to-back calls, host clock, no sync); graph_us once (the kernel replayed from a CUDA
graph, L2 flushed). The outputs of tvm and torch are compared bit for bit.
"""
import os, re, statistics, sys, time

HERE = os.path.dirname(os.path.abspath(__file__))


def variants(sol):
    src = {s.path: s.content for s in sol.sources}
    binding = src["binding.cpp"]
    head, sep, tail = binding.partition("\nvoid run(")
    sig, brace, body = tail.partition("\n{\n")
    body, mod_sep, mod = body.rpartition("\n}\n\nPYBIND11_MODULE")
    noop = head + sep + sig + brace + "}\n\nPYBIND11_MODULE" + mod
    nocheck = re.sub(r"(?m)^\s+evo_(check|dim)\(.*\n", "", binding)
    tvm = open(os.path.join(HERE, "binding_tvm_decode.cc")).read()

    def with_binding(name, path, text, binding_kind):
        # A fresh model, not model_copy: Solution memoizes its content hash, which the builder
        # registry caches builds by.
        d = sol.model_dump(mode="json")
        d["name"] = sol.name + "_" + name
        d["sources"] = [{"path": p, "content": c} for p, c in src.items() if p != "binding.cpp"]
        d["sources"].append({"path": path, "content": text})
        d["spec"]["binding"] = binding_kind.value
        d["spec"]["entry_point"] = path + "::run"
        return type(sol).model_validate(d)

    torch_kind = sol.spec.binding
    from flashinfer_bench.data import SupportedBindings
    return [
        ("torch-noop", with_binding("tnoop", "binding.cpp", noop, torch_kind)),
        ("torch-nocheck", with_binding("tnocheck", "binding.cpp", nocheck, torch_kind)),
        ("torch", sol),
        ("tvm-noop", with_binding("vnoop", "binding.cc", "#define EVO_NOOP 1\n" + tvm, SupportedBindings.TVM_FFI)),
        ("tvm", with_binding("vffi", "binding.cc", tvm, SupportedBindings.TVM_FFI)),
    ]


def main():
    ds = sys.argv[1]
    defname = sys.argv[2] if len(sys.argv) > 2 else "gdn_decode_qk4_v8_d128_k_last"
    n = int(sys.argv[3]) if len(sys.argv) > 3 else 8
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
    sol = [s for s in ts.solutions.get(defname, []) if "decode" in s.name][0]
    dev = "cuda:0"
    torch.manual_seed(0)
    inputs = [list(gen_inputs(d, w, device=dev, safe_tensors={})) for w in picks]
    args = [inp + allocate_outputs(d, inp, dev) for inp in inputs]
    print("torch %s, %d workloads of %s, solution %s" % (torch.__version__, len(picks), defname, sol.name))

    built = [("python-noop", Runnable(callable=lambda *a: None,
                                      metadata=RunnableMetadata(build_type="python", definition_name=defname,
                                                                solution_name="noop", definition=d)))]
    for name, s in variants(sol):
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
    if "torch" in runnable:
        r = runnable["torch"]
        for a in args:
            static = [x.clone() if isinstance(x, torch.Tensor) else x for x in a]
            side = torch.cuda.Stream()
            side.wait_stream(torch.cuda.current_stream())
            with torch.cuda.stream(side):
                for _ in range(3):
                    r(*static)
            torch.cuda.current_stream().wait_stream(side)
            g = torch.cuda.CUDAGraph()
            with torch.cuda.graph(g):
                r(*static)
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
            graph.append(statistics.median(ts_))
            del g
        print("graph_us per workload: %s; mean %.2f" % (" ".join("%.2f" % x for x in graph), statistics.mean(graph)))

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
