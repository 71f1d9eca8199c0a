"""_engine.py -- configurations, engines, and evaluators and operators written in Python.

Threads. The engine calls evaluate() from its own worker threads, up to `concurrency` at
once (evo/engine/pool.c), and start()/stop() on the thread that runs the search. ctypes
releases the GIL for every foreign call (evo_engine_run included) and a CFUNCTYPE callback
takes it back on whatever thread calls it, so Python evaluators run one bytecode at a time
but overlap wherever they wait with the GIL released (a subprocess, a GPU, time.sleep, I/O).

Engine.run() runs evo_engine_run on a helper thread and waits for it in short joins, so the
main thread stays in Python and a Ctrl-C is seen at once: the first asks the engine to stop
softly (evaluations in flight finish and are committed), a second hard; run() then raises
KeyboardInterrupt with the store consistent and the run resumable.

An exception raised by the evaluator fails that candidate (RUNTIME_ERROR, the traceback as its
error); StopRun stops the run. An operator's exception records an INVALID candidate. Nothing
raised in a callback reaches ctypes, which would print it and return 0, that is EVO_OK with no
verdict. Every ctypes callback object lives in the Engine (_keep, _progress) until it closes:
the engine keeps only C pointers to them."""
import ctypes
import json
import math
import os
import threading
import traceback

from . import _capi
from ._errors import OK, ERROR, EDUPLICATE, ENOTFOUND, Status, StopRun, error

_ERRLEN = 4096


def _b(s):
    return None if s is None else os.fsencode(s) if isinstance(s, os.PathLike) else \
        s.encode() if isinstance(s, str) else s


class Config:
    """A run's configuration (evo_config). Config.load(path), Config.parse(text_or_dict)."""

    def __init__(self, handle):
        self._h = handle

    @classmethod
    def load(cls, path):
        return cls._make(lambda out, err: _capi.lib().evo_config_load(
            _b(os.fspath(path)), out, err, _ERRLEN))

    @classmethod
    def parse(cls, text, name="python"):
        if not isinstance(text, (str, bytes)):
            text = json.dumps(text)
        return cls._make(lambda out, err: _capi.lib().evo_config_parse(
            _b(text), _b(name), out, err, _ERRLEN))

    @classmethod
    def _make(cls, call):
        h = ctypes.c_void_p()
        err = ctypes.create_string_buffer(_ERRLEN)
        rc = call(ctypes.byref(h), err)
        if rc != OK:
            if h:
                _capi.lib().evo_config_free(h)
            raise error(rc, _capi.text(err.value))
        return cls(h)

    @property
    def json(self):
        """The configuration with every default filled in, as a dict."""
        return json.loads(_capi.text(_capi.lib().evo_config_json(self._h)))

    @property
    def path(self):
        return _capi.text(_capi.lib().evo_config_path(self._h))

    def close(self):
        if getattr(self, "_h", None):
            _capi.lib().evo_config_free(self._h)
        self._h = None

    __del__ = close

    def __enter__(self):
        return self

    def __exit__(self, *exc):
        self.close()


def _as_config(config):
    if isinstance(config, Config):
        return config, False
    if isinstance(config, dict):
        return Config.parse(config), True
    return Config.load(config), True


class Genome:
    """The candidate handed to evaluate(): source, template, hash, params (name -> int, or the
    macro text when it is not an integer), param_text (name -> macro text), and slot (the
    evaluator slot, in [0, concurrency), unique among calls in flight). A copy: usable after
    the callback."""

    __slots__ = ("source", "template", "hash", "params", "param_text", "slot", "fitness")

    def __init__(self, g, slot=None, fitness=None):
        L = _capi.lib()
        self.source = _capi.text(L.evo_genome_source(g))
        self.template = _capi.text(L.evo_genome_template(g))
        self.hash = _capi.text(L.evo_genome_hash(g))
        self.param_text = {}
        self.params = {}
        for i in range(L.evo_genome_param_count(g)):
            name = _capi.text(L.evo_genome_param_name(g, i))
            value = _capi.text(L.evo_genome_param_value(g, i))
            self.param_text[name] = value
            try:
                self.params[name] = int(value)
            except ValueError:
                self.params[name] = value
        self.slot = slot
        self.fitness = fitness

    def __getitem__(self, name):
        return self.params[name]

    def __repr__(self):
        return f"Genome({self.template!r}, {self.params!r})"


class Result:
    """The verdict evaluate() fills in (evo_result); valid only during the callback."""

    def __init__(self, r):
        self._r = r

    def _h(self):
        if self._r is None:
            raise RuntimeError("evo.Result used after its evaluate() call returned")
        return self._r

    def passed(self, fitness):
        """PASSED with this fitness (larger is better)."""
        self.status = Status.PASSED
        self.fitness = fitness

    def fail(self, status=Status.RUNTIME_ERROR, error=None):
        """A failed verdict (a Status or its name) with an error excerpt."""
        self.status = status
        if error is not None:
            self.error = error

    @property
    def status(self):
        return Status(_capi.lib().evo_result_status(self._h()))

    @status.setter
    def status(self, s):
        s = Status[s] if isinstance(s, str) else Status(s)
        _capi.lib().evo_result_set_status(self._h(), int(s))

    @property
    def fitness(self):
        return _capi.lib().evo_result_fitness(self._h())

    @fitness.setter
    def fitness(self, f):
        _capi.lib().evo_result_set_fitness(self._h(), float(f))

    @property
    def error(self):
        raise AttributeError("Result.error is write-only")

    @error.setter
    def error(self, text):
        _capi.lib().evo_result_set_error(self._h(), b"%s", _b(str(text)))

    def metric(self, key, value, workload=None):
        """A named figure, for the candidate (workload None) or one workload (latency_us,
        speedup, ...: they appear in the fitness log's workload columns)."""
        rc = _capi.lib().evo_result_add_metric(self._h(), _b(workload), _b(key), float(value))
        if rc != OK:
            raise error(rc, f"metric {key!r}: {_capi.text(_capi.lib().evo_strerror(rc))}")

    def artifact(self, name, text):
        """A named text kept with the candidate (a log, a generated kernel)."""
        rc = _capi.lib().evo_result_add_artifact(self._h(), _b(name), _b(text))
        if rc != OK:
            raise error(rc, f"artifact {name!r}: {_capi.text(_capi.lib().evo_strerror(rc))}")


def _describe_exception(exc):
    return "".join(traceback.format_exception(type(exc), exc, exc.__traceback__)).strip()


class _PyEvaluator:
    """An evo_evaluator table whose callbacks call Python. Holds every ctypes object C points
    at (the callbacks, the name, the description) for as long as the engine may call them."""

    def __init__(self, evaluate, name, start, stop, describe, facts):
        self.evaluate_fn, self.start_fn, self.stop_fn = evaluate, start, stop
        self.name = _b(name)
        self.describe_buf = ctypes.create_string_buffer(_b(describe)) if describe else None
        self.facts_buf = ctypes.create_string_buffer(_b(json.dumps(facts) if isinstance(
            facts, dict) else facts)) if facts else None
        self.engine = None
        self.table = _capi.Evaluator()
        self.table.name = self.name
        self.table.evaluate = self._evaluate_cb = _capi.EVALUATE_FN(self._evaluate)
        if start:
            self.table.start = self._start_cb = _capi.START_FN(self._start)
        if stop:
            self.table.stop = self._stop_cb = _capi.STOP_FN(self._stop)
        if self.describe_buf is not None:
            self.table.describe = self._describe_cb = _capi.TEXT_FN(
                lambda user: ctypes.addressof(self.describe_buf))
        if self.facts_buf is not None:
            self.table.facts = self._facts_cb = _capi.TEXT_FN(
                lambda user: ctypes.addressof(self.facts_buf))

    def _evaluate(self, user, slot, g, r):
        res = Result(r)
        try:
            try:
                genome = Genome(g, slot)
                value = self.evaluate_fn(genome, res)
            except StopRun as exc:
                res.error = f"{self.name.decode()}: {exc}"
                return ERROR
            except Exception as exc:  # the candidate fails, the run goes on
                res.status = Status.RUNTIME_ERROR
                res.error = _describe_exception(exc)
                return OK
            if isinstance(value, bool) or not (value is None or isinstance(value, (int, float))):
                res.fail(Status.RUNTIME_ERROR, f"evaluate() returned {value!r}: return a "
                         "fitness (a number) or None after setting the result's status")
            elif value is not None and not math.isfinite(value):
                res.fail(Status.RUNTIME_ERROR, f"evaluate() returned a fitness of {value}")
            elif value is not None:
                if res.status == Status.PENDING:
                    res.status = Status.PASSED
                res.fitness = value
            elif res.status == Status.PENDING:
                res.fail(Status.RUNTIME_ERROR, "evaluate() returned no verdict: return a "
                         "fitness, or call result.passed(fitness) or result.fail(status, error)")
            return OK
        except BaseException as exc:  # a bug of ours or a SystemExit: stop, never pass
            try:
                res.error = "python evaluator: " + _describe_exception(exc)
            except BaseException:
                pass
            return ERROR
        finally:
            res._r = None

    def _start(self, user, e, concurrency):
        try:
            self.start_fn(self.engine, concurrency)
            return OK
        except BaseException as exc:
            _capi.lib().evo_engine_set_error(e, b"%s", _b(
                f"evaluator '{self.name.decode()}' failed to start: "
                f"{''.join(traceback.format_exception_only(type(exc), exc)).strip()}"))
            return ERROR

    def _stop(self, user):
        try:
            self.stop_fn()
        except BaseException:
            traceback.print_exc()


class Duplicate(Exception):
    """Raised by a Python operator when it could make no unseen child (EVO_EDUPLICATE)."""


class Mutation:
    """The context a Python operator works in (evo_mutation); valid only during the callback.
    parents: Genome copies with .fitness; parent_records: their records as dicts; island,
    task (the evaluator's description), options (the mutation knobs and the llm section)."""

    def __init__(self, m):
        L = _capi.lib()
        self._m = m
        n = L.evo_mutation_parent_count(m)
        self.parents = [Genome(L.evo_mutation_parent(m, i),
                               fitness=L.evo_mutation_parent_fitness(m, i)) for i in range(n)]
        self.island = L.evo_mutation_island(m)

    def _h(self):
        if self._m is None:
            raise RuntimeError("evo.Mutation used after its callback returned")
        return self._m

    @property
    def parent_records(self):
        L = _capi.lib()
        return [json.loads(_capi.text(L.evo_mutation_parent_json(self._h(), i)))
                for i in range(len(self.parents))]

    @property
    def task(self):
        return _capi.text(_capi.lib().evo_mutation_task(self._h()))

    @property
    def options(self):
        return json.loads(_capi.text(_capi.lib().evo_mutation_options(self._h())))

    def random(self):
        """A uniform 32-bit integer from the mutation's own PCG stream (reproducible)."""
        return _capi.lib().evo_mutation_random(self._h())

    def uniform(self):
        """A uniform float in [0, 1) from the same stream."""
        return _capi.lib().evo_mutation_uniform(self._h())

    def emit(self, source, params=None, template=None):
        """Emit the child: source (with its evo:params block) and params (a dict; None takes
        the source's defaults, keeping the first parent's shared values). Returns the child's
        Genome; raises SpaceError when the block or the assignment is invalid."""
        L = _capi.lib()
        rc = L.evo_mutation_emit(self._h(), _b(template), _b(source),
                                 None if params is None else _b(json.dumps(params)))
        if rc != OK:
            raise error(rc, _capi.text(L.evo_mutation_errmsg(self._m)))
        return Genome(L.evo_mutation_child(self._m))

    def seen(self, hash):
        """Whether a genome with this hash was evaluated already or is in flight."""
        return bool(_capi.lib().evo_mutation_seen(self._h(), _b(hash)))

    def note(self, name, text):
        """A named text kept with the child (a plan, a prompt)."""
        _capi.lib().evo_mutation_note(self._h(), _b(name), _b(text))

    def set_insight(self, text):
        """The lesson stored as this child's insight (in summarize)."""
        _capi.lib().evo_mutation_set_insight(self._h(), _b(text))


class _PyOperator:
    """An evo_operator table over Python functions, holding its callbacks alive."""

    def __init__(self, name, mutate, parents, repair, summarize):
        self.name = _b(name)
        self.mutate_fn, self.repair_fn, self.summarize_fn = mutate, repair, summarize
        self.table = _capi.Operator()
        self.table.name = self.name
        self.table.parents = parents
        self.table.mutate = self._mutate_cb = _capi.MUTATE_FN(self._mutate)
        if repair:
            self.table.repair = self._repair_cb = _capi.REPAIR_FN(self._repair)
        if summarize:
            self.table.summarize = self._summarize_cb = _capi.SUMMARIZE_FN(self._summarize)

    def _call(self, m, fn, *args, missing_child=True):
        mut = Mutation(m)
        L = _capi.lib()
        try:
            try:
                fn(mut, *args)
            except Duplicate as exc:
                if str(exc):
                    L.evo_mutation_fail(m, b"%s", _b(str(exc)))
                return EDUPLICATE
            except BaseException as exc:  # recorded as an INVALID candidate with the reason
                L.evo_mutation_fail(m, b"%s", _b(f"operator '{self.name.decode()}': " +
                                                 _describe_exception(exc)))
                return ERROR
            if missing_child and not L.evo_mutation_child(m):
                L.evo_mutation_fail(m, b"%s", _b(f"operator '{self.name.decode()}' emitted "
                                                 "no child: call m.emit(source, params)"))
                return ERROR
            return OK
        finally:
            mut._m = None

    def _mutate(self, user, m):
        return self._call(m, self.mutate_fn)

    def _repair(self, user, m, failed):
        L = _capi.lib()
        verdict = {"status": Status(L.evo_result_status(failed)),
                   "fitness": L.evo_result_fitness(failed)}
        rc = self._call(m, self.repair_fn, verdict)
        return ENOTFOUND if rc == EDUPLICATE else rc

    def _summarize(self, user, m, child, label):
        L = _capi.lib()
        verdict = {"status": Status(L.evo_result_status(child)),
                   "fitness": L.evo_result_fitness(child)}
        return self._call(m, self.summarize_fn, verdict, _capi.text(label), missing_child=False)


class Engine:
    """One search in one run directory (evo_engine). Engine(run_dir, config) starts a new run
    from a Config, a config file's path, or a dict; Engine.resume(run_dir) continues one.
    Use it as a context manager, or call close()."""

    def __init__(self, run_dir, config=None, *, _resume=False):
        self._h = ctypes.c_void_p()
        self._keep = []  # everything C may still call or read: evaluators, their buffers
        self._thread = None
        self._progress = None
        self._progress_error = None
        L = _capi.lib()
        if _resume:
            rc = L.evo_engine_resume(ctypes.byref(self._h), _b(os.fspath(run_dir)))
        else:
            cfg, owned = _as_config(config)
            try:
                rc = L.evo_engine_open(ctypes.byref(self._h), _b(os.fspath(run_dir)), cfg._h)
            finally:
                if owned:
                    cfg.close()
        if rc != OK:
            msg = self.errmsg
            self.close()
            raise error(rc, msg)

    @classmethod
    def resume(cls, run_dir):
        return cls(run_dir, _resume=True)

    def _check(self, rc):
        if rc != OK:
            raise error(rc, self.errmsg)

    def _handle(self):
        if not self._h:
            raise ValueError("the engine is closed")
        return self._h

    @property
    def errmsg(self):
        return _capi.text(_capi.lib().evo_errmsg(self._h))

    @property
    def run_dir(self):
        return _capi.text(_capi.lib().evo_engine_run_dir(self._handle()))

    @property
    def config(self):
        """The run's configuration as a dict (every default filled in)."""
        L = _capi.lib()
        return json.loads(_capi.text(L.evo_config_json(L.evo_engine_config(self._handle()))))

    @property
    def facts(self):
        """What the started evaluator knows (device, ceilings) as a dict."""
        return json.loads(_capi.text(_capi.lib().evo_engine_evaluator_facts(self._handle())))

    def configure(self):
        """Wire the engine as `evo run` does: evaluator.kind's evaluator and seeds, the LLM
        operator when it has a weight (evo_engine_configure). With kind "custom", nothing."""
        self._check(_capi.lib().evo_engine_configure(self._handle()))

    def add_seed(self, name, source):
        """A seed template: a source with an evo:params block."""
        self._check(_capi.lib().evo_engine_add_seed(self._handle(), _b(name), _b(source)))

    def set_constant(self, name, value):
        self._check(_capi.lib().evo_engine_set_constant(self._handle(), _b(name), int(value)))

    def set_evaluator(self, evaluate, *, name="python", start=None, stop=None, describe=None,
                      facts=None):
        """Score candidates with a Python function evaluate(genome, result): return the fitness
        (PASSED), or set result.passed()/result.fail() and return None. An exception fails the
        candidate (RUNTIME_ERROR with its traceback); evo.StopRun stops the run. evaluate is
        called from up to `concurrency` engine threads at once (genome.slot tells them apart).
        start(engine, concurrency) and stop() are optional; describe is the task text for LLM
        prompts, facts a dict shown by `evo status`."""
        if not callable(evaluate):
            raise TypeError("evaluate must be callable: evaluate(genome, result)")
        ev = _PyEvaluator(evaluate, name, start, stop, describe, facts)
        ev.engine = self
        rc = _capi.lib().evo_engine_set_evaluator(self._handle(), ctypes.byref(ev.table))
        self._check(rc)
        self._keep.append(ev)  # the engine copied the table; the callbacks must outlive it

    def add_operator(self, name, mutate, *, parents=1, repair=None, summarize=None):
        """A mutation operator written in Python, weighted by the config's operators.<name>
        (default weight 1) and chosen by the bandit with the built-in ones: mutate(m) reads
        m.parents and calls m.emit(source, params); raise evo.Duplicate when it can make
        nothing new; any other exception records an INVALID candidate with its text.
        Optional repair(m, verdict) emits a fixed child after a failure (raise Duplicate to
        give up); summarize(m, verdict, label) may m.set_insight(). Called from the engine's
        worker threads."""
        if not callable(mutate):
            raise TypeError("mutate must be callable: mutate(mutation)")
        op = _PyOperator(name, mutate, parents, repair, summarize)
        self._check(_capi.lib().evo_engine_add_operator(self._handle(), ctypes.byref(op.table)))
        self._keep.append(op)

    def set_progress(self, fn):
        """Call fn(progress) after every committed evaluation and once at the end (progress:
        a dict of evo_progress's fields, failures by status name, done True on the last call),
        on the thread that runs the search. An exception in fn stops the run softly and
        run() raises it. None removes the callback."""
        if fn is None:
            _capi.lib().evo_engine_set_progress(self._handle(), _capi.PROGRESS_FN(), None)
            self._progress = None
            return
        engine = self

        def cb(user, p):
            try:
                c = p.contents
                d = {name: getattr(c, name) for name, _ in _capi.PROGRESS_FIELDS}
                d["failures"] = {Status(i).name: n for i, n in enumerate(c.failures) if n}
                d["last_status"] = Status(c.last_status)
                d["done"] = bool(c.done)
                fn(d)
            except BaseException as exc:
                if engine._progress_error is None:
                    engine._progress_error = exc
                _capi.lib().evo_engine_interrupt(engine._h, 0)

        self._progress = _capi.PROGRESS_FN(cb)  # kept alive as long as the engine may call it
        _capi.lib().evo_engine_set_progress(self._handle(), self._progress, None)

    def interrupt(self, hard=False):
        """Ask the run to stop (thread-safe; callable from an evaluator): soft finishes and
        commits what is in flight, hard abandons it. run() then raises RunInterrupted."""
        if self._h:
            _capi.lib().evo_engine_interrupt(self._h, 1 if hard else 0)

    def run(self):
        """Search until a stop condition holds (evo_engine_run). Raises EvoError (the class of
        its code) on failure, RunInterrupted after interrupt(), KeyboardInterrupt after Ctrl-C
        once the engine has stopped and committed."""
        h = self._handle()
        box = {"rc": ERROR}
        done = threading.Event()

        def body():
            try:
                box["rc"] = _capi.lib().evo_engine_run(h)
            finally:
                done.set()

        t = threading.Thread(target=body, name="evo-engine", daemon=True)
        self._thread = t
        t.start()
        signals = 0
        while True:
            try:
                while not done.wait(0.1):
                    pass
                break
            except KeyboardInterrupt:
                signals += 1
                _capi.lib().evo_engine_interrupt(h, 1 if signals > 1 else 0)
        t.join()
        self._thread = None
        perr, self._progress_error = self._progress_error, None
        if perr is not None:
            raise perr
        if signals:
            raise KeyboardInterrupt(f"evo: run interrupted; {self.errmsg or 'stopped'}")
        self._check(box["rc"])

    def close(self):
        """Stop workers, commit, release the directory (evo_engine_close); the engine calls
        the evaluators' stop and destroy here."""
        if getattr(self, "_thread", None) is not None:
            raise RuntimeError("Engine.close() while run() is in progress")
        h = getattr(self, "_h", None)
        if h:
            _capi.lib().evo_engine_close(h)
            self._h = ctypes.c_void_p()
        self._keep = []

    def __del__(self):
        if getattr(self, "_thread", None) is None:
            self.close()

    def __enter__(self):
        return self

    def __exit__(self, *exc):
        self.close()


def run_config(config, run_dir):
    """Run a config as `evo run` does (load, open, configure, run, close) and return the run
    for reading. config is a path, a dict or a Config. Raises EvoError subclasses: ConfigError,
    NoGPUError (a GPU config on a machine without one), BusyError, StoreError..."""
    from ._run import Run
    with Engine(run_dir, config) as e:
        e.configure()
        e.run()
    return Run(run_dir)


def search(config, run_dir, evaluate, seeds, **evaluator_options):
    """A search scored by a Python evaluate(genome, result) (see Engine.set_evaluator) from
    seeds ({name: source with an evo:params block}); config is a path, dict or Config (its
    evaluator.kind is set to "custom" when it is a dict without one). Returns the Run."""
    from ._run import Run
    if isinstance(config, dict):
        config = json.loads(json.dumps(config))
        config.setdefault("evaluator", {}).setdefault("kind", "custom")
    with Engine(run_dir, config) as e:
        e.configure()
        e.set_evaluator(evaluate, **evaluator_options)
        for name, source in seeds.items():
            e.add_seed(name, source)
        e.run()
    return Run(run_dir)


__all__ = ["Config", "Duplicate", "Engine", "Genome", "Mutation", "Result", "run_config",
           "search"]
