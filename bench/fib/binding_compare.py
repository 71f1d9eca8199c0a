#!/usr/bin/env python3
"""binding_compare.py DATASET TORCH_EXPORT DEFINITION [NWORKLOADS] -- whether the two bindings
`evo export` writes (TVM-FFI, the default, in DATASET as bench/fib/fib_dataset.py writes it; torch
from `evo export --binding torch` in TORCH_EXPORT) compute the same thing (GPU machine).

For every Solution of DEFINITION present in both, on the first NWORKLOADS workloads (0: all):
inputs as FlashInfer-Bench makes them (gen_inputs, safetensors blobs loaded by load_safetensors),
fresh outputs for each call, FlashInfer-Bench's reference run on the same inputs. Prints per
workload whether the TVM-FFI outputs equal the torch outputs bit for bit (NaNs included), and each one's largest
absolute and relative error against the reference (over finite reference values). Exit 1 when
any workload's outputs differ between the bindings.
"""
import glob
import json
import os
import sys


def bits(x):
    """x's bytes as integers: NaN equals NaN of the same bits (torch.equal says NaN != NaN)."""
    import torch
    return x.contiguous().view(torch.uint8)


def main():
    ds, torch_export, defname = sys.argv[1:4]
    n = int(sys.argv[4]) if len(sys.argv) > 4 else 0
    from pathlib import Path

    import torch
    from flashinfer_bench.bench.evaluators.utils import allocate_outputs
    from flashinfer_bench.bench.utils import gen_inputs, load_safetensors
    from flashinfer_bench.compile import BuilderRegistry
    from flashinfer_bench.data import Solution, TraceSet
    ts = TraceSet.from_path(ds)
    d = ts.definitions[defname]
    wls = [t.workload for t in ts.workloads.get(defname, [])]
    wls = wls[:n] if n else wls
    reg = BuilderRegistry.get_instance()
    ref = reg.build_reference(d)
    dev = "cuda:0"
    torch.manual_seed(0)
    differ = 0
    for sol in ts.solutions.get(defname, []):
        tp = [p for p in glob.glob(os.path.join(torch_export, "solutions", "**", sol.name + ".json"),
                                   recursive=True)]
        if not tp:
            print("%s: no torch export beside it" % sol.name)
            continue
        td = json.load(open(tp[0]))
        td["name"] += "_torch"
        tsol = Solution.model_validate(td)
        rv, rt = reg.build(d, sol), reg.build(d, tsol)
        print("\n%s: %s (%s) against %s (%s)" % (sol.name, rv.metadata.build_type, sol.spec.entry_point,
                                                 rt.metadata.build_type, tsol.spec.entry_point))
        print("%-44s %-6s %22s %22s" % ("workload", "equal", "tvm abs / rel vs ref", "torch abs / rel vs ref"))
        for w in wls:
            safe = (load_safetensors(d, w, Path(ds))
                    if any(x.type == "safetensors" for x in w.inputs.values()) else {})
            inp = gen_inputs(d, w, device=dev, safe_tensors=safe)
            with torch.no_grad():
                want = ref(*inp)
            want = list(want) if isinstance(want, (tuple, list)) else [want]
            outs = []
            for r in (rv, rt):
                o = allocate_outputs(d, inp, dev)
                for x in o:
                    x.fill_(float("nan")) if x.is_floating_point() else x.fill_(-1)
                with torch.no_grad():
                    r(*inp, *o)
                torch.cuda.synchronize()
                outs.append(o)
            same = all(bits(a).equal(bits(b)) for a, b in zip(outs[0], outs[1]))
            differ += not same

            def err(o):
                ea = er = 0.0
                for x, y in zip(o, want):
                    x, y = x.float(), y.float()
                    m = torch.isfinite(y)
                    if not m.any():
                        continue
                    dlt = (x[m] - y[m]).abs()
                    ea = max(ea, dlt.max().item())
                    er = max(er, (dlt / y[m].abs().clamp_min(1e-6)).max().item())
                return "%9.2e / %9.2e" % (ea, er)

            axes = ",".join("%s=%s" % kv for kv in w.axes.items())
            print("%-44s %-6s %22s %22s" % (axes[:44], "yes" if same else "NO", err(outs[0]), err(outs[1])),
                  flush=True)
    print("\nbindings differ on %d workload(s)" % differ)
    return 1 if differ else 0


if __name__ == "__main__":
    sys.exit(main())
