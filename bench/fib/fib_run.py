#!/usr/bin/env python3
"""fib_run.py DATASET DEFINITION MODE NDIAG -- bench/fib/fib_validate.sh's run and report (the run
part is ../shared/peers/fib_validate.sh's, unchanged), then with NDIAG > 0 the breakdown of
FlashInfer-Bench's latency for each Solution on NDIAG workloads spread over the list:

  fib_us        FlashInfer-Bench's own time_runnable on the runnable its registry built (10 warm-up,
                50 timed, L2 flushed and inputs cloned before each, event-timed from before the
                Python call to after it: host cost included), mean as it reports it
  host_us       the host's cost of one call (the Python call through Runnable, pybind11, the
                binding's checks, the launch): 200 back-to-back calls timed on the host, no sync
  graph_fib_us  the same call captured in a CUDA graph and replayed under FlashInfer-Bench's
                protocol (L2 flushed, the inputs freshly written into the graph's buffers, sync,
                events around the replay): the kernel(s) plus one graph launch
  graph_us      plain replays (L2 flushed), as ../shared/peers/gdn_peers.py --graph times them
fib_us - graph_fib_us is what the binding and Python add; the target is fib_us <= 1.3 x graph_us.
"""
import json, os, statistics, sys, time


def capture_graph(r, args, torch):
    """(graph, its argument copies): r(*args) captured in a CUDA graph after 3 warm-up calls on a
    side stream, as torch's documentation has it (bench/fib/binding_floor.py replays it too)."""
    static = [a.clone() if isinstance(a, torch.Tensor) else a for a in args]
    side = torch.cuda.Stream()
    side.wait_stream(torch.cuda.current_stream())
    with torch.cuda.stream(side):
        for _ in range(3):
            r(*static)
    torch.cuda.current_stream().wait_stream(side)
    torch.cuda.synchronize()
    g = torch.cuda.CUDAGraph()
    with torch.cuda.graph(g):
        r(*static)
    return g, static


def main():
    ds, defname, mode = sys.argv[1:4]
    ndiag = int(sys.argv[4]) if len(sys.argv) > 4 else 0
    rc = run(ds, defname, mode)
    if ndiag > 0:
        diagnose(ds, defname, ndiag)
    sys.exit(rc)


def run(ds, defname, mode):
    import torch
    from flashinfer_bench.data import TraceSet
    if mode != "cli":
        from flashinfer_bench.bench import Benchmark, BenchmarkConfig
        import flashinfer_bench
        cfg = BenchmarkConfig(warmup_runs=10, iterations=50, num_trials=3, rtol=1e-2, atol=1e-2,
                              definitions=[defname], timeout_seconds=300, profile_baseline=False)
        print("fib_validate: FlashInfer-Bench Python API, BenchmarkConfig(%s)" % ", ".join(
            "%s=%r" % (k, getattr(cfg, k)) for k in ("warmup_runs", "iterations", "num_trials", "rtol", "atol",
                                                      "required_matched_ratio", "timeout_seconds", "profile_baseline")), flush=True)
        t = time.time()
        ts = TraceSet.from_path(ds)
        b = Benchmark(ts, cfg)
        try:
            b.run_all(dump_traces=True)
        finally:
            b.close()
        print("fib_validate: run_all took %.0f s" % (time.time() - t))
    ts = TraceSet.from_path(ds)   # reload: the traces FlashInfer-Bench wrote under DS/traces
    traces = ts.traces.get(defname, [])
    if not traces:
        print("fib_validate: FlashInfer-Bench wrote no trace for %s (see the log above)" % defname)
        return 1
    wls = {w.workload.uuid: w.workload for w in ts.workloads.get(defname, [])}
    by_sol = {}
    for tr in traces:
        by_sol.setdefault(tr.solution, []).append(tr)
    for sol, trs in by_sol.items():
        print("\n== FlashInfer-Bench verdict: solution %s, definition %s, %d traces ==" % (sol, defname, len(trs)))
        print("%-10s %-26s %-20s %11s %9s %9s %9s" % ("workload", "axes", "status", "latency_us",
                                                     "ref_us", "max_abs", "max_rel"))
        lat, statuses, logged = [], {}, set()
        for tr in trs:
            ev = tr.evaluation
            st = ev.status.value if hasattr(ev.status, "value") else str(ev.status)
            statuses[st] = statuses.get(st, 0) + 1
            perf, corr = ev.performance, ev.correctness
            l = perf.latency_ms * 1000 if perf else None
            if l is not None and st == "PASSED":
                lat.append(l)
            print("%-10s %-26s %-20s %11s %9s %9s %9s" % (
                tr.workload.uuid[:8], ",".join("%s=%s" % kv for kv in tr.workload.axes.items())[:26], st,
                "%.2f" % l if l is not None else "-",
                "%.1f" % (perf.reference_latency_ms * 1000) if perf else "-",
                "%.2e" % corr.max_absolute_error if corr else "-",
                "%.2e" % corr.max_relative_error if corr else "-"))
            if st != "PASSED" and ev.log and st not in logged:
                logged.add(st)  # the first log of each failure status
                lines = [l for l in ev.log.strip().splitlines() if l.strip()]
                key = [l for l in lines if "error" in l.lower() or "multiple definition" in l][:6]
                print("    log (first %s; %d lines, the error lines and the last 8):" % (st, len(lines)))
                for l in key + lines[-8:]:
                    print("      " + l[:300])
        print("statuses: %s" % ", ".join("%s %d" % kv for kv in sorted(statuses.items())))
        if lat:
            print("mean latency over the %d PASSED workloads (contest style): %.2f us; median %.2f us"
                  % (len(lat), statistics.mean(lat), statistics.median(lat)))
        verdict = "PASSED" if statuses.get("PASSED", 0) == len(trs) else "FAILED (any failed workload makes the contest score 0)"
        print("verdict: %s" % verdict)
        env = trs[0].evaluation.environment
        print("environment: %s" % (env.model_dump() if hasattr(env, "model_dump") else env))


def diagnose(ds, defname, n):
    import torch
    from flashinfer_bench.bench.evaluators.utils import allocate_outputs
    from flashinfer_bench.bench.timing import time_runnable
    from flashinfer_bench.bench.utils import gen_inputs, load_safetensors
    from flashinfer_bench.compile import BuilderRegistry
    from flashinfer_bench.data import TraceSet
    ts = TraceSet.from_path(ds)
    d = ts.definitions[defname]
    wls = [t.workload for t in ts.workloads.get(defname, [])]
    picks = [wls[i * (len(wls) - 1) // max(1, n - 1)] for i in range(min(n, len(wls)))] if wls else []
    dev = "cuda:0"
    flush = torch.empty(256 * 1024 * 1024 // 4, dtype=torch.int32, device=dev)
    print("\n== where the time goes (%d workloads; us) ==" % len(picks))
    for sol in ts.solutions.get(defname, []):
        try:
            r = BuilderRegistry.get_instance().build(d, sol)
        except Exception as e:  # noqa: BLE001
            print("%s: does not build: %s" % (sol.name, str(e)[:400]))
            continue
        print("solution %s" % sol.name)
        print("%-34s %9s %9s %13s %9s" % ("workload", "fib_us", "host_us", "graph_fib_us", "graph_us"))
        rows = []
        for w in picks:
            st = (load_safetensors(d, w, ts.root)
                  if any(v.type == "safetensors" for v in w.inputs.values()) else {})
            inp = gen_inputs(d, w, device=dev, safe_tensors=st)
            args = list(inp) + allocate_outputs(d, inp, dev)
            fib = time_runnable(r, args, 10, 50, dev) * 1000.0
            for _ in range(20):
                r(*args)
            torch.cuda.synchronize()
            t = time.perf_counter()
            for _ in range(200):
                r(*args)
            host = (time.perf_counter() - t) / 200 * 1e6
            torch.cuda.synchronize()
            g, static = capture_graph(r, args, torch)
            gf, gp = [], []
            for i in range(60):
                flush.zero_()
                for s_, a in zip(static, args):
                    if isinstance(a, torch.Tensor):
                        s_.copy_(a)
                torch.cuda.synchronize()
                e0, e1 = torch.cuda.Event(enable_timing=True), torch.cuda.Event(enable_timing=True)
                e0.record()
                g.replay()
                e1.record()
                torch.cuda.synchronize()
                if i >= 10:
                    gf.append(e0.elapsed_time(e1) * 1000.0)
                flush.zero_()
                torch.cuda.synchronize()
                e0.record()
                g.replay()
                e1.record()
                torch.cuda.synchronize()
                if i >= 10:
                    gp.append(e0.elapsed_time(e1) * 1000.0)
            row = (fib, host, statistics.mean(gf), statistics.median(gp))
            rows.append(row)
            label = ",".join("%s=%s" % kv for kv in w.axes.items())[:34]
            print("%-34s %9.2f %9.2f %13.2f %9.2f" % ((label,) + row))
            del g
        if rows:
            m = [statistics.mean(x[i] for x in rows) for i in range(4)]
            print("%-34s %9.2f %9.2f %13.2f %9.2f" % (("mean",) + tuple(m)))
            print("fib_us / graph_us = %.2f (target <= 1.3); fib_us - graph_fib_us = %.2f us of host and "
                  "Python per call" % (m[0] / m[3] if m[3] else float("nan"), m[0] - m[2]))


if __name__ == "__main__":
    main()
