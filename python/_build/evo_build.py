"""evo_build -- the in-tree PEP 517 backend that builds the evo binding's wheel.

The package is pure Python, so a wheel is a zip of evo/ plus its metadata; building it here
needs nothing from the network or from site-packages (setuptools in a fresh venv lacks the
`wheel` package on Debian 12), so `pip install ./python` works offline, with or without build
isolation."""
import base64
import hashlib
import os
import zipfile

NAME = "evo"
VERSION = "0.1.0"
HERE = os.path.dirname(os.path.dirname(os.path.abspath(__file__)))
TAG = "py3-none-any"

METADATA = f"""Metadata-Version: 2.1
Name: {NAME}
Version: {VERSION}
Summary: Python binding (ctypes) of libevo, the evolutionary search engine for GPU kernels
Requires-Python: >=3.8
Provides-Extra: pandas
Requires-Dist: pandas; extra == "pandas"

ctypes over libevo's public API (evo/evo.h): run a config, read a run, drive a search with an
evaluator written in Python. See README.md of the evo repository.
"""

WHEEL = f"""Wheel-Version: 1.0
Generator: evo_build {VERSION}
Root-Is-Purelib: true
Tag: {TAG}
"""


def _package_files():
    root = os.path.join(HERE, NAME)
    for dirpath, dirnames, filenames in os.walk(root):
        dirnames[:] = sorted(d for d in dirnames if d != "__pycache__")
        for f in sorted(filenames):
            if f.endswith(".py"):
                full = os.path.join(dirpath, f)
                yield full, os.path.relpath(full, HERE).replace(os.sep, "/")


def _record_line(arcname, data):
    digest = base64.urlsafe_b64encode(hashlib.sha256(data).digest()).rstrip(b"=").decode()
    return f"{arcname},sha256={digest},{len(data)}"


def _write_wheel(wheel_directory, extra=()):
    dist_info = f"{NAME}-{VERSION}.dist-info"
    wheel_name = f"{NAME}-{VERSION}-{TAG}.whl"
    records = []
    with zipfile.ZipFile(os.path.join(wheel_directory, wheel_name), "w",
                         zipfile.ZIP_DEFLATED) as z:
        entries = [(arc, open(full, "rb").read()) for full, arc in _package_files()]
        entries += list(extra)
        entries += [(f"{dist_info}/METADATA", METADATA.encode()),
                    (f"{dist_info}/WHEEL", WHEEL.encode())]
        for arc, data in entries:
            z.writestr(arc, data)
            records.append(_record_line(arc, data))
        records.append(f"{dist_info}/RECORD,,")
        z.writestr(f"{dist_info}/RECORD", "\n".join(records) + "\n")
    return wheel_name


def get_requires_for_build_wheel(config_settings=None):
    return []


def get_requires_for_build_editable(config_settings=None):
    return []


def build_wheel(wheel_directory, config_settings=None, metadata_directory=None):
    # The repository the wheel came from, where the package looks for build/libevo.so.
    origin = f"REPO = {os.path.dirname(HERE)!r}\n".encode()
    return _write_wheel(wheel_directory, [(f"{NAME}/_origin.py", origin)])


def build_editable(wheel_directory, config_settings=None, metadata_directory=None):
    # A .pth file that puts this folder on sys.path: edits to evo/ take effect at once.
    pth = (f"{NAME}_editable.pth", (HERE + "\n").encode())
    dist_info = f"{NAME}-{VERSION}.dist-info"
    wheel_name = f"{NAME}-{VERSION}-{TAG}.whl"
    records = []
    with zipfile.ZipFile(os.path.join(wheel_directory, wheel_name), "w") as z:
        for arc, data in [pth, (f"{dist_info}/METADATA", METADATA.encode()),
                          (f"{dist_info}/WHEEL", WHEEL.encode())]:
            z.writestr(arc, data)
            records.append(_record_line(arc, data))
        records.append(f"{dist_info}/RECORD,,")
        z.writestr(f"{dist_info}/RECORD", "\n".join(records) + "\n")
    return wheel_name
