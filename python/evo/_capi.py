"""_capi.py -- libevo found, loaded and declared: every C function the binding calls, with its
signature as evo/evo.h writes it.

FUNCTIONS is the one table of what is bound: (name, C return type, C parameter types), the
types spelled as in the header. ctypes argtypes/restype are derived from it, and the tests parse
evo/evo.h and compare it with this table, so a header change that alters a bound signature
fails a test instead of corrupting memory. EVALUATOR_FIELDS does the same for struct
evo_evaluator, which the binding fills in.

Where the library is looked for, in order: the path given to load(), $EVO_LIBRARY, a build
folder of the repository the package sits in or was installed from (build/libevo.so), then
the system's (ctypes.util.find_library, pkg-config's libdir of evo)."""
import ctypes
import ctypes.util
import os
import subprocess
import threading

# C type (canonical spelling: tokens joined by one space) -> ctypes type. Opaque handles are
# void pointers; strings the caller frees come back as void pointers so they can be freed.
_P = ctypes.POINTER
TYPES = {
    "void": None,
    "int": ctypes.c_int,
    "double": ctypes.c_double,
    "size_t": ctypes.c_size_t,
    "int64_t": ctypes.c_int64,
    "uint32_t": ctypes.c_uint32,
    "evo_status": ctypes.c_int,
    "int64_t *": _P(ctypes.c_int64),
    "int *": _P(ctypes.c_int),
    "size_t *": _P(ctypes.c_size_t),
    "const char *": ctypes.c_char_p,
    "char *": ctypes.c_void_p,  # as a return: caller frees with evo_free
    "char **": _P(ctypes.c_void_p),
    "void *": ctypes.c_void_p,
    "const void *": ctypes.c_void_p,
    "const char * const *": _P(ctypes.c_char_p),
    "...": None,  # variadic tail: the binding always passes "%s" and one string
}
for _h in ("evo_config", "evo_engine", "evo_run", "evo_candidate", "evo_genome", "evo_result",
           "evo_mutation"):
    TYPES[f"{_h} *"] = ctypes.c_void_p
    TYPES[f"const {_h} *"] = ctypes.c_void_p
    TYPES[f"{_h} **"] = _P(ctypes.c_void_p)


def _fn(ret, *params):
    return ctypes.CFUNCTYPE(TYPES[ret], *[TYPES[p] for p in params])


# struct evo_evaluator, field by field (a function pointer as (return, [params])).
EVALUATOR_FIELDS = [
    ("name", "const char *"),
    ("user", "void *"),
    ("start", ("int", ["void *", "evo_engine *", "int"])),
    ("evaluate", ("int", ["void *", "int", "const evo_genome *", "evo_result *"])),
    ("describe", ("const char *", ["void *"])),
    ("stop", ("void", ["void *"])),
    ("confirm", ("int", ["void *", "int", "const evo_genome *", "const evo_genome *", "int",
                         "double *", "double *", "evo_result *"])),
    ("facts", ("const char *", ["void *"])),
    ("destroy", ("void", ["void *"])),
]
TYPES["double *"] = _P(ctypes.c_double)

# Callback types. Returns that C reads as a string are declared void pointers: a c_char_p
# return of a Python callback would point into a freed temporary.
START_FN = _fn("int", "void *", "evo_engine *", "int")
EVALUATE_FN = _fn("int", "void *", "int", "const evo_genome *", "evo_result *")
TEXT_FN = ctypes.CFUNCTYPE(ctypes.c_void_p, ctypes.c_void_p)
STOP_FN = _fn("void", "void *")
CONFIRM_FN = _fn("int", "void *", "int", "const evo_genome *", "const evo_genome *", "int",
                 "double *", "double *", "evo_result *")


class Evaluator(ctypes.Structure):
    _fields_ = [
        ("name", ctypes.c_char_p),
        ("user", ctypes.c_void_p),
        ("start", START_FN),
        ("evaluate", EVALUATE_FN),
        ("describe", TEXT_FN),
        ("stop", STOP_FN),
        ("confirm", CONFIRM_FN),
        ("facts", TEXT_FN),
        ("destroy", STOP_FN),
    ]


TYPES["const evo_evaluator *"] = _P(Evaluator)

# struct evo_operator.
OPERATOR_FIELDS = [
    ("name", "const char *"),
    ("parents", "int"),
    ("user", "void *"),
    ("mutate", ("int", ["void *", "evo_mutation *"])),
    ("repair", ("int", ["void *", "evo_mutation *", "const evo_result *"])),
    ("summarize", ("int", ["void *", "evo_mutation *", "const evo_result *", "const char *"])),
    ("destroy", ("void", ["void *"])),
]
MUTATE_FN = _fn("int", "void *", "evo_mutation *")
REPAIR_FN = _fn("int", "void *", "evo_mutation *", "const evo_result *")
SUMMARIZE_FN = _fn("int", "void *", "evo_mutation *", "const evo_result *", "const char *")


class Operator(ctypes.Structure):
    _fields_ = [
        ("name", ctypes.c_char_p),
        ("parents", ctypes.c_int),
        ("user", ctypes.c_void_p),
        ("mutate", MUTATE_FN),
        ("repair", REPAIR_FN),
        ("summarize", SUMMARIZE_FN),
        ("destroy", STOP_FN),
    ]


TYPES["const evo_operator *"] = _P(Operator)

# struct evo_progress, read by Engine.set_progress's callback.
STATUS_COUNT = 12  # EVO_STATUS_COUNT; the tests check it against the header
PROGRESS_FIELDS = [
    ("evaluations", "int64_t"),
    ("cached", "int64_t"),
    ("failures", "int64_t [EVO_STATUS_COUNT]"),
    ("best_fitness", "double"),
    ("best_id", "int64_t"),
    ("elapsed_s", "double"),
    ("budget_s", "double"),
    ("max_evaluations", "int64_t"),
    ("llm_cost_usd", "double"),
    ("llm_tokens", "int64_t"),
    ("last_id", "int64_t"),
    ("last_status", "evo_status"),
    ("last_fitness", "double"),
    ("done", "int"),
]
TYPES["int64_t [EVO_STATUS_COUNT]"] = ctypes.c_int64 * STATUS_COUNT


class Progress(ctypes.Structure):
    _fields_ = [(name, TYPES[t]) for name, t in PROGRESS_FIELDS]


TYPES["const evo_progress *"] = _P(Progress)
PROGRESS_FN = ctypes.CFUNCTYPE(None, ctypes.c_void_p, _P(Progress))
TYPES["evo_progress_fn"] = PROGRESS_FN

FUNCTIONS = [
    # evo_status.h
    ("evo_version", "const char *", []),
    ("evo_strerror", "const char *", ["int"]),
    ("evo_free", "void", ["void *"]),
    ("evo_status_name", "const char *", ["evo_status"]),
    ("evo_status_from_name", "int", ["const char *"]),
    # configuration
    ("evo_config_load", "int", ["const char *", "evo_config **", "char *", "size_t"]),
    ("evo_config_parse", "int",
     ["const char *", "const char *", "evo_config **", "char *", "size_t"]),
    ("evo_config_free", "void", ["evo_config *"]),
    ("evo_config_json", "const char *", ["const evo_config *"]),
    ("evo_config_path", "const char *", ["const evo_config *"]),
    # genomes
    ("evo_genome_source", "const char *", ["const evo_genome *"]),
    ("evo_genome_template", "const char *", ["const evo_genome *"]),
    ("evo_genome_hash", "const char *", ["const evo_genome *"]),
    ("evo_genome_param_count", "int", ["const evo_genome *"]),
    ("evo_genome_param_name", "const char *", ["const evo_genome *", "int"]),
    ("evo_genome_param_value", "const char *", ["const evo_genome *", "int"]),
    ("evo_genome_param_int", "int", ["const evo_genome *", "const char *", "int64_t *"]),
    # results
    ("evo_result_set_status", "void", ["evo_result *", "evo_status"]),
    ("evo_result_set_fitness", "void", ["evo_result *", "double"]),
    ("evo_result_set_error", "void", ["evo_result *", "const char *", "..."]),
    ("evo_result_add_metric", "int", ["evo_result *", "const char *", "const char *", "double"]),
    ("evo_result_add_artifact", "int", ["evo_result *", "const char *", "const char *"]),
    ("evo_result_status", "evo_status", ["const evo_result *"]),
    ("evo_result_fitness", "double", ["const evo_result *"]),
    # mutations (a user operator's context)
    ("evo_mutation_random", "uint32_t", ["evo_mutation *"]),
    ("evo_mutation_uniform", "double", ["evo_mutation *"]),
    ("evo_mutation_parent_count", "int", ["const evo_mutation *"]),
    ("evo_mutation_parent", "const evo_genome *", ["const evo_mutation *", "int"]),
    ("evo_mutation_parent_fitness", "double", ["const evo_mutation *", "int"]),
    ("evo_mutation_parent_json", "const char *", ["const evo_mutation *", "int"]),
    ("evo_mutation_task", "const char *", ["const evo_mutation *"]),
    ("evo_mutation_island", "int", ["const evo_mutation *"]),
    ("evo_mutation_options", "const char *", ["const evo_mutation *"]),
    ("evo_mutation_emit", "int",
     ["evo_mutation *", "const char *", "const char *", "const char *"]),
    ("evo_mutation_child", "const evo_genome *", ["const evo_mutation *"]),
    ("evo_mutation_seen", "int", ["const evo_mutation *", "const char *"]),
    ("evo_mutation_fail", "void", ["evo_mutation *", "const char *", "..."]),
    ("evo_mutation_errmsg", "const char *", ["const evo_mutation *"]),
    ("evo_mutation_note", "void", ["evo_mutation *", "const char *", "const char *"]),
    ("evo_mutation_set_insight", "void", ["evo_mutation *", "const char *"]),
    # engine
    ("evo_engine_open", "int", ["evo_engine **", "const char *", "const evo_config *"]),
    ("evo_engine_resume", "int", ["evo_engine **", "const char *"]),
    ("evo_engine_close", "void", ["evo_engine *"]),
    ("evo_errmsg", "const char *", ["const evo_engine *"]),
    ("evo_engine_set_error", "void", ["evo_engine *", "const char *", "..."]),
    ("evo_engine_config", "const evo_config *", ["const evo_engine *"]),
    ("evo_engine_run_dir", "const char *", ["const evo_engine *"]),
    ("evo_engine_add_seed", "int", ["evo_engine *", "const char *", "const char *"]),
    ("evo_engine_set_evaluator", "int", ["evo_engine *", "const evo_evaluator *"]),
    ("evo_engine_add_operator", "int", ["evo_engine *", "const evo_operator *"]),
    ("evo_engine_set_constant", "int", ["evo_engine *", "const char *", "int64_t"]),
    ("evo_engine_set_progress", "void", ["evo_engine *", "evo_progress_fn", "void *"]),
    ("evo_engine_run", "int", ["evo_engine *"]),
    ("evo_engine_interrupt", "void", ["evo_engine *", "int"]),
    ("evo_engine_configure", "int", ["evo_engine *"]),
    ("evo_engine_evaluator_facts", "const char *", ["evo_engine *"]),
    # run directories
    ("evo_run_open", "int", ["evo_run **", "const char *"]),
    ("evo_run_close", "void", ["evo_run *"]),
    ("evo_run_errmsg", "const char *", ["const evo_run *"]),
    ("evo_run_status_json", "int", ["evo_run *", "char **"]),
    ("evo_run_count", "int64_t", ["evo_run *"]),
    ("evo_run_candidate", "int", ["evo_run *", "int64_t", "evo_candidate **"]),
    ("evo_run_best", "int", ["evo_run *", "evo_candidate **"]),
    ("evo_candidate_free", "void", ["evo_candidate *"]),
    ("evo_candidate_id", "int64_t", ["const evo_candidate *"]),
    ("evo_candidate_status", "evo_status", ["const evo_candidate *"]),
    ("evo_candidate_fitness", "double", ["const evo_candidate *"]),
    ("evo_candidate_genome", "const evo_genome *", ["const evo_candidate *"]),
    ("evo_candidate_json", "const char *", ["const evo_candidate *"]),
    ("evo_candidate_render", "char *", ["const evo_candidate *"]),
    ("evo_run_config", "int", ["evo_run *", "char **", "char **"]),
    ("evo_run_log_csv", "int", ["evo_run *", "char **"]),
    ("evo_run_validation", "int", ["evo_run *", "int64_t", "char **"]),
]

_lock = threading.Lock()
_lib = None
_lib_path = None


def _declare(lib):
    for name, ret, params in FUNCTIONS:
        f = getattr(lib, name)  # AttributeError names the missing symbol
        fixed = [p for p in params if p != "..."]
        f.restype = TYPES[ret]
        f.argtypes = [TYPES[p] for p in fixed]
    return lib


def _candidates():
    env = os.environ.get("EVO_LIBRARY")
    if env:
        yield env
        return  # an explicit choice is not second-guessed
    here = os.path.dirname(os.path.abspath(__file__))
    roots = []
    if os.path.exists(os.path.join(os.path.dirname(here), "pyproject.toml")):
        roots.append(os.path.dirname(os.path.dirname(here)))  # the source tree: python/evo/
    try:
        from . import _origin  # written by the wheel build: the repository it came from
        roots.append(_origin.REPO)
    except ImportError:
        pass
    for root in roots:
        yield os.path.join(root, "build", "libevo.so")  # tried even when absent: named then
    found = ctypes.util.find_library("evo")
    yield found or "find_library('evo') (none on the system's search path)"
    try:
        libdir = subprocess.run(["pkg-config", "--variable=libdir", "evo"], capture_output=True,
                                text=True, timeout=10).stdout.strip()
        if libdir:
            yield os.path.join(libdir, "libevo.so")
    except (OSError, subprocess.SubprocessError):
        pass


def _find_worker(libpath):
    """The GPU evaluator starts evo-worker from $EVO_WORKER, beside the running program (here
    the Python interpreter) or the install's libexec/evo; a build folder has it beside
    libevo.so, so point $EVO_WORKER there unless the user has set it."""
    if os.environ.get("EVO_WORKER"):
        return
    beside = os.path.join(os.path.dirname(os.path.realpath(libpath)), "evo-worker")
    if os.access(beside, os.X_OK):
        os.environ["EVO_WORKER"] = beside


def load(path=None):
    """Load libevo (once per process) and return the ctypes library. path (or $EVO_LIBRARY)
    names the file; without either the package searches (module docstring). Raises OSError
    naming every place tried."""
    global _lib, _lib_path
    with _lock:
        if _lib is not None:
            if path and os.path.realpath(path) != os.path.realpath(_lib_path):
                raise OSError(f"libevo is already loaded from {_lib_path}; "
                              f"cannot load {path} as well")
            return _lib
        tried = []
        for p in [path] if path else _candidates():
            if p.startswith("find_library"):
                tried.append(p)
                continue
            try:
                lib = ctypes.CDLL(p)
            except OSError as exc:
                tried.append(f"{p}: {exc}")
                continue
            _lib, _lib_path = _declare(lib), p
            _find_worker(p)
            return _lib
        raise OSError("libevo not found; tried: " + ("; ".join(tried) or "nothing") +
                      ". Set EVO_LIBRARY to the path of libevo.so (build/libevo.so after "
                      "`cmake --build build`), or pass it to evo.load_library().")


def lib():
    return _lib if _lib is not None else load()


def library_path():
    lib()
    return _lib_path


def take_string(ptr):
    """A char * the caller frees: its text, and the memory handed back to evo_free."""
    if not ptr:
        return None
    try:
        return ctypes.string_at(ptr).decode("utf-8", "replace")
    finally:
        lib().evo_free(ptr)


def text(b):
    return b.decode("utf-8", "replace") if b is not None else None
