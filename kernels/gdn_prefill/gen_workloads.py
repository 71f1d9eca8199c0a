#!/usr/bin/env python3
"""gen_workloads.py -- writes kernels/gdn_decode/workloads.jsonl and
kernels/gdn_prefill/workloads.jsonl (FlashInfer Trace workload lines) and the prefill
cu_seqlens blobs (safetensors, int64) under kernels/gdn_prefill/blob/. Deterministic: rerun it
and the files come out byte for byte the same. No third-party modules.

Workload format as FlashInfer-Bench writes it: every float input {"type": "random"} (randn),
scale {"type": "scalar"}, an int64 index tensor as {"type": "safetensors", "path":
"./blob/workloads/<op_type>/<definition>/<file>.safetensors", "tensor_key": "cu_seqlens"}
(the path is relative to the dataset root, here the task folder), and an absent optional
input simply left out of "inputs".
"""
import json
import os
import random
import struct
import uuid

HERE = os.path.dirname(os.path.abspath(__file__))
KERNELS = os.path.dirname(HERE)
DECODE = "gdn_decode_qk4_v8_d128_k_last"
PREFILL = "gdn_prefill_qk4_v8_d128_k_last"
NS = uuid.UUID("6f0d1a52-8c1e-4c55-9d0e-9a7f3b1d2c40")
SCALE = 0.08838834764831843  # 1/sqrt(128); a few workloads pass 0.0, which means the same


def line(defn, wid, axes, inputs):
    return json.dumps({"definition": defn, "solution": None,
                       "workload": {"uuid": wid, "axes": axes, "inputs": inputs},
                       "evaluation": None})


def float_inputs(names):
    return {n: {"type": "random"} for n in names}


def decode():
    # 54 distinct batch sizes (the engine keys results by the axes label, so no repeats).
    batches = list(range(1, 41)) + [41, 42, 43, 44, 45, 46, 48, 50, 52, 54, 56, 60, 62, 64]
    out = []
    for i, bs in enumerate(batches):
        wid = str(uuid.uuid5(NS, "decode-%d-%d" % (i, bs)))
        absent = i in (5, 21, 40, 47)
        names = ["q", "k", "v", "A_log", "a", "dt_bias", "b"] + ([] if absent else ["state"])
        inputs = float_inputs(names)
        inputs["scale"] = {"type": "scalar", "value": 0.0 if i % 9 == 4 else SCALE}
        out.append(line(DECODE, wid, {"batch_size": bs}, inputs))
    return out


def safetensors(path, key, values):
    data = struct.pack("<%dq" % len(values), *values)
    hdr = json.dumps({key: {"dtype": "I64", "shape": [len(values)],
                            "data_offsets": [0, len(data)]}}, separators=(",", ":"))
    hdr += " " * ((8 - len(hdr) % 8) % 8)
    with open(path, "wb") as f:
        f.write(struct.pack("<Q", len(hdr)) + hdr.encode() + data)


def prefill():
    rng = random.Random(20260)
    # (number of sequences, target total tokens)
    plan = [(1, 6), (1, 64), (2, 33), (1, 512), (4, 150), (3, 1000), (1, 2048), (8, 256),
            (16, 16), (16, 1024), (5, 3000), (2, 4096), (1, 8192), (12, 6000), (7, 777),
            (16, 4096), (10, 2500), (1, 1), (6, 8000), (3, 96), (9, 1500), (4, 5000),
            (14, 7000), (2, 300)]
    blobdir = os.path.join("blob", "workloads", "gdn", PREFILL)
    os.makedirs(os.path.join(HERE, blobdir), exist_ok=True)
    out = []
    for i, (n, total) in enumerate(plan):
        cuts = sorted(rng.randint(0, total) for _ in range(n - 1))
        lens = [b - a for a, b in zip([0] + cuts, cuts + [total])]
        if i == 4:
            lens[1] = 0  # an empty sequence: its new_state stays zero
            lens[0] = total - sum(lens[1:])
        cu = [0]
        for ln in lens:
            cu.append(cu[-1] + ln)
        wid = str(uuid.uuid5(NS, "prefill-%d-%d-%d" % (i, n, total)))
        fname = "%s_%s.safetensors" % (PREFILL, wid.replace("-", ""))
        safetensors(os.path.join(HERE, blobdir, fname), "cu_seqlens", cu)
        absent = i in (2, 9, 20)
        names = ["q", "k", "v", "A_log", "a", "dt_bias", "b"] + ([] if absent else ["state"])
        inputs = float_inputs(names)
        inputs["cu_seqlens"] = {"type": "safetensors", "path": "./" + blobdir + "/" + fname,
                                "tensor_key": "cu_seqlens"}
        inputs["scale"] = {"type": "scalar", "value": 0.0 if i % 7 == 3 else SCALE}
        axes = {"total_seq_len": total, "num_seqs": n, "len_cu_seqlens": n + 1}
        out.append(line(PREFILL, wid, axes, inputs))
    return out


def main():
    for op, lines in (("gdn_decode", decode()), ("gdn_prefill", prefill())):
        with open(os.path.join(KERNELS, op, "workloads.jsonl"), "w") as f:
            f.write("\n".join(lines) + "\n")
        print(op, len(lines), "workloads")


if __name__ == "__main__":
    main()
