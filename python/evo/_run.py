"""_run.py -- a run directory read through libevo's read-only view (evo_run): its status, its
candidates, the best, and the fitness log as a list of dicts or a pandas DataFrame."""
import csv
import ctypes
import io
import json
import os

from . import _capi
from ._errors import OK, ESTORE, NotFoundError, Status, error


class Candidate:
    """One committed candidate: id, status (a Status), fitness, template, operator, parents
    (ids), source, params (name -> macro text), hash, island, error, and record (the full
    record as a dict: metrics, workloads, notes, timings)."""

    def __init__(self, c):
        L = _capi.lib()
        g = L.evo_candidate_genome(c)
        self.record = json.loads(_capi.text(L.evo_candidate_json(c)))
        self.id = L.evo_candidate_id(c)
        self.status = Status(L.evo_candidate_status(c))
        self.fitness = L.evo_candidate_fitness(c)
        self.template = _capi.text(L.evo_genome_template(g)) if g else self.record.get("template")
        self.source = _capi.text(L.evo_genome_source(g)) if g else None
        self.params = {}
        for i in range(L.evo_genome_param_count(g) if g else 0):
            self.params[_capi.text(L.evo_genome_param_name(g, i))] = _capi.text(
                L.evo_genome_param_value(g, i))
        self.rendered = _capi.take_string(L.evo_candidate_render(c))
        r = self.record
        self.hash = r.get("hash")
        self.operator = r.get("operator")
        self.parents = list(r.get("parents") or [])
        self.island = r.get("island")
        self.error = r.get("error")
        self.workloads = r.get("workloads") or {}

    def as_dict(self):
        return {"id": self.id, "status": self.status.name, "fitness": self.fitness,
                "template": self.template, "operator": self.operator, "parents": self.parents,
                "params": self.params, "hash": self.hash, "island": self.island,
                "error": self.error}

    def __repr__(self):
        return (f"Candidate(#{self.id} {self.status.name} fitness={self.fitness:.4g} "
                f"{self.operator} {self.params})")


_INT_COLUMNS = ("index", "island", "id", "best_id")
_TEXT_COLUMNS = ("parents", "operator", "template", "status", "label")


def _field(key, s):
    """A CSV field as the log's JSON had it: ids as ints, figures as floats (the CSV writes
    1.0 as "1"), names as text, empty as None."""
    if s == "" or s is None:
        return None
    if key in _TEXT_COLUMNS:
        return s
    try:
        return int(s) if key in _INT_COLUMNS else float(s)
    except ValueError:
        return s


class Run:
    """A run directory, read-only (evo_run_open): usable while another process runs the search
    (not while an Engine of this process holds the same directory). A context manager."""

    def __init__(self, run_dir):
        self.run_dir = os.fspath(run_dir)
        self._h = ctypes.c_void_p()
        rc = _capi.lib().evo_run_open(ctypes.byref(self._h), os.fsencode(self.run_dir))
        if rc != OK:
            msg = self.errmsg
            self.close()
            raise error(rc, msg)

    @property
    def errmsg(self):
        return _capi.text(_capi.lib().evo_run_errmsg(self._h)) if self._h else "out of memory"

    def _handle(self):
        if not self._h:
            raise ValueError("the run is closed")
        return self._h

    def _string(self, fn, *args):
        out = ctypes.c_void_p()
        rc = fn(self._handle(), *args, ctypes.byref(out))
        text = _capi.take_string(out.value)
        if rc != OK:
            raise error(rc, self.errmsg)
        return text

    def status(self):
        """The run's status (counters, best, islands, operators, budgets) as a dict."""
        return json.loads(self._string(_capi.lib().evo_run_status_json))

    def config(self):
        """The configuration the run was started with, every default filled in."""
        out, base = ctypes.c_void_p(), ctypes.c_void_p()
        rc = _capi.lib().evo_run_config(self._handle(), ctypes.byref(out), ctypes.byref(base))
        text, _ = _capi.take_string(out.value), _capi.take_string(base.value)
        if rc != OK:
            raise error(rc, self.errmsg)
        return json.loads(text)

    def __len__(self):
        n = _capi.lib().evo_run_count(self._handle())
        if n < 0:
            raise error(ESTORE, self.errmsg)
        return n

    count = property(__len__)

    def _candidate(self, call):
        c = ctypes.c_void_p()
        rc = call(ctypes.byref(c))
        try:
            if rc != OK:
                raise error(rc, self.errmsg)
            return Candidate(c)
        finally:
            if c:
                _capi.lib().evo_candidate_free(c)

    def candidate(self, id):
        """Candidate #id (1..len(run)); NotFoundError when there is none."""
        return self._candidate(lambda out: _capi.lib().evo_run_candidate(
            self._handle(), int(id), out))

    def best(self):
        """The best PASSED candidate, or None when none has passed."""
        try:
            return self._candidate(lambda out: _capi.lib().evo_run_best(self._handle(), out))
        except NotFoundError:
            return None

    def candidates(self):
        """Every committed candidate, in id order."""
        return [self.candidate(i) for i in range(1, len(self) + 1)]

    def __iter__(self):
        return iter(self.candidates())

    def log_csv(self):
        """The fitness log as CSV text (evo_run_log_csv: fixed columns, then one per workload
        figure, "w0.speedup"; parents joined with ';')."""
        return self._string(_capi.lib().evo_run_log_csv)

    def log(self):
        """The fitness log as a list of dicts, one per committed candidate, numbers as numbers
        and parents as a list of ids."""
        rows = []
        for row in csv.DictReader(io.StringIO(self.log_csv())):
            d = {k: _field(k, v) for k, v in row.items()}
            p = row.get("parents", "")
            d["parents"] = [int(x) for x in p.split(";")] if p else []
            rows.append(d)
        return rows

    def log_frame(self):
        """The fitness log as a pandas DataFrame (pandas is imported here, and only here)."""
        try:
            import pandas
        except ImportError as exc:
            raise ImportError("evo.Run.log_frame() needs pandas (pip install pandas, or "
                              "apt-get install python3-pandas); Run.log() gives the same rows "
                              "as a list of dicts") from exc
        return pandas.read_csv(io.StringIO(self.log_csv()), dtype={"parents": str},
                               keep_default_na=True)

    def close(self):
        h = getattr(self, "_h", None)
        if h:
            _capi.lib().evo_run_close(h)
        self._h = None

    __del__ = close

    def __enter__(self):
        return self

    def __exit__(self, *exc):
        self.close()

    def __repr__(self):
        return f"Run({self.run_dir!r})"
