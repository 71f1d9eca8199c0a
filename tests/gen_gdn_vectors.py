#!/usr/bin/env python3
"""gen_gdn_vectors.py -- writes the GDN test vectors that tests/test_gdn_reference.c checks the
C host references (reference/gdn.c) against.

It runs the definitions' own PyTorch `reference` code (kernels/gdn_*/definition.json) on inputs
drawn from a tiny portable generator that tests/test_gdn_reference.c re-implements bit for bit,
so only the cases and the expected outputs are stored, not the inputs:

  element i of input number j (in definition order) of a case with seed s:
      x = splitmix64(s * 1000 + j + (i + 1) * 0x9E3779B97F4A7C15)
      value = ((x >> 56) - 128) / 128 * range          exact in bf16 and float32

Outputs: OUT/cases.json (the cases) and per case NAME.output.f32 (the whole output, the bf16
values the reference returns, widened to float32) and NAME.new_state.f32 (every STRIDE-th
element of new_state, float32), little-endian. Run on a machine with PyTorch:
    python3 tests/gen_gdn_vectors.py --out DIR     then copy DIR/* to tests/data/gdn/
"""
import argparse
import json
import os
import struct

import torch

MASK = (1 << 64) - 1
STRIDE = 13

# Ranges per input; k small (|k|^2 about 0.7) for stable multi-token cases, and one decode
# case with k as large as randn's so the cancellation in the update is exercised.
CASES = [
    {"name": "decode_b3_state", "op": "decode", "seed": 11, "batch_size": 3, "state": True,
     "scale": 0.0, "k_range": 0.125},
    {"name": "decode_b2_nostate_bigk", "op": "decode", "seed": 12, "batch_size": 2,
     "state": False, "scale": 0.5, "k_range": 1.0},
    {"name": "prefill_n3_state", "op": "prefill", "seed": 21, "cu_seqlens": [0, 5, 5, 17],
     "state": True, "scale": 0.0, "k_range": 0.125},
    {"name": "prefill_n2_nostate", "op": "prefill", "seed": 22, "cu_seqlens": [0, 40, 64],
     "state": False, "scale": 0.25, "k_range": 0.125},
]
RANGES = {"q": 1.0, "v": 1.0, "state": 1.0, "A_log": 1.0, "a": 2.0, "dt_bias": 1.0, "b": 2.0}


def splitmix64(x):
    x = (x + 0x9E3779B97F4A7C15) & MASK
    x = ((x ^ (x >> 30)) * 0xBF58476D1CE4E5B9) & MASK
    x = ((x ^ (x >> 27)) * 0x94D049BB133111EB) & MASK
    return x ^ (x >> 31)


def draw(seed, j, n, rng):
    base = seed * 1000 + j
    return [((splitmix64((base + (i + 1) * 0x9E3779B97F4A7C15) & MASK) >> 56) - 128) / 128.0 * rng
            for i in range(n)]


def shape_of(spec, axes):
    return [axes[d] for d in spec["shape"]]


def make_inputs(defn, case):
    axes = {k: v["value"] for k, v in defn["axes"].items() if v["type"] == "const"}
    if case["op"] == "decode":
        axes["batch_size"] = case["batch_size"]
    else:
        cu = case["cu_seqlens"]
        axes.update(total_seq_len=cu[-1], num_seqs=len(cu) - 1, len_cu_seqlens=len(cu))
    dtypes = {"bfloat16": torch.bfloat16, "float32": torch.float32, "int64": torch.int64}
    args = {}
    for j, (name, spec) in enumerate(defn["inputs"].items()):
        if name == "scale":
            args[name] = case["scale"]
        elif name == "cu_seqlens":
            args[name] = torch.tensor(case["cu_seqlens"], dtype=torch.int64)
        elif name == "state" and not case["state"]:
            args[name] = None
        else:
            shape = shape_of(spec, axes)
            n = 1
            for d in shape:
                n *= d
            rng = case["k_range"] if name == "k" else RANGES[name]
            vals = torch.tensor(draw(case["seed"], j, n, rng), dtype=torch.float32)
            args[name] = vals.reshape(shape).to(dtypes[spec["dtype"]])
    return args


def write_f32(path, t):
    flat = t.detach().float().contiguous().reshape(-1).tolist()
    with open(path, "wb") as f:
        f.write(struct.pack("<%df" % len(flat), *flat))


def main():
    ap = argparse.ArgumentParser()
    ap.add_argument("--out", required=True)
    here = os.path.dirname(os.path.abspath(__file__))
    ap.add_argument("--kernels", default=os.path.join(here, "..", "kernels"))
    opt = ap.parse_args()
    os.makedirs(opt.out, exist_ok=True)
    defs = {}
    for op in ("decode", "prefill"):
        with open(os.path.join(opt.kernels, "gdn_" + op, "definition.json")) as f:
            defs[op] = json.load(f)
    for case in CASES:
        defn = defs[case["op"]]
        scope = {}
        exec(defn["reference"], scope)
        args = make_inputs(defn, case)
        out, new_state = scope["run"](**args)
        write_f32(os.path.join(opt.out, case["name"] + ".output.f32"), out)
        write_f32(os.path.join(opt.out, case["name"] + ".new_state.f32"),
                  new_state.reshape(-1)[::STRIDE])
        case["output_numel"] = out.numel()
        case["new_state_numel"] = new_state.numel()
        print(case["name"], "output", list(out.shape), "new_state", list(new_state.shape),
              "max|out|", float(out.float().abs().max()))
    meta = {"generator": "tests/gen_gdn_vectors.py", "torch": torch.__version__,
            "new_state_stride": STRIDE, "ranges": RANGES, "cases": CASES}
    with open(os.path.join(opt.out, "cases.json"), "w") as f:
        json.dump(meta, f, indent=1)


if __name__ == "__main__":
    main()
