#!/usr/bin/env bash
# The README's main job (the run at the end of the line after <!-- main-command -->, with
# ./build/evo standing for the evo built here) on a machine without a usable GPU: it says so in
# one line ("no CUDA device found: ..."), exits with code 3, and names the reason a user can
# act on. Where no NVIDIA driver is installed that is the reason, not a driver "insufficient
# for the runtime" (what the static CUDA runtime says then); with a driver library too old for
# the runtime (tests/fakes/libcuda_old.c, first on LD_LIBRARY_PATH) it says that, with both
# versions. GPUs are hidden (CUDA_VISIBLE_DEVICES=""), so no search starts on a GPU machine.
set -u
EVO=${EVO:?set EVO to the evo binary}
SRC=${EVO_SOURCE_DIR:-$(cd "$(dirname "$0")/.." && pwd)}
BUILD=${EVO_BUILD_DIR:?set EVO_BUILD_DIR}
case $EVO in /*) ;; *) EVO=$PWD/$EVO ;; esac
fails=0
fail() {
    echo "FAIL: $*"
    fails=$((fails + 1))
}

line=$(awk '$0 == "<!-- main-command -->" {getline; getline; print; exit}' "$SRC/README.md")
job=${line##*&& }
case $job in
./build/evo\ run\ *) ;;
*) echo "FAIL: the main command does not end with ./build/evo run ...: '$job'"; exit 1 ;;
esac
args=${job#./build/evo }

tmp=$(mktemp -d)
trap 'rm -rf "$tmp"' EXIT
# run_job NAME [VAR=VALUE...]: the job in a folder like the clone's root ($tmp/NAME: the run
# directory lands there, not in the source tree, one per job as two may start in one second),
# its exit code in $tmp/NAME.rc.
run_job() {
    local name=$1
    shift
    mkdir -p "$tmp/$name"
    ln -s "$SRC/configs" "$tmp/$name/configs"
    ln -s "$SRC/kernels" "$tmp/$name/kernels"
    # shellcheck disable=SC2086 # args is the README's word list
    (cd "$tmp/$name" && env CUDA_VISIBLE_DEVICES= "$@" "$EVO" $args > "$tmp/$name.out" 2> "$tmp/$name.err")
    echo $? > "$tmp/$name.rc"
}

# check NAME NEEDLE: exit 3, one line saying no device was found, holding NEEDLE.
check() {
    local name=$1 needle=$2 rc n said
    rc=$(cat "$tmp/$name.rc")
    [ "$rc" = 3 ] || fail "$name: exit $rc, expected 3"
    n=$(grep -c "no CUDA device found" "$tmp/$name.err" "$tmp/$name.out" | awk -F: '{s += $2} END {print s}')
    [ "$n" = 1 ] || fail "$name: $n lines say 'no CUDA device found', expected 1"
    said=$(grep "no CUDA device found" "$tmp/$name.err")
    case $said in *"$needle"*) ;; *) fail "$name: '$said' lacks '$needle'" ;; esac
    [ "$(wc -l < "$tmp/$name.err")" -le 2 ] || fail "$name: more than the run directory and the reason on stderr"
    echo "$name: exit $rc: $said"
}

driver=1
if [ ! -e /proc/driver/nvidia/version ] && ! ldconfig -p 2>/dev/null | grep -q 'libcuda\.so\.1 '; then
    driver=0
fi
run_job plain
if [ "$driver" = 0 ]; then
    check plain "evo: no CUDA device found: no NVIDIA driver is installed (libcuda.so.1 not found)"
    ! grep -qi "insufficient" "$tmp/plain.err" "$tmp/plain.out" || fail "plain: 'insufficient' wording with no driver installed"
else
    check plain "evo: no CUDA device found: "
    echo "(this machine has an NVIDIA driver: the no-driver wording is not checked here)"
fi

old=$BUILD/fake-old-driver
if [ -f "$old/libcuda.so.1" ]; then
    run_job old LD_LIBRARY_PATH="$old${LD_LIBRARY_PATH:+:$LD_LIBRARY_PATH}"
    check old "evo: no CUDA device found: CUDA driver version is insufficient for CUDA runtime version (the NVIDIA driver supports CUDA 11.4, evo's runtime is CUDA "
else
    fail "$old/libcuda.so.1 is not built (target evo_fake_libcuda)"
fi

[ "$fails" = 0 ] && echo "the main job without a GPU: one line, exit 3, the reason named"
[ "$fails" = 0 ]
