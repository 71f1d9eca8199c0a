"""Searches scored by an evaluator written in Python: called from the engine's worker threads
(concurrency 4, the GIL taken back per call), every candidate committed once with the verdict
the evaluator gave, an exception a failed candidate with its text, StopRun, Engine.interrupt,
Ctrl-C (SIGINT) and the callbacks kept alive."""
import collections
import gc
import os
import signal
import threading
import time

import pytest

import evo

from conftest import SEED, custom_config


def score(a, b):
    return 1.0 / (1 + abs(a - 7) + abs(b - 9))


class Recorder:
    """An evaluator that sleeps (the GIL released, as a GPU or a subprocess would) and notes
    every call: thread, slot, hash, the verdict it gave."""

    def __init__(self, sleep=0.02, fail=lambda a, b: False):
        self.lock = threading.Lock()
        self.calls = collections.Counter()
        self.verdicts = {}
        self.threads = set()
        self.slots_in_flight = set()
        self.slot_clashes = []
        self.max_in_flight = 0
        self.sleep, self.fail = sleep, fail

    def __call__(self, genome, result):
        with self.lock:
            self.calls[genome.hash] += 1
            self.threads.add(threading.get_ident())
            if genome.slot in self.slots_in_flight:
                self.slot_clashes.append(genome.slot)
            self.slots_in_flight.add(genome.slot)
            self.max_in_flight = max(self.max_in_flight, len(self.slots_in_flight))
        try:
            time.sleep(self.sleep)
            a, b = genome.params["A"], genome.params["B"]
            if self.fail(a, b):
                raise ValueError(f"cannot score A={a} B={b}")
            result.metric("latency_us", 100.0 + a, workload="w0")
            result.metric("speedup", score(a, b), workload="w0")
            f = score(a, b)
            with self.lock:
                self.verdicts[genome.hash] = ("PASSED", f)
            return f
        except ValueError:
            with self.lock:
                self.verdicts[genome.hash] = ("RUNTIME_ERROR", 0.0)
            raise
        finally:
            with self.lock:
                self.slots_in_flight.discard(genome.slot)


def test_concurrency_4_runs_in_four_threads_and_commits_each_candidate_once(tmp_path):
    rec = Recorder(sleep=0.05)
    t0 = time.monotonic()
    run = evo.search(custom_config(), str(tmp_path / "r"), rec, seeds={"s": SEED})
    wall = time.monotonic() - t0
    n = len(run)
    assert n == 40 and sum(rec.calls.values()) == 40
    assert max(rec.calls.values()) == 1  # no candidate evaluated twice
    assert len(rec.threads) == 4 and threading.get_ident() not in rec.threads
    assert rec.slot_clashes == [] and rec.max_in_flight >= 2
    # Four at a time: 40 x 50 ms is 2 s serially; the GIL is released while they sleep.
    assert wall < 1.5, f"{wall:.2f} s: the evaluations did not overlap"
    cands = run.candidates()
    assert {c.hash for c in cands} == set(rec.calls)
    for c in cands:
        status, fitness = rec.verdicts[c.hash]
        assert (c.status.name, c.fitness) == (status, pytest.approx(fitness)), c
        assert c.workloads["w0"]["latency_us"] == 100.0 + int(c.params["A"])
    assert run.best().fitness == max(f for _, f in rec.verdicts.values())
    seed_row = next(r for r in run.log() if r["operator"] == "seed")
    assert seed_row["w0.speedup"] == pytest.approx(score(0, 0))  # the seed is at (0, 0)


def test_an_exception_fails_the_candidate_with_its_text(tmp_path):
    rec = Recorder(sleep=0, fail=lambda a, b: (a + b) % 3 == 0)  # the seed (0, 0) fails too
    run = evo.search(custom_config(concurrency=2), str(tmp_path / "r"), rec, seeds={"s": SEED})
    failed = [c for c in run.candidates() if c.status != evo.Status.PASSED]
    assert failed and len(failed) < len(run)
    for c in failed:
        a, b = int(c.params["A"]), int(c.params["B"])
        assert (a + b) % 3 == 0
        assert c.status == evo.Status.RUNTIME_ERROR and c.fitness == 0
        assert f"ValueError: cannot score A={a} B={b}" in c.error
        assert "Traceback" in c.error and "test_evaluator.py" in c.error
    assert run.status()["counters"]["failures"]["RUNTIME_ERROR"] == len(failed)


def test_verdicts_set_on_the_result_and_bad_returns(tmp_path):
    def evaluate(g, r):
        a = g.params["A"]
        if a == 0:
            return None  # no verdict at all: a failure, never a silent pass
        if a % 4 == 1:
            r.fail("COMPILE_ERROR", f"no build at A={a}")
            return None
        if a % 4 == 2:
            return float("nan")
        if a % 4 == 3:
            return "fast"
        r.passed(a / 16)
        return None

    run = evo.search(custom_config(concurrency=2), str(tmp_path / "r"), evaluate,
                     seeds={"s": SEED})
    seen = set()
    for c in run.candidates():
        a = int(c.params["A"])
        seen.add(a % 4 if a else "zero")
        if a == 0:
            assert c.status == evo.Status.RUNTIME_ERROR and "no verdict" in c.error
        elif a % 4 == 1:
            assert c.status == evo.Status.COMPILE_ERROR and c.error == f"no build at A={a}"
        elif a % 4 == 2:
            assert c.status == evo.Status.RUNTIME_ERROR and "fitness of nan" in c.error
        elif a % 4 == 3:
            assert c.status == evo.Status.RUNTIME_ERROR and "returned 'fast'" in c.error
        else:
            assert c.status == evo.Status.PASSED and c.fitness == a / 16
    assert "zero" in seen and 0 in seen


def test_stoprun_stops_the_run_with_its_message(tmp_path):
    def evaluate(g, r):
        if g.params["A"] != 0:
            raise evo.StopRun(f"giving up at A={g.params['A']}")
        return 0.5

    with pytest.raises(evo.EvoError) as ei:
        evo.search(custom_config(concurrency=1), str(tmp_path / "r"), evaluate,
                   seeds={"s": SEED})
    assert "giving up at A=" in ei.value.message and ei.value.code == evo.ERROR


def test_interrupt_from_the_evaluator_then_resume(tmp_path):
    d = str(tmp_path / "r")
    with evo.Engine(d, custom_config(concurrency=4)) as e:
        n = [0]
        lock = threading.Lock()

        def evaluate(g, r):
            with lock:
                n[0] += 1
                if n[0] == 8:
                    e.interrupt()  # soft: what is in flight finishes and is committed
            time.sleep(0.01)
            return score(g.params["A"], g.params["B"])

        e.set_evaluator(evaluate)
        e.add_seed("s", SEED)
        with pytest.raises(evo.RunInterrupted) as ei:
            e.run()
        assert ei.value.code == evo.EINTERRUPT
    with evo.Run(d) as run:
        assert 8 <= len(run) < 40 and len(run) == n[0]  # every evaluation committed
        assert run.status()["counters"]["finished"] is False
    with evo.Engine.resume(d) as e:
        e.set_evaluator(lambda g, r: score(g.params["A"], g.params["B"]))
        e.add_seed("s", SEED)
        e.run()
    with evo.Run(d) as run:
        assert len(run) == 40 and run.status()["counters"]["finished"] is True


def test_ctrl_c_stops_softly_and_raises_keyboardinterrupt(tmp_path):
    d = str(tmp_path / "r")
    started = threading.Event()
    calls = collections.Counter()

    def evaluate(g, r):
        calls[g.hash] += 1
        started.set()
        time.sleep(0.05)
        return score(g.params["A"], g.params["B"])

    def ctrl_c():
        started.wait(10)
        time.sleep(0.2)
        os.kill(os.getpid(), signal.SIGINT)

    killer = threading.Thread(target=ctrl_c)
    killer.start()
    t0 = time.monotonic()
    with pytest.raises(KeyboardInterrupt, match="interrupted"):
        evo.search(custom_config(concurrency=4, stop={"max_evaluations": 400}), d, evaluate,
                   seeds={"s": SEED})
    killer.join()
    assert time.monotonic() - t0 < 5  # 400 x 50 ms / 4 would be 5 s
    with evo.Run(d) as run:
        assert 0 < len(run) < 400 and len(run) == sum(calls.values())
        assert {c.hash for c in run.candidates()} == set(calls)


def test_callbacks_outlive_the_callers_references(tmp_path):
    d = str(tmp_path / "r")
    e = evo.Engine(d, custom_config(concurrency=2))

    def make():
        def evaluate(g, r):
            gc.collect()  # would free an unreferenced ctypes callback under our feet
            return score(g.params["A"], g.params["B"])
        return evaluate

    e.set_evaluator(make(), describe="a test task")
    e.add_seed("s", SEED)
    gc.collect()
    e.run()
    e.close()
    with evo.Run(d) as run:
        assert len(run) == 40
        assert all(c.status == evo.Status.PASSED for c in run.candidates())


def test_start_and_stop_are_called_and_a_failing_start_stops_the_run(tmp_path):
    events = []
    with evo.Engine(str(tmp_path / "a"), custom_config(concurrency=3)) as e:
        e.set_evaluator(lambda g, r: 1.0, start=lambda eng, n: events.append(("start", n)),
                        stop=lambda: events.append(("stop",)))
        e.add_seed("s", SEED)
        e.run()
    assert events == [("start", 3), ("stop",)]

    def bad_start(eng, n):
        raise RuntimeError("no device for the Python evaluator")

    with evo.Engine(str(tmp_path / "b"), custom_config()) as e:
        e.set_evaluator(lambda g, r: 1.0, name="mine", start=bad_start)
        e.add_seed("s", SEED)
        with pytest.raises(evo.EvoError, match="evaluator 'mine' failed to start: RuntimeError: no device"):
            e.run()


def test_engine_errors(tmp_path):
    with evo.Engine(str(tmp_path / "r"), custom_config()) as e:
        with pytest.raises(evo.EvoError, match="no evaluator") as ei:
            e.run()
        assert ei.value.code == evo.EINVAL
        with pytest.raises(evo.SpaceError):
            e.add_seed("broken", "/* evo:params\n A range 9..1 default 0\n*/\n")
        with pytest.raises(TypeError):
            e.set_evaluator(42)
    with pytest.raises(evo.BusyError):
        with evo.Engine(str(tmp_path / "busy"), custom_config()):
            evo.Engine(str(tmp_path / "busy"), custom_config())


def test_progress_reports_every_commit_and_can_stop_the_run(tmp_path):
    seen = []
    with evo.Engine(str(tmp_path / "a"), custom_config(concurrency=2)) as e:
        e.set_evaluator(lambda g, r: 0.25 if g["A"] % 2 else r.fail("TIMEOUT", "slow"))
        e.add_seed("s", SEED)
        e.set_progress(lambda p: seen.append(p))
        e.run()
    # A call per message the engine took (the counters as they stand after the batch it came
    # in), then the final one.
    assert len(seen) - 1 >= 40 and max(p["last_id"] for p in seen) == 40
    counts = [p["evaluations"] for p in seen]
    assert counts == sorted(counts) and counts[-1] == 40
    assert seen[-1]["done"] and not any(p["done"] for p in seen[:-1])
    last = seen[-1]
    assert last["failures"].get("TIMEOUT", 0) + last["failures"].get("PASSED", 0) >= 1
    assert last["max_evaluations"] == 40 and last["best_fitness"] in (0.0, 0.25)

    class Enough(Exception):
        pass

    def stop_at_5(p):
        if p["evaluations"] >= 5:
            raise Enough("five is enough")

    with evo.Engine(str(tmp_path / "b"), custom_config(concurrency=2)) as e:
        e.set_evaluator(lambda g, r: 0.5)
        e.add_seed("s", SEED)
        e.set_progress(stop_at_5)
        with pytest.raises(Enough, match="five is enough"):
            e.run()
    with evo.Run(str(tmp_path / "b")) as run:
        assert 5 <= len(run) <= 8  # what was in flight is committed too
