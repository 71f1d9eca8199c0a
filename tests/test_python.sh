#!/usr/bin/env bash
# test_python.sh -- the Python binding (python/) as a user gets it: `pip install ./python` into
# a throwaway venv under the build folder (--system-site-packages, so Debian's pytest and
# pandas serve; --no-index: nothing from the network), then its pytest suite against this
# build's libevo.so: the signature table against evo/evo.h, configs/synthetic.json run and
# read back, Python evaluators under concurrency 4, exceptions, interrupts. CPU only.
# Env (set by ctest): EVO_BUILD_DIR, EVO_SOURCE_DIR; cwd = repository root.
set -u
BUILD=${EVO_BUILD_DIR:?set EVO_BUILD_DIR to the build folder}
SRC=${EVO_SOURCE_DIR:-$PWD}
lib=$BUILD/libevo.so
[ -e "$lib" ] || { echo "FAILED: $lib not built"; exit 1; }

# A sanitized libevo cannot be loaded by a Python that is not: ASan must come first in the
# process (LD_PRELOAD), and then reports CPython's own allocations; not reliable enough.
if grep -q '^EVO_SANITIZE:BOOL=ON' "$BUILD/CMakeCache.txt" 2>/dev/null; then
    echo "SKIPPED: $BUILD is an AddressSanitizer build (EVO_SANITIZE=ON): Python cannot load" \
         "an ASan-instrumented libevo.so without LD_PRELOAD of libasan; the binding is tested" \
         "in the plain build"
    exit 77
fi

# The first Python (on PATH, then Debian's) that has pytest and venv.
py=""
for cand in "$(command -v python3 2>/dev/null)" /usr/bin/python3; do
    [ -n "$cand" ] && [ -x "$cand" ] || continue
    if "$cand" -c 'import pytest, venv, ensurepip' > /dev/null 2>&1; then py=$cand; break; fi
done
if [ -z "$py" ]; then
    echo "SKIPPED: no python3 with pytest and venv (Debian: apt-get install python3-venv" \
         "python3-pytest python3-pandas)"
    exit 77
fi

venv=$BUILD/python-venv
rm -rf "$venv" "$BUILD/python-tmp"
echo "python: $py ($("$py" --version 2>&1))"
"$py" -m venv --system-site-packages "$venv" || { echo "FAILED: python3 -m venv"; exit 1; }
"$venv/bin/python" -m pip install --no-index --disable-pip-version-check -q "$SRC/python" ||
    { echo "FAILED: pip install ./python"; exit 1; }

# The suite must test the installed package, not the source folder next to it.
where=$(cd / && "$venv/bin/python" -c 'import evo, sys; print(evo.__file__)')
case $where in
    "$venv"/*) echo "installed: $where" ;;
    *) echo "FAILED: import evo found $where, not the venv's copy"; exit 1 ;;
esac

export EVO_LIBRARY=$lib PYTHONDONTWRITEBYTECODE=1
"$venv/bin/python" -m pytest "$SRC/python/tests" -q -p no:cacheprovider \
    --basetemp="$BUILD/python-tmp" -rs
rc=$?
[ "$rc" = 0 ] && rm -rf "$BUILD/python-tmp"
exit $rc
