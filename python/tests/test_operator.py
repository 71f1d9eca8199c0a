"""A mutation operator written in Python (evo_operator): chosen by the bandit, its children
evaluated and committed with operator = its name, exceptions recorded as INVALID candidates
with their text, Duplicate as "nothing new", summarize's insight kept."""
import threading

import evo

from conftest import SEED, custom_config

ONLY_MINE = {"point": 0, "multi": 0, "crossover": 0, "restart": 0}


def test_a_python_operator_makes_every_child(tmp_path):
    emitted, lock = {}, threading.Lock()

    def mutate(m):
        (p,) = m.parents
        assert p.fitness is not None and set(p.params) == {"A", "B"}
        params = {"A": m.random() % 16, "B": (p.params["B"] + 1) % 16}
        child = m.emit(p.source, params)
        m.note("plan", f"A={params['A']} B={params['B']}")
        with lock:
            emitted[child.hash] = (params, p.hash)

    def summarize(m, verdict, label):
        m.set_insight(f"mine: {verdict['status'].name} {label}")

    cfg = custom_config(concurrency=2, operators=dict(ONLY_MINE, mine=1.0))
    with evo.Engine(str(tmp_path / "r"), cfg) as e:
        e.set_evaluator(lambda g, r: 1.0 / (1 + abs(g["A"] - 7) + abs(g["B"] - 9)))
        e.add_operator("mine", mutate, summarize=summarize)
        e.add_seed("s", SEED)
        e.run()
    with evo.Run(str(tmp_path / "r")) as run:
        cands = run.candidates()
    assert [c.operator for c in cands].count("seed") == 1
    children = [c for c in cands if c.operator != "seed"]
    assert len(children) == 39 and all(c.operator == "mine" for c in children)
    for c in children:
        params, parent_hash = emitted[c.hash]
        assert {k: int(v) for k, v in c.params.items()} == params
        assert c.record["notes"]["plan"] == f"A={params['A']} B={params['B']}"
        assert c.record["insight"].startswith("mine: PASSED")
        assert len(c.parents) <= 1


def test_operator_exceptions_and_duplicates(tmp_path):
    def mutate(m):
        p = m.parents[0]
        a = m.random() % 16
        if a % 5 == 0:
            raise KeyError(f"no plan for A={a}")
        if a % 5 == 1:
            raise evo.Duplicate()
        if a % 5 == 2:
            m.emit(p.source, {"A": 99})  # outside the space: SpaceError, not caught
        m.emit(p.source, {"A": a, "B": p.params["B"]})

    cfg = custom_config(concurrency=2, operators=dict(ONLY_MINE, mine=1.0),
                        stop={"max_evaluations": 30})
    with evo.Engine(str(tmp_path / "r"), cfg) as e:
        e.set_evaluator(lambda g, r: 0.5)
        e.add_operator("mine", mutate)
        e.add_seed("s", SEED)
        e.run()
    with evo.Run(str(tmp_path / "r")) as run:
        invalid = [c for c in run.candidates() if c.status == evo.Status.INVALID]
    errors = [c.error for c in invalid]
    assert any("operator 'mine'" in x and "KeyError: 'no plan for A=" in x for x in errors)
    assert any("SpaceError" in x and "'A'" in x for x in errors), errors
    assert all(c.operator == "mine" for c in invalid)


def test_operator_errors_at_registration(tmp_path):
    with evo.Engine(str(tmp_path / "r"), custom_config()) as e:
        try:
            e.add_operator("point", lambda m: None)  # the built-in's name
        except evo.EvoError as exc:
            assert exc.code == evo.EINVAL and "point" in exc.message
        else:
            raise AssertionError("a taken name was accepted")
