#!/usr/bin/env bash
# Run libvirt's own test suite (`meson test`, syntax-check included) in
# work/libvirt/build, or in the build directory given (sanitize.sh's), and
# print "N passed, N failed, N skipped" from meson's summary.
. "$(dirname "$0")/lib.sh"

build=${1:-$BUILD}

out=$(mktemp)
trap 'rm -f "$out"' EXIT

# meson exits non-zero on failures; the summary below is what counts.
meson test -C "$build" --no-rebuild --print-errorlogs \
    --num-processes "$(nproc)" >"$out" 2>&1 || true

count() { awk -v k="$1:" '$0 ~ "^"k { print $NF; f=1 } END { if (!f) print 0 }' "$out" | tail -n1; }
ok=$(count Ok)
xfail=$(count "Expected Fail")
fail=$(count Fail)
xpass=$(count "Unexpected Pass")
skipped=$(count Skipped)
timeout=$(count Timeout)

if [ "$((ok + xfail + fail + xpass + skipped + timeout))" -eq 0 ]; then
    tail -n 40 "$out" >&2
    echo "0 passed, 1 failed"
    exit 1
fi
# Show what failed, with its log, and nothing else.
grep -E '^ *[0-9]+/[0-9]+ .* (FAIL|TIMEOUT|UNEXPECTEDPASS) ' "$out" >&2 || true
if [ "$((fail + xpass + timeout))" -gt 0 ]; then
    sed -n '/^=* *[0-9]*\/[0-9]* *=*$/,/^=*$/p' "$out" | tail -n 200 >&2
fi
echo "$((ok + xfail)) passed, $((fail + xpass + timeout)) failed, $skipped skipped"
[ "$((fail + xpass + timeout))" -eq 0 ]
