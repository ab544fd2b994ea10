#!/usr/bin/env bash
# Every test of the project, in order: build the series, libvirt's own suite
# (`meson test`, syntax-check included), the per-patch series check, the
# check that Debian 13's packaging takes the series (scripts/deb-check.sh), and the
# end-to-end lab tests, twice: with both lab hosts on QEMU 7.2 (Debian 12's)
# and on QEMU 10.0 (Debian 13's, from bookworm-backports, unpacked under
# work/). Each suite ends with "N passed, N failed"; this script adds them up
# and ends with one such line for everything.
. "$(dirname "$0")/lib.sh"
require_root

total_passed=0 total_failed=0 total_skipped=0
logdir=$WORK/test-logs
mkdir -p "$logdir"

# run_suite NAME COMMAND...: run one suite, show its output, add up its counts.
# A suite that fails without printing its counts counts as one failure.
run_suite() {
    local name=$1 rc=0 line p f s
    shift
    printf '\n### %s\n' "$name"
    "$@" 2>&1 | tee "$logdir/$name.log" || rc=$?
    line=$(grep -E '^[0-9]+ passed, [0-9]+ failed' "$logdir/$name.log" | tail -n1 || true)
    if [ -z "$line" ]; then
        p=0 f=1 s=0
    else
        read -r p f s < <(echo "$line" | sed -E 's/^([0-9]+) passed, ([0-9]+) failed(, ([0-9]+) skipped)?.*/\1 \2 \4/')
        s=${s:-0}
        [ "$rc" -ne 0 ] && [ "$f" -eq 0 ] && f=1
    fi
    total_passed=$((total_passed + p))
    total_failed=$((total_failed + f))
    total_skipped=$((total_skipped + s))
    return "$rc"
}

# The build is a suite of one test: when it fails, the tests that need it
# are not run, but the series check still names the patch that broke.
build() {
    "$TOP/scripts/deps.sh" all
    "$TOP/scripts/worktree.sh" sync
    if "$TOP/scripts/build.sh"; then
        echo "1 passed, 0 failed"
    else
        echo "0 passed, 1 failed"
        return 1
    fi
}

start=$SECONDS
built=0
if run_suite build build; then
    built=1
    run_suite unit "$TOP/scripts/unit-tests.sh" || true
fi
if [ -d "$SRC/.git" ]; then
    run_suite series "$TOP/scripts/series-check.sh" || true
fi
# The mail for the list (`make mbox`): cover letter against patches/series,
# target version, numbering and threading.
run_suite mbox "$TOP/scripts/mbox-check.sh" || true
# Debian 13's packaging still takes the series (seconds; `make deb` builds it).
run_suite deb-check "$TOP/scripts/deb-check.sh" || true
# The e2e suite with both hosts on QEMU VERSION (a scenario that names its
# own QEMUs, such as the upgrade migration, still gets them).
e2e_on_qemu() {
    env -u LAB_QEMU_hosta -u LAB_QEMU_hostb LAB_QEMU="$1" "$TOP/lab/e2e/run.sh"
}

if [ "$built" = 1 ] && [ -x "$TOP/lab/e2e/run.sh" ]; then
    for qemu in 7.2 10.0; do
        t0=$SECONDS
        run_suite "e2e-qemu$qemu" e2e_on_qemu "$qemu" || true
        printf 'e2e on QEMU %s: %d s\n' "$qemu" "$((SECONDS - t0))"
    done
fi

printf '\nlogs: %s, %d s\n' "${logdir#"$TOP"/}" "$((SECONDS - start))"
echo "$total_passed passed, $total_failed failed, $total_skipped skipped"
[ "$total_failed" -eq 0 ]
