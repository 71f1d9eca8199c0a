#!/usr/bin/env python3
"""fib_fake_worker.py -- tests/support/fake_worker.py, answering "eval" with a PASSED figure for
every workload of the task (by its label, as evo-worker does) instead of one fixed label, so that
`evo export` of a candidate writes one Trace line per workload (tests/test_export_fib.sh).

The task comes from the "init" request's task_dir (task.json -> definition.json and
workloads.jsonl); a label is the definition's var axes in order, "name=value" joined by ",".
The figures are made up (latency from the cubin's size); what reaches this worker is still the
real thing: every seed of the task compiled by NVRTC.
"""
import json
import os
import sys

sys.path.insert(0, os.path.dirname(os.path.abspath(__file__)))
from fake_worker import read_exact, send  # noqa: E402


def labels_of(task_dir):
    task = json.load(open(os.path.join(task_dir, "task.json")))
    defn = json.load(open(os.path.join(task_dir, task.get("definition", "definition.json"))))
    var = [n for n, a in defn["axes"].items() if a.get("type") == "var"]
    out = []
    for line in open(os.path.join(task_dir, task.get("workloads", "workloads.jsonl"))):
        if line.strip():
            axes = json.loads(line)["workload"]["axes"]
            out.append(",".join("%s=%d" % (n, axes[n]) for n in var))
    return out


def main():
    rfd, wfd = (int(sys.argv[2]), int(sys.argv[3])) if len(sys.argv) == 4 else (0, 1)
    labels = []
    while True:
        head = read_exact(rfd, 4)
        if head is None:
            return
        req = json.loads(read_exact(rfd, int.from_bytes(head, "little")))
        payload = read_exact(rfd, req["payload_bytes"]) if req.get("payload_bytes") else b""
        op = req.get("op")
        if op == "init":
            labels = labels_of(req["task_dir"]) if req.get("task_dir") else []
            send(wfd, {"ok": True, "device": {"name": "fake GPU (tests/support/fib_fake_worker.py)",
                                              "cc": "9.0", "sms": 132, "l2_bytes": 52428800,
                                              "smem_optin": 232448, "mem_bytes": 1 << 37},
                       "ceiling_gbps": 4000.0, "ceiling_tflops": 800.0})
        elif op == "eval":
            fitness = 1.0 + (len(payload) % 997) / 1000.0
            idx = req.get("workloads") or range(len(labels))
            wl = {labels[i]: {"latency_us": 10.0 / fitness, "baseline_us": 10.0, "speedup": fitness,
                              "max_abs_err": 0.001, "max_rel_err": 0.002, "status": "PASSED"}
                  for i in idx if 0 <= i < len(labels)}
            send(wfd, {"status": "PASSED", "error": "", "fitness": fitness, "workloads": wl})
        elif op == "confirm":
            rounds = req.get("rounds", 3)
            send(wfd, {"status": "PASSED", "error": "", "a": [1.0] * rounds, "b": [1.0] * rounds})
        elif op == "quit":
            return
        else:
            send(wfd, {"ok": False, "error": "unknown request op '%s'" % op})


if __name__ == "__main__":
    main()
