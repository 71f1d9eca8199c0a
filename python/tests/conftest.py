"""Shared fixtures: the repository root (for configs/ and evo/evo.h) and a small custom-
evaluator config. libevo comes from $EVO_LIBRARY (tests/test_python.sh sets it to the build's
libevo.so) or the package's own search."""
import os

import pytest

REPO = os.environ.get("EVO_SOURCE_DIR") or os.path.dirname(os.path.dirname(os.path.dirname(
    os.path.abspath(__file__))))

SEED = "/* evo:params\n A range 0..15 default 0\n B range 0..15 default 0\n*/\n"


def custom_config(**over):
    cfg = {"name": "py", "seed": 3, "concurrency": 4, "evaluator": {"kind": "custom"},
           "store": {"sync": "none"}, "stop": {"max_evaluations": 40}}
    cfg.update(over)
    return cfg


@pytest.fixture
def repo():
    return REPO


def pytest_report_header(config):
    import evo
    return f"evo binding: {evo.__file__}; libevo: {evo.library_path()}"
