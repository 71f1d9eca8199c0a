#!/usr/bin/env python3
"""fake_worker.py -- stands in for evo-worker in CPU tests of the GPU evaluator's host side.

It speaks the evaluator's pipe protocol (gpu/common/ipc.h: a 4-byte little-endian length, a JSON
header, then "payload_bytes" of payload) on fds 3 (requests) and 4 (replies), as evo-worker
does when started with "--ipc 3 4": "init" gets a fake device and ceilings, "eval" a PASSED
verdict whose fitness comes from the cubin's size (so candidates differ), "confirm" equal
rounds, "quit" ends it. What reaches it is exactly what the evaluator would send a GPU: a
compiled cubin, so everything before it (source policy, NVRTC, logs, prompts) runs for real.
"""
import json
import os
import struct
import sys


def read_exact(fd, n):
    out = b""
    while len(out) < n:
        chunk = os.read(fd, n - len(out))
        if not chunk:
            return None
        out += chunk
    return out


def send(fd, obj):
    data = json.dumps(obj).encode()
    os.write(fd, struct.pack("<I", len(data)) + data)


def main():
    rfd, wfd = (int(sys.argv[2]), int(sys.argv[3])) if len(sys.argv) == 4 else (0, 1)
    while True:
        head = read_exact(rfd, 4)
        if head is None:
            return
        req = json.loads(read_exact(rfd, struct.unpack("<I", head)[0]))
        payload = read_exact(rfd, req.get("payload_bytes", 0)) if req.get("payload_bytes") else b""
        op = req.get("op")
        if op == "init":
            send(wfd, {"ok": True, "device": {"name": "fake GPU (tests/support/fake_worker.py)",
                                              "cc": "9.0", "sms": 132, "l2_bytes": 52428800,
                                              "smem_optin": 232448, "mem_bytes": 1 << 37},
                       "ceiling_gbps": 4000.0, "ceiling_tflops": 800.0})
        elif op == "eval":
            fitness = 1.0 + (len(payload) % 997) / 1000.0
            wl = {"batch_size=7": {"latency_us": 10.0 / fitness, "baseline_us": 10.0,
                                   "speedup": fitness, "status": "PASSED"}}
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
