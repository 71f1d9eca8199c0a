#!/usr/bin/env python3
"""report_hostile_run.py DIR -- a run for tests/test_report.sh whose every text a candidate can
carry is markup: the seed's name, a Python operator's notes and insight, metric workload names,
error texts of failed candidates. `evo report` must show each as text: the page the test renders
must keep its own script the only one that runs (no data-pwned attribute, no dialog), and none
of these strings may reach the page unescaped. Uses the Python binding (PYTHONPATH=python,
EVO_LIBRARY=build/libevo.so)."""
import sys

import evo

EVIL = ("</pre></td></table><script>document.body.setAttribute('data-pwned','script')</script>"
        "<img src=x onerror=\"document.body.setAttribute('data-pwned','img')\">"
        "<svg onload=\"document.body.setAttribute('data-pwned','svg')\"></svg>"
        "&amp; ]]> --> \" ' `")

SEED = "/* evo:params\n A range 0..15 default 3\n B range 0..15 default 4\n*/\n// " + EVIL + "\n"


def evaluate(genome, result):
    a, b = genome["A"], genome["B"]
    if (a + b) % 4 == 0:
        result.fail(evo.Status.RUNTIME_ERROR, "kernel failed: " + EVIL)
        return None
    us = 10 + abs(a - 7) + abs(b - 9)
    result.metric("latency_us", us, workload="w" + EVIL[:40])
    result.metric("baseline_us", 12.0, workload="w" + EVIL[:40])
    return 12.0 / us


def mutate(m):
    p = m.parents[0]
    params = {"A": m.random() % 16, "B": (p.params["B"] + 1) % 16}
    m.emit(p.source, params)
    m.note("plan", "plan " + EVIL)


def summarize(m, verdict, label):
    m.set_insight("lesson " + EVIL)


def main():
    cfg = {"name": "hostile", "seed": 3, "concurrency": 2, "evaluator": {"kind": "custom"},
           "islands": {"count": 2, "population": 10},
           "operators": {"point": 0.5, "multi": 0, "crossover": 0, "restart": 0, "mine": 2.0},
           "stop": {"max_evaluations": 40}}
    with evo.Engine(sys.argv[1], cfg) as e:
        e.set_evaluator(evaluate)
        e.add_operator("mine", mutate, summarize=summarize)
        e.add_seed("s" + EVIL[:30], SEED)
        e.run()


if __name__ == "__main__":
    main()
