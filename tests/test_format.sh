#!/usr/bin/env bash
# Every C, header and CUDA source git tracks is formatted as .clang-format says. The tree was
# formatted with clang-format 14 (Debian bookworm's); other versions place some lines
# differently, so with another version the check is skipped and says so.
set -u
cd "${EVO_SOURCE_DIR:-.}"
want=14
if ! command -v clang-format > /dev/null; then
  echo "SKIPPED: clang-format is not installed (the README's test command installs it)"
  exit 77
fi
have=$(clang-format --version | sed -n 's/.*version \([0-9][0-9]*\).*/\1/p')
if [ "$have" != "$want" ]; then
  echo "SKIPPED: clang-format $have found; the tree is formatted with clang-format $want"
  exit 77
fi
if ! files=$(git ls-files '*.c' '*.h' '*.cu' 2> /dev/null) || [ -z "$files" ]; then
  echo "SKIPPED: not a git checkout, so there is no list of tracked sources to check"
  exit 77
fi
# One clang-format for all; it names each file it would change ("FILE:LINE:COL: ...").
out=$(echo "$files" | xargs clang-format --dry-run --Werror 2>&1)
if [ -n "$out" ]; then
  echo "not formatted (run: clang-format -i FILE):"
  echo "$out" | sed -n 's/^\([^:]*\):[0-9]*:[0-9]*: .*/\1/p' | sort -u
  exit 1
fi
echo "$(echo "$files" | wc -l) files formatted"
