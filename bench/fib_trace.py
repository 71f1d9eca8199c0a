#!/usr/bin/env python3
"""fib_trace.py -- a FlashInfer-Bench trace of FlashInfer's own GDN kernels on evo's workloads:
the file a `"baseline": {"kind": "trace", ...}` reads (configs/README.md, "Baselines from a
FlashInfer-Bench trace"), so that evo's speedups are speedups over FlashInfer.

On a machine with a GPU, FlashInfer and FlashInfer-Bench 0.1.2 installed (the device machine,
with the peers bundle of ../shared/peers/README.md), it
  1. builds a FlashInfer-Bench Solution (language python, value-returning) whose entry calls
     FlashInfer's GDN kernels exactly as ../shared/peers/gdn_peers.py does:
       decode  flashinfer.gdn_decode.gated_delta_rule_decode_pretranspose (k-last fp32 state,
               updated in place on FlashInfer-Bench's per-run clone; use_qk_l2norm=False)
       prefill flashinfer.gdn_prefill.chunk_gated_delta_rule with the raw gates
               (use_gate_in_kernel=True, A_log, dt_bias, beta_is_logit=True)
  2. assembles a FlashInfer Trace dataset in a temporary folder: definitions/gdn/ and
     workloads/gdn/ from evo's kernels/gdn_<op>/ (definition.json, workloads.jsonl; blob/ for
     prefill), solutions/flashinfer/gdn/<definition>/ with that Solution;
  3. runs FlashInfer-Bench's own Benchmark on it (BenchmarkConfig: 10 warm-ups, 50 iterations,
     3 trials, atol = rtol = 1e-2, the defaults of `flashinfer-bench run`, but
     profile_baseline=False as ../shared/peers/fib_validate.sh does: the PyTorch reference is
     not timed, so reference_latency_ms and speedup_factor are 0; correctness is still checked
     against it);
  4. copies the trace FlashInfer-Bench wrote (traces/gdn/<definition>.jsonl, its own
     TraceSet writer) to --out, unchanged, and prints a per-workload table.

    python3 bench/fib_trace.py --op decode --out kernels/gdn_decode/flashinfer_trace.jsonl
        [--workloads N] [--warmup 10] [--iterations 50] [--trials 3]

The latencies are FlashInfer-Bench's: each call timed from the host between CUDA events, L2
flushed and arguments cloned before every run (outside the interval), Python wrapper and
launch inside it; a workload's figure is the mean over trials of the median of iterations.
evo times kernels on the device (configs/README.md says what that means for the speedups).
"""
import argparse
import json
import os
import shutil
import site
import statistics
import sys
import tempfile
import time

HERE = os.path.dirname(os.path.abspath(__file__))
ROOT = os.path.dirname(HERE)
DEFS = {"decode": "gdn_decode_qk4_v8_d128_k_last", "prefill": "gdn_prefill_qk4_v8_d128_k_last"}

# The entry files of the Solutions. Inputs arrive in the definition's order; outputs are
# returned (destination_passing_style false), so FlashInfer writes straight into the tensors
# it allocates, as a user calling it would.
DECODE_SRC = '''\
import torch
from flashinfer.gdn_decode import gated_delta_rule_decode_pretranspose


def _scale(s):
    return float(s.item()) if isinstance(s, torch.Tensor) else float(s)


def run(q, k, v, state, A_log, a, dt_bias, b, scale):
    if state is None:  # a workload that leaves the optional state out: zeros, as the reference
        state = torch.zeros(q.shape[0], 8, 128, 128, dtype=torch.float32, device=q.device)
    out, new_state = gated_delta_rule_decode_pretranspose(
        q, k, v, state, A_log, a, dt_bias, b, scale=_scale(scale), use_qk_l2norm=False)
    return out, new_state
'''

PREFILL_SRC = '''\
import torch
from flashinfer.gdn_prefill import chunk_gated_delta_rule


def _scale(s):
    return float(s.item()) if isinstance(s, torch.Tensor) else float(s)


def run(q, k, v, state, A_log, a, dt_bias, b, cu_seqlens, scale):
    out, final_state = chunk_gated_delta_rule(
        q, k, v, g=a, beta=b, scale=_scale(scale), initial_state=state, output_final_state=True,
        cu_seqlens=cu_seqlens, use_qk_l2norm_in_kernel=False, use_gate_in_kernel=True,
        A_log=A_log, dt_bias=dt_bias, beta_is_logit=True)
    return out, final_state
'''


def add_site_dirs():
    # pip --target leaves .pth files unprocessed (nvidia-cutlass-dsl's adds a folder); a
    # PYTHONPATH entry is not a site dir, so process them here (as gdn_peers.py does).
    for p in os.environ.get("PYTHONPATH", "").split(os.pathsep):
        if p and os.path.isdir(p):
            site.addsitedir(p)


def solution(op, defname, version):
    return {
        "name": "flashinfer_gdn_" + op,
        "definition": defname,
        "author": "flashinfer",
        "description": "FlashInfer %s's own GDN %s kernel (%s), called as a user would; written "
                       "by evo's bench/fib_trace.py to serve as a trace baseline" % (
                           version, op, "gated_delta_rule_decode_pretranspose" if op == "decode"
                           else "chunk_gated_delta_rule"),
        "spec": {"language": "python", "target_hardware": ["cuda"],
                 "entry_point": "main.py::run", "dependencies": [],
                 "destination_passing_style": False},
        "sources": [{"path": "main.py", "content": DECODE_SRC if op == "decode" else PREFILL_SRC}],
    }


def assemble(op, ds, nwl, version):
    defname = DEFS[op]
    task = os.path.join(ROOT, "kernels", "gdn_" + op)
    for sub in ("definitions/gdn", "workloads/gdn", "solutions/flashinfer/gdn/" + defname):
        os.makedirs(os.path.join(ds, sub))
    shutil.copy(os.path.join(task, "definition.json"),
                os.path.join(ds, "definitions", "gdn", defname + ".json"))
    lines = [l for l in open(os.path.join(task, "workloads.jsonl")) if l.strip()]
    if nwl:
        lines = lines[:nwl]
    with open(os.path.join(ds, "workloads", "gdn", defname + ".jsonl"), "w") as f:
        f.write("".join(lines))
    if os.path.isdir(os.path.join(task, "blob")):
        shutil.copytree(os.path.join(task, "blob"), os.path.join(ds, "blob"))
    sol = solution(op, defname, version)
    with open(os.path.join(ds, "solutions", "flashinfer", "gdn", defname, sol["name"] + ".json"),
              "w") as f:
        json.dump(sol, f, indent=1)
    return defname, sol["name"], len(lines)


def main():
    ap = argparse.ArgumentParser(description=__doc__.split("\n")[0])
    ap.add_argument("--op", choices=sorted(DEFS), default="decode")
    ap.add_argument("--out", required=True, help="the trace file to write (JSONL)")
    ap.add_argument("--workloads", type=int, default=0, help="only the first N workloads")
    ap.add_argument("--warmup", type=int, default=10)
    ap.add_argument("--iterations", type=int, default=50)
    ap.add_argument("--trials", type=int, default=3)
    ap.add_argument("--keep", action="store_true", help="keep the dataset folder")
    args = ap.parse_args()
    add_site_dirs()
    os.environ.setdefault("FIB_CACHE_PATH", os.path.join(tempfile.gettempdir(), "fib_cache"))
    import flashinfer
    from flashinfer_bench.bench import Benchmark, BenchmarkConfig
    from flashinfer_bench.data import TraceSet

    version = getattr(flashinfer, "__version__", "?")
    ds = tempfile.mkdtemp(prefix="fib_trace.")
    defname, solname, n = assemble(args.op, ds, args.workloads, version)
    print("fib_trace: dataset %s: %s, %d workloads, solution %s (FlashInfer %s)"
          % (ds, defname, n, solname, version), flush=True)
    cfg = BenchmarkConfig(warmup_runs=args.warmup, iterations=args.iterations,
                          num_trials=args.trials, rtol=1e-2, atol=1e-2, definitions=[defname],
                          solutions=[solname], timeout_seconds=300, profile_baseline=False)
    t = time.time()
    ts = TraceSet.from_path(ds)
    bench = Benchmark(ts, cfg)
    try:
        bench.run_all(dump_traces=True)
    finally:
        bench.close()
    print("fib_trace: FlashInfer-Bench's run_all took %.0f s" % (time.time() - t), flush=True)
    written = os.path.join(ds, "traces", "gdn", defname + ".jsonl")
    if not os.path.exists(written):
        found = [os.path.join(d, f) for d, _, fs in os.walk(os.path.join(ds, "traces")) for f in fs]
        sys.exit("fib_trace: FlashInfer-Bench wrote no trace at %s (found: %s)" % (written, found))
    os.makedirs(os.path.dirname(os.path.abspath(args.out)), exist_ok=True)
    shutil.copy(written, args.out)
    # The table, from the file as evo will read it.
    rows, lat, statuses = [], [], {}
    for line in open(args.out):
        if not line.strip():
            continue
        tr = json.loads(line)
        ev = tr.get("evaluation") or {}
        st = ev.get("status", "-")
        statuses[st] = statuses.get(st, 0) + 1
        perf = ev.get("performance") or {}
        us = perf.get("latency_ms", 0) * 1000 if st == "PASSED" else None
        if us is not None:
            lat.append(us)
        rows.append((tr["workload"]["axes"], tr["workload"]["uuid"], st, us,
                     (ev.get("environment") or {}).get("hardware")))
    rows.sort(key=lambda r: sorted(r[0].items()))
    print("%-40s %-10s %-20s %10s" % ("axes", "uuid", "status", "latency us"))
    for axes, uuid, st, us, hw in rows:
        print("%-40s %-10s %-20s %10s" % (",".join("%s=%s" % kv for kv in sorted(axes.items())),
                                          uuid[:8], st, "%.2f" % us if us is not None else "-"))
    print("statuses: %s; device: %s" % (", ".join("%s %d" % kv for kv in sorted(statuses.items())),
                                         rows[0][4] if rows else "-"))
    if lat:
        print("mean latency over %d PASSED workloads: %.2f us (median %.2f us)"
              % (len(lat), statistics.mean(lat), statistics.median(lat)))
    print("fib_trace: wrote %s (%d records)" % (args.out, len(rows)))
    if not args.keep:
        shutil.rmtree(ds, ignore_errors=True)


if __name__ == "__main__":
    main()
