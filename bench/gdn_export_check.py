#!/usr/bin/env python3
"""gdn_export_check.py -- builds an exported FlashInfer-Bench Solution (evo export) as a torch
extension and runs it, destination-passing style, against the definition's own PyTorch
reference on randn inputs (k scaled to unit norm for prefill). GPU machine only.
    python3 bench/gdn_export_check.py SOLUTION.json DEFINITION.json BATCH_OR_CU_SEQLENS...
"""
import json
import math
import os
import sys
import tempfile

import torch
from torch.utils.cpp_extension import load


def main():
    sol = json.load(open(sys.argv[1]))
    defn = json.load(open(sys.argv[2]))
    tmp = tempfile.mkdtemp()
    for f in sol["sources"]:
        with open(os.path.join(tmp, f["path"]), "w") as out:
            out.write(f["content"])
    entry_file, fn = sol["spec"]["entry_point"].split("::")
    # every C/C++/CUDA source, as FlashInfer-Bench's TorchBuilder compiles them (kernel.cuh is
    # included by kernel.cu; binding.cpp is the entry)
    srcs = [os.path.join(tmp, f["path"]) for f in sol["sources"]
            if os.path.splitext(f["path"])[1] in (".cu", ".cpp", ".cc", ".cxx", ".c")]
    mod = load(name="evo_export_check", sources=srcs,
               extra_include_paths=[tmp], verbose=False,
               extra_cuda_cflags=["-gencode=arch=compute_90a,code=sm_90a", "-std=c++17"])
    scope = {}
    exec(defn["reference"], scope)
    torch.manual_seed(0)
    dev = "cuda"
    prefill = "cu_seqlens" in defn["inputs"]
    for spec in sys.argv[3:]:
        if prefill:
            cu = [int(x) for x in spec.split(",")]
            T, N = cu[-1], len(cu) - 1
            q = torch.randn(T, 4, 128, device=dev).bfloat16()
            k = (torch.randn(T, 4, 128, device=dev) / math.sqrt(128)).bfloat16()
            v = torch.randn(T, 8, 128, device=dev).bfloat16()
            a = torch.randn(T, 8, device=dev).bfloat16()
            b = torch.randn(T, 8, device=dev).bfloat16()
            state = torch.randn(N, 8, 128, 128, device=dev)
            extra = [torch.tensor(cu, dtype=torch.int64, device=dev)]
            out = torch.empty(T, 8, 128, device=dev, dtype=torch.bfloat16)
        else:
            B = int(spec)
            q = torch.randn(B, 1, 4, 128, device=dev).bfloat16()
            k = torch.randn(B, 1, 4, 128, device=dev).bfloat16()
            v = torch.randn(B, 1, 8, 128, device=dev).bfloat16()
            a = torch.randn(B, 1, 8, device=dev).bfloat16()
            b = torch.randn(B, 1, 8, device=dev).bfloat16()
            state = torch.randn(B, 8, 128, 128, device=dev)
            extra = []
            out = torch.empty(B, 1, 8, 128, device=dev, dtype=torch.bfloat16)
        A_log = torch.randn(8, device=dev)
        dt_bias = torch.randn(8, device=dev)
        ns = torch.empty_like(state)
        scale = 0.0
        getattr(mod, fn)(q, k, v, state, A_log, a, dt_bias, b, *extra, scale, out, ns)
        torch.cuda.synchronize()
        ro, rs = scope["run"](q, k, v, state, A_log, a, dt_bias, b, *extra, scale)
        for name, got, want in (("output", out, ro), ("new_state", ns, rs)):
            d = (got.float() - want.float()).abs()
            bad = ((d > 1e-2) & (d / (want.float().abs() + 1e-8) > 1e-2)).sum().item()
            print("%s %s: max_abs %.3g, %d of %d fail" % (spec, name, d.max().item(), bad,
                                                           d.numel()))


if __name__ == "__main__":
    main()
