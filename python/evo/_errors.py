"""_errors.py -- return codes, candidate statuses, and the exceptions that carry them.

Every failing call of libevo raises EvoError (or the subclass for its code) with the message
the library kept (evo_errmsg, evo_run_errmsg, or the loader's buffer) and the EVO_E* code, so
`except evo.NoGPUError` catches a GPU config run on a machine without one."""
import enum

OK = 0
ERROR = 1
ENOMEM = 2
EIO = 3
ECONFIG = 4
ESPACE = 5
ESTORE = 6
EBUSY = 7
ECOMPILE = 8
ECUDA = 9
ENOGPU = 10
ELLM = 11
EBUDGET = 12
EINTERRUPT = 13
ENOTFOUND = 14
EDUPLICATE = 15
EINVAL = 16

CODE_NAMES = {v: "EVO_" + k for k, v in dict(globals()).items()
              if k.isupper() and isinstance(v, int)}


class Status(enum.IntEnum):
    """Candidate statuses (evo_status in evo/base/evo_status.h)."""
    PENDING = 0
    PASSED = 1
    INCORRECT_SHAPE = 2
    INCORRECT_NUMERICAL = 3
    INCORRECT_DTYPE = 4
    RUNTIME_ERROR = 5
    COMPILE_ERROR = 6
    TIMEOUT = 7
    GUARD_VIOLATION = 8
    INVALID = 9
    HARNESS_TAMPERED = 10
    BEYOND_FLOOR = 11


class EvoError(Exception):
    """A libevo call failed. code is the EVO_E* number, code_name its name ("EVO_ENOGPU"),
    message the library's text."""

    def __init__(self, code, message):
        self.code = code
        self.code_name = CODE_NAMES.get(code, f"EVO_E{code}")
        self.message = message
        super().__init__(f"{message} [{self.code_name}]")


class ConfigError(EvoError):
    """EVO_ECONFIG: the configuration is invalid (the message names file, line, key)."""


class SpaceError(EvoError):
    """EVO_ESPACE: a parameter space is malformed or has no valid point."""


class StoreError(EvoError):
    """EVO_ESTORE: the run store is corrupt, foreign, or already holds a run."""


class BusyError(EvoError):
    """EVO_EBUSY: another process holds the run directory."""


class NoGPUError(EvoError):
    """EVO_ENOGPU: no CUDA device is available."""


class NotFoundError(EvoError):
    """EVO_ENOTFOUND: no such candidate, key or file."""


class RunInterrupted(EvoError):
    """EVO_EINTERRUPT: the run stopped at Engine.interrupt(); what was in flight is committed
    (soft) or abandoned (hard), and the run can be resumed."""


_CLASSES = {ECONFIG: ConfigError, ESPACE: SpaceError, ESTORE: StoreError, EBUSY: BusyError,
            ENOGPU: NoGPUError, ENOTFOUND: NotFoundError, EINTERRUPT: RunInterrupted}


def error(code, message):
    return _CLASSES.get(code, EvoError)(code, message)


class StopRun(Exception):
    """Raised by a Python evaluator to stop the whole run (evaluate returns an error code to
    the engine; Engine.run raises EvoError with this message). Any other exception only fails
    the candidate being evaluated."""
