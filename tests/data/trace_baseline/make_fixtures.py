#!/usr/bin/env python3
"""make_fixtures.py -- writes the FlashInfer-Bench trace files tests/test_trace_baseline.c reads.

The well-formed lines are built with FlashInfer-Bench 0.1.2's own pydantic models (Trace,
Workload, Evaluation, Environment, Correctness, Performance) and written as its TraceSet writes
them (json_utils.append_jsonl_file: model_dump_json(indent=None), one per line), so the C reader
is tested on the exact format. It needs pydantic and flashinfer_bench's data/ modules:

    python3 -m venv /tmp/v && /tmp/v/bin/pip install pydantic
    unzip flashinfer_bench-0.1.2-py3-none-any.whl -d /tmp/fib
    /tmp/v/bin/python make_fixtures.py /tmp/fib      # writes the *.jsonl beside this file

(flashinfer_bench's package __init__ imports torch; only data/{utils,workload,trace}.py are
loaded here, as a package of their own.) The broken lines (malformed JSON) are written by hand.
Workloads: kernels/rmsnorm's (definition rmsnorm_h4096)."""
import importlib, json, os, shutil, sys, tempfile

here = os.path.dirname(os.path.abspath(__file__))
fib = sys.argv[1]
pkg = tempfile.mkdtemp()
os.makedirs(os.path.join(pkg, "fibdata"))
for f in ("utils.py", "workload.py", "trace.py"):
    shutil.copy(os.path.join(fib, "flashinfer_bench", "data", f), os.path.join(pkg, "fibdata", f))
open(os.path.join(pkg, "fibdata", "__init__.py"), "w").close()
sys.path.insert(0, pkg)
T = importlib.import_module("fibdata.trace")
W = importlib.import_module("fibdata.workload")

DEF = "rmsnorm_h4096"
root = os.path.join(here, "..", "..", "..")
wls = {}
for line in open(os.path.join(root, "kernels", "rmsnorm", "workloads.jsonl")):
    w = json.loads(line)["workload"]
    wls[w["axes"]["batch_size"]] = w
ENV = T.Environment(hardware="NVIDIA H200", libs={"torch": "2.9.0+cu128", "cuda": "12.8"})


def workload(batch, uuid=None):
    w = wls[batch]
    return W.Workload(uuid=uuid or w["uuid"], axes=w["axes"],
                      inputs={k: W.RandomInput() for k in w["inputs"]})


def passed(batch, ms, solution="flashinfer_rmsnorm", env=ENV, uuid=None, ts="2026-12-04T05:00:00"):
    return T.Trace(definition=DEF, workload=workload(batch, uuid), solution=solution,
                   evaluation=T.Evaluation(
                       status=T.EvaluationStatus.PASSED, environment=env, timestamp=ts,
                       log="", correctness=T.Correctness(max_relative_error=1e-3,
                                                         max_absolute_error=2e-3),
                       performance=T.Performance(latency_ms=ms, reference_latency_ms=0.0,
                                                 speedup_factor=0.0)))


def failed(batch, status, solution="flashinfer_rmsnorm"):
    corr = T.Correctness(max_relative_error=0.5, max_absolute_error=1.0) \
        if status == T.EvaluationStatus.INCORRECT_NUMERICAL else None
    return T.Trace(definition=DEF, workload=workload(batch), solution=solution,
                   evaluation=T.Evaluation(status=status, environment=ENV,
                                           timestamp="2026-12-04T05:00:00", log="boom",
                                           correctness=corr))


def write(name, traces, extra=()):
    with open(os.path.join(here, name), "w") as f:
        for t in traces:
            f.write(t.model_dump_json(indent=None) + "\n")
        for line in extra:
            f.write(line + "\n")
    print("wrote", name)


write("rmsnorm_flashinfer.jsonl", [
    passed(7, 0.010), passed(7, 0.030, ts="2026-12-04T05:10:00"), passed(7, 0.011),  # median 11 us
    passed(1, 0.008),                                                           # by uuid, 8 us
    passed(34, 0.009, uuid="00000000-0000-5000-8000-000000000034"),             # by axes, 9 us
    failed(170, T.EvaluationStatus.INCORRECT_NUMERICAL),                        # not PASSED
    failed(14418, T.EvaluationStatus.RUNTIME_ERROR),                            # not PASSED
    T.Trace(definition=DEF, workload=workload(64)),                             # workload only
    T.Trace(definition=DEF, solution="flashinfer_rmsnorm", evaluation=passed(1, 1.0).evaluation,
            workload=W.Workload(uuid="00000000-0000-5000-8000-000000000003", axes={"batch_size": 3},
                                inputs={})),                                    # no such workload
])
write("rmsnorm_h100.jsonl", [passed(7, 0.012, env=T.Environment(hardware="NVIDIA H100 80GB HBM3"))])
write("rmsnorm_two_solutions.jsonl", [passed(7, 0.010), passed(7, 0.020, solution="triton_rmsnorm"),
                                      passed(1, 0.004, solution="triton_rmsnorm")])
gemm = passed(7, 0.010).model_copy(update={
    "definition": "gemm_n4096_k4096", "solution": "flashinfer_gemm",
    "workload": W.Workload(uuid="00000000-0000-5000-8000-00000000gemm", axes={"M": 1},
                           inputs={"A": W.RandomInput(), "B": W.RandomInput()})})
write("rmsnorm_foreign_definition.jsonl", [passed(7, 0.010), T.Trace.model_validate(gemm.model_dump())])
write("rmsnorm_malformed.jsonl", [passed(7, 0.010), passed(1, 0.008)],
      ['{"definition": "rmsnorm_h4096", "workload": {"uuid": '])
