#!/usr/bin/env python3
"""gen_dsa_vectors.py -- writes the DSA test vectors that tests/test_dsa_reference.c checks the C
host references (reference/dsa.c) against.

It runs the definitions' own PyTorch `reference` code (FlashInfer-Bench's
dsa_topk_indexer_fp8_h64_d128_topk2048_ps64 and dsa_sparse_attention_h16_ckv512_kpe64_topk2048_ps64,
from ../shared/flashinfer-trace/definitions/dsa_paged or --defs) on inputs drawn from a tiny
portable generator that tests/test_dsa_reference.c re-implements bit for bit, so only the cases
and the expected outputs are stored:

  byte i of input number j (in definition order) of a case with seed s:
      x = splitmix64(s * 1000 + j + (i + 1) * 0x9E3779B97F4A7C15);   u = x >> 56  (0..255)
  fp8 bytes (q, the cache's values): u, with the NaN codes 0x7f and 0xff taken as 0;
  cache scales (f32, one per row): (u + 1) / 256;  weights (f32): (u - 128) / 128;
  bf16 values: (u - 128) / 64 (exact in bf16).
Integer inputs (seq_lens, block_table, sparse_indices) are given by the case: block tables and
index lists are permutations drawn with Python's random.Random(seed), stored in cases.json.

Outputs: OUT/cases.json (the cases, with their integer inputs) and per case: the indexer's
NAME.topk_indices.i32, the attention's NAME.output.f32 (the bf16 output widened) and
NAME.lse.f32, little-endian. Run on a machine with PyTorch (the references run on its CPU):
    python3 tests/gen_dsa_vectors.py --out DIR     then copy DIR/* to tests/data/dsa/
"""
import argparse
import json
import os
import random
import struct

import torch

MASK = (1 << 64) - 1
INDEXER = "dsa_topk_indexer_fp8_h64_d128_topk2048_ps64"
ATTENTION = "dsa_sparse_attention_h16_ckv512_kpe64_topk2048_ps64"

# seq_lens cover: an empty row, the padded path (fewer rows than topk), exactly topk + 1, and a
# selection from several times topk; pages of every row scattered over the cache.
CASES = [
    {"name": "indexer_b4", "op": "indexer", "seed": 31, "seq_lens": [100, 3000, 0, 2049],
     "max_num_pages": 48, "num_pages": 96},
    {"name": "indexer_b1_long", "op": "indexer", "seed": 32, "seq_lens": [9000],
     "max_num_pages": 141, "num_pages": 160},
    {"name": "attention_t3", "op": "attention", "seed": 41, "valid": [2048, 1000, 0],
     "num_pages": 40},
]


def splitmix64(x):
    x = (x + 0x9E3779B97F4A7C15) & MASK
    x = ((x ^ (x >> 30)) * 0xBF58476D1CE4E5B9) & MASK
    x = ((x ^ (x >> 27)) * 0x94D049BB133111EB) & MASK
    return x ^ (x >> 31)


def levels(seed, j, n):
    base = seed * 1000 + j
    return [splitmix64((base + (i + 1) * 0x9E3779B97F4A7C15) & MASK) >> 56 for i in range(n)]


def fp8_bytes(seed, j, n):
    return [0 if u in (0x7F, 0xFF) else u for u in levels(seed, j, n)]


def indexer_inputs(case):
    s, B = case["seed"], len(case["seq_lens"])
    H, D, PS, P, MP = 64, 128, 64, case["num_pages"], case["max_num_pages"]
    q = torch.tensor(fp8_bytes(s, 0, B * H * D), dtype=torch.uint8).view(torch.float8_e4m3fn)
    vals = fp8_bytes(s, 1, P * PS * D)
    scales = [(u + 1) / 256.0 for u in levels(s, 101, P * PS)]
    raw = bytearray()
    for p in range(P):
        raw += bytes(vals[p * PS * D:(p + 1) * PS * D])
        raw += struct.pack("<%df" % PS, *scales[p * PS:(p + 1) * PS])
    cache = torch.frombuffer(raw, dtype=torch.uint8).clone().view(torch.int8).reshape(P, PS, 1, D + 4)
    w = torch.tensor([(u - 128) / 128.0 for u in levels(s, 2, B * H)], dtype=torch.float32)
    rnd = random.Random(s)
    table = []
    for _ in range(B):
        perm = list(range(P))
        rnd.shuffle(perm)
        table.append(perm[:MP])
    case["block_table"] = table
    return (q.reshape(B, H, D), cache, w.reshape(B, H), torch.tensor(case["seq_lens"], dtype=torch.int32),
            torch.tensor(table, dtype=torch.int32))


def attention_inputs(case):
    s, T, P, PS = case["seed"], len(case["valid"]), case["num_pages"], 64
    H, DC, DP, K = 16, 512, 64, 2048

    def bf16(j, shape):
        n = 1
        for d in shape:
            n *= d
        return torch.tensor([(u - 128) / 64.0 for u in levels(s, j, n)],
                            dtype=torch.float32).reshape(shape).to(torch.bfloat16)

    rnd = random.Random(s)
    idx = []
    for v in case["valid"]:
        rows = rnd.sample(range(P * PS), v)
        idx.append(rows + [-1] * (K - v))
    case["sparse_indices"] = idx
    case["sm_scale"] = 1.0 / (192 ** 0.5)
    return (bf16(0, (T, H, DC)), bf16(1, (T, H, DP)), bf16(2, (P, PS, DC)), bf16(3, (P, PS, DP)),
            torch.tensor(idx, dtype=torch.int32), case["sm_scale"])


def write(path, t, fmt):
    flat = t.contiguous().reshape(-1).tolist()
    with open(path, "wb") as f:
        f.write(struct.pack("<%d%s" % (len(flat), fmt), *flat))


def main():
    ap = argparse.ArgumentParser()
    here = os.path.dirname(os.path.abspath(__file__))
    ap.add_argument("--out", required=True)
    ap.add_argument("--defs", default=os.path.join(here, "..", "..", "shared", "flashinfer-trace",
                                                   "definitions", "dsa_paged"))
    opt = ap.parse_args()
    os.makedirs(opt.out, exist_ok=True)
    defs = {}
    for op, name in (("indexer", INDEXER), ("attention", ATTENTION)):
        with open(os.path.join(opt.defs, name + ".json")) as f:
            defs[op] = json.load(f)
    for case in CASES:
        scope = {}
        exec(defs[case["op"]]["reference"], scope)
        if case["op"] == "indexer":
            (idx,) = scope["run"](*indexer_inputs(case))
            write(os.path.join(opt.out, case["name"] + ".topk_indices.i32"), idx.to(torch.int32), "i")
            print(case["name"], "topk_indices", list(idx.shape), "valid", int((idx >= 0).sum()))
        else:
            out, lse = scope["run"](*attention_inputs(case))
            write(os.path.join(opt.out, case["name"] + ".output.f32"), out.float(), "f")
            write(os.path.join(opt.out, case["name"] + ".lse.f32"), lse.float(), "f")
            print(case["name"], "output", list(out.shape), "lse", lse.tolist()[1][:2])
    meta = {"generator": "tests/gen_dsa_vectors.py", "torch": torch.__version__,
            "definitions": [INDEXER, ATTENTION], "cases": CASES}
    with open(os.path.join(opt.out, "cases.json"), "w") as f:
        json.dump(meta, f)


if __name__ == "__main__":
    main()
