"""evo -- the Python binding of libevo (ctypes over the public API, evo/evo.h).

    import evo
    run = evo.run_config("configs/synthetic.json", "runs/synthetic")  # as `evo run` does
    print(run.best(), run.status()["best"])
    df = run.log_frame()                      # the fitness log as a pandas DataFrame

    def evaluate(genome, result):             # called per candidate, from engine threads
        return score(genome.params["TILE"])   # the fitness; or result.fail(status, error)
    run = evo.search({"stop": {"max_evaluations": 50}}, "runs/mine", evaluate,
                     seeds={"mine": "/* evo:params\\n TILE pow2 4..128 default 8\\n*/\\n"})

libevo is found at load_library(path), $EVO_LIBRARY, the repository's build/libevo.so, or
the system's (_capi.py). Errors raise EvoError subclasses carrying the EVO_E* code."""
from ._capi import library_path, load as load_library
from ._errors import (BusyError, ConfigError, EvoError, NoGPUError, NotFoundError,
                      RunInterrupted, SpaceError, Status, StopRun, StoreError)
from ._errors import (OK, ERROR, ENOMEM, EIO, ECONFIG, ESPACE, ESTORE, EBUSY, ECOMPILE, ECUDA,
                      ENOGPU, ELLM, EBUDGET, EINTERRUPT, ENOTFOUND, EDUPLICATE, EINVAL)
from ._engine import Config, Duplicate, Engine, Genome, Mutation, Result, run_config, search
from ._run import Candidate, Run

__version__ = "0.1.0"

__all__ = ["BusyError", "Candidate", "Config", "ConfigError", "Duplicate", "Engine", "EvoError",
           "Genome", "Mutation", "NoGPUError", "NotFoundError", "Result", "Run",
           "RunInterrupted", "SpaceError", "Status", "StopRun", "StoreError", "library_path",
           "load_library", "run_config", "search", "version", "OK", "ERROR", "ENOMEM", "EIO",
           "ECONFIG", "ESPACE", "ESTORE", "EBUSY", "ECOMPILE", "ECUDA", "ENOGPU", "ELLM",
           "EBUDGET", "EINTERRUPT", "ENOTFOUND", "EDUPLICATE", "EINVAL"]


def version():
    """libevo's version string (evo_version)."""
    from . import _capi
    return _capi.text(_capi.lib().evo_version())
