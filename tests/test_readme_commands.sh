#!/usr/bin/env bash
# The README's two set-up commands (the line after <!-- main-command --> and after
# <!-- test-command -->, read as .ci/run reads them) work for a new user in both places one
# starts from: a root shell with no sudo (a container, a fresh VM) and a user with sudo.
# Nothing is installed or built: the command runs with a PATH of fakes that record what they
# are asked: apt-get, sudo (absent in one case, present in the other), cmake, ctest, and the
# programs the command runs afterwards. It checks that the install part reaches apt-get with
# the right arguments (through sudo only when there is one), and that the build part asks
# CMake and ctest for what the project has: a source folder with CMakeLists.txt, options the
# project declares, build folders configured before they are built and built before they are
# tested, a ctest label the tests carry, and a config or script that exists.
# README_FILE (default: the source tree's README.md) checks another version of the file.
set -u
SRC=${EVO_SOURCE_DIR:-$(cd "$(dirname "$0")/.." && pwd)}
README=${README_FILE:-$SRC/README.md}
fails=0
fail() {
    echo "FAIL: $*"
    fails=$((fails + 1))
}

extract() { awk -v m="<!-- $1 -->" '$0 == m {getline; getline; print; exit}' "$README"; }
main_cmd=$(extract main-command)
test_cmd=$(extract test-command)
[ -n "$main_cmd" ] || fail "README: no line after <!-- main-command -->"
[ -n "$test_cmd" ] || fail "README: no line after <!-- test-command -->"

tmp=$(mktemp -d)
trap 'rm -rf "$tmp"' EXIT

# The fakes. Each appends one line to $LOG: who ran it (under-sudo or not), its name, its
# arguments. Only absolute paths inside them: PATH holds nothing but the fakes and env.
make_bin() { # make_bin DIR WITH_SUDO
    local d=$1
    mkdir -p "$d"
    ln -s "$(command -v env)" "$d/env"
    cat > "$d/apt-get" << 'EOF'
#!/bin/bash
echo "${FAKE_UNDER_SUDO:+[sudo] }apt-get DEBIAN_FRONTEND=${DEBIAN_FRONTEND:-} $*" >> "$LOG"
EOF
    cat > "$d/cmake" << 'EOF'
#!/bin/bash
echo "${FAKE_UNDER_SUDO:+[sudo] }cmake $*" >> "$LOG"
src= bld= build=
while [ $# -gt 0 ]; do
    case $1 in
    -S) src=$2; shift ;;
    -B) bld=$2; shift ;;
    --build) build=$2; shift ;;
    -D*) name=${1#-D}; name=${name%%=*}
         case $name in CMAKE_BUILD_TYPE) ;;
         *) /bin/grep -q "option($name " "$SRC/CMakeLists.txt" ||
                { echo "cmake: -D$name is not an option of CMakeLists.txt" >> "$LOG"; exit 1; } ;;
         esac ;;
    -j[0-9]*) ;;
    *) echo "cmake: unknown argument '$1'" >> "$LOG"; exit 1 ;;
    esac
    shift
done
if [ -n "$build" ]; then
    [ -f "$build/CMakeCache.txt" ] || { echo "cmake: $build is not configured" >> "$LOG"; exit 1; }
    : > "$build/built"
    /bin/mkdir -p "$build/tests/fuzz"
    printf '#!/bin/bash\necho "evo $*" >> "$LOG"\n' > "$build/evo"
    /bin/chmod +x "$build/evo"
    exit 0
fi
[ -f "$src/CMakeLists.txt" ] || { echo "cmake: no CMakeLists.txt in '$src'" >> "$LOG"; exit 1; }
[ -n "$bld" ] || { echo "cmake: no -B" >> "$LOG"; exit 1; }
/bin/mkdir -p "$bld" && : > "$bld/CMakeCache.txt"
EOF
    cat > "$d/ctest" << 'EOF'
#!/bin/bash
echo "ctest $*" >> "$LOG"
dir=
while [ $# -gt 0 ]; do
    case $1 in
    --test-dir) dir=$2; shift ;;
    -L) /bin/grep -q "LABELS $2\b\|evo_test(\${t} $2)" "$SRC/tests/CMakeLists.txt" ||
            { echo "ctest: no test has label '$2'" >> "$LOG"; exit 1; }; shift ;;
    --output-on-failure|-j[0-9]*) ;;
    *) echo "ctest: unknown argument '$1'" >> "$LOG"; exit 1 ;;
    esac
    shift
done
[ -f "$dir/built" ] || { echo "ctest: '$dir' was not built" >> "$LOG"; exit 1; }
EOF
    if [ "$2" = 1 ]; then
        cat > "$d/sudo" << 'EOF'
#!/bin/bash
echo "sudo $*" >> "$LOG"
export FAKE_UNDER_SUDO=1
exec "$@"
EOF
    fi
    chmod +x "$d"/*
}

# A work folder standing in for the clone: the real CMakeLists.txt and configs, and a fake
# tests/fuzz/run.sh (the real one must exist and be executable).
make_tree() {
    local w=$1
    mkdir -p "$w/tests/fuzz"
    ln -s "$SRC/CMakeLists.txt" "$w/CMakeLists.txt"
    ln -s "$SRC/configs" "$w/configs"
    printf '#!/bin/bash\necho "tests/fuzz/run.sh $*" >> "$LOG"\n' > "$w/tests/fuzz/run.sh"
    chmod +x "$w/tests/fuzz/run.sh"
}

# run_case NAME WITH_SUDO CMD: runs CMD as .ci/run does (bash -c) in a fresh tree; the log
# lands in $tmp/NAME.log. Returns the command's exit code.
run_case() {
    local w=$tmp/$1
    make_bin "$w/bin" "$2"
    make_tree "$w/tree"
    : > "$w.log"
    (cd "$w/tree" && env -i PATH="$w/bin" LOG="$w.log" SRC="$SRC" HOME="$w" /bin/bash -c "$3")
}

# check_case NAME WITH_SUDO CMD PACKAGES... : the expectations for one command in one setting.
check_case() {
    local name=$1 with_sudo=$2 cmd=$3
    shift 3
    local log=$tmp/$name.log bad=0 rc
    run_case "$name" "$with_sudo" "$cmd"
    rc=$?
    [ "$rc" = 0 ] || { echo "  $name: the command exited with $rc"; bad=1; }
    local p=""
    [ "$with_sudo" = 1 ] && p="[sudo] "
    local want_update="${p}apt-get DEBIAN_FRONTEND= update"
    [ "$with_sudo" = 1 ] || want_update="apt-get DEBIAN_FRONTEND= update"
    grep -qxF "$want_update" "$log" || { echo "  $name: no '$want_update'"; bad=1; }
    local inst
    inst=$(grep "apt-get DEBIAN_FRONTEND=noninteractive install -y " "$log")
    if [ -z "$inst" ]; then
        echo "  $name: apt-get install -y never ran with DEBIAN_FRONTEND=noninteractive"
        bad=1
    else
        case $inst in "${p}apt-get"*) ;; *) echo "  $name: '$inst' not ${p:-without sudo}"; bad=1 ;; esac
        [ "$with_sudo" = 1 ] || case $inst in "[sudo]"*) echo "  $name: sudo used"; bad=1 ;; esac
        for pkg in "$@"; do
            case " $inst " in *" $pkg "*) ;; *) echo "  $name: package $pkg not installed"; bad=1 ;; esac
        done
    fi
    if [ "$with_sudo" = 1 ]; then
        grep -qxF "sudo apt-get update" "$log" || { echo "  $name: update not through sudo"; bad=1; }
        grep -q "^sudo env DEBIAN_FRONTEND=noninteractive apt-get install -y " "$log" ||
            { echo "  $name: install not through sudo"; bad=1; }
    else
        ! grep -q "sudo" "$log" || { echo "  $name: sudo appears"; bad=1; }
    fi
    # Only the install runs as root: nothing after it goes through sudo.
    ! grep -q "^\[sudo\] \(cmake\|ctest\|evo\)" "$log" || { echo "  $name: build under sudo"; bad=1; }
    grep -q "^cmake: \|^ctest: " "$log" && { grep "^cmake: \|^ctest: " "$log" | sed "s/^/  $name: /"; bad=1; }
    if [ "$bad" != 0 ]; then
        sed "s/^/    log: /" "$log"
        return 1
    fi
    return 0
}

deps="cmake gcc make pkg-config liblmdb-dev libopenblas-dev libcurl4-openssl-dev libjansson-dev"
for s in 0 1; do
    label=$([ "$s" = 1 ] && echo "user with sudo" || echo "root without sudo")
    if check_case "main-$s" "$s" "$main_cmd" $deps; then
        log=$tmp/main-$s.log
        if grep -qxF "cmake -S . -B build -DCMAKE_BUILD_TYPE=Release" "$log" &&
            grep -qxF "evo run configs/quickstart.json" "$log" &&
            [ -f "$SRC/configs/quickstart.json" ]; then
            echo "ok: main command, $label"
        else
            fail "main command, $label: no release build or no 'evo run configs/quickstart.json'"
            sed "s/^/    log: /" "$log"
        fi
    else
        fail "main command, $label"
    fi
    if check_case "test-$s" "$s" "$test_cmd" $deps git clang-format clang python3; then
        log=$tmp/test-$s.log
        if grep -qxF "tests/fuzz/run.sh " "$log" && [ -x "$SRC/tests/fuzz/run.sh" ] &&
            [ "$(grep -c '^ctest .*-L cpu' "$log")" = 2 ] &&
            grep -q "^cmake .*-DEVO_SANITIZE=ON" "$log"; then
            echo "ok: test command, $label"
        else
            fail "test command, $label: not both CPU suites, the sanitizer build and the fuzz replay"
            sed "s/^/    log: /" "$log"
        fi
    else
        fail "test command, $label"
    fi
done

# The checks can fail: the commands as they were (a bare sudo first) fail as root without
# sudo, and a build part that tests before it builds is caught.
old=${main_cmd//'$(command -v sudo)'/sudo}
if [ "$old" != "$main_cmd" ] && check_case "old-main" 0 "$old" $deps > /dev/null; then
    fail "a command starting with a bare sudo passed as root without sudo"
fi
inst="apt-get update && env DEBIAN_FRONTEND=noninteractive apt-get install -y cmake"
if check_case "reorder" 0 "$inst && cmake -S . -B b && ctest --test-dir b -L cpu" cmake > /dev/null; then
    fail "ctest before a build passed"
fi
if check_case "badopt" 0 "$inst && cmake -S . -B b -DEVO_NO_SUCH=ON" cmake > /dev/null; then
    fail "an option CMakeLists.txt does not declare passed"
fi
if ! check_case "good" 0 "$inst && cmake -S . -B b -DEVO_WERROR=ON && cmake --build b && ctest --test-dir b -L cpu" cmake > /dev/null; then
    fail "the negative checks' own well-formed command failed"
fi

[ "$fails" = 0 ] && echo "all README command checks passed"
[ "$fails" = 0 ]
