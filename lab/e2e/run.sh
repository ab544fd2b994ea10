#!/usr/bin/env bash
# Run the lab's end-to-end scenarios lab/e2e/t-NAME.sh (all, or the NAMEs
# given) and print "PASS NAME" or "FAIL NAME: reason" for each, then
# "N passed, N failed". Exits non-zero if any failed. Run as root.
#
#   run.sh [--fresh] [--keep] [NAME...]
#     --fresh   a new lab (lab.sh up) for every test; default: one lab for
#               the run, reset (guests and qemu hooks removed) between tests
#     --keep    leave the lab up at the end (default: lab.sh down)
#
# Each test's output goes to e2e-NAME.log in the lab's log directory of its
# run (work/lab/logs/<run>/). A test that fails while a guest's kernel
# crashed (a console line "BUG: ", "Oops", ...) runs once more, reported as
# "RETRY NAME: ..." and counted by its second try (e2e-NAME.retry.log). The lab's environment (LAB_INSTALL_ROOT,
# LAB_PREFIX, LAB_GUEST_*) applies; E2E_TEST_TIMEOUT bounds a test (seconds).
# The hosts run the QEMU that LAB_QEMU, LAB_QEMU_hosta and LAB_QEMU_hostb
# choose (7.2 or 10.0; see lab/lib.sh), except in a test whose file has a
# line "# lab-qemu: hosta=VERSION hostb=VERSION" (a host it does not name
# runs the run's QEMU): the hosts are switched for it (lab.sh set-qemu), and
# back for the next test.
. "$(dirname "$0")/../lib.sh"

E2E_DIR=$LAB_DIR/e2e
E2E_TEST_TIMEOUT=${E2E_TEST_TIMEOUT:-180}
lab=$LAB_DIR/lab.sh

fresh=no
keep=no
names=()
for arg in "$@"; do
    case $arg in
        --fresh) fresh=yes ;;
        --keep) keep=yes ;;
        -*) die "unknown option $arg (see $0)" ;;
        *) names+=("$arg") ;;
    esac
done
tests=()
if [ ${#names[@]} -eq 0 ]; then
    tests=("$E2E_DIR"/t-*.sh)
else
    for name in "${names[@]}"; do
        [ -f "$E2E_DIR/t-$name.sh" ] || die "no test $name ($E2E_DIR/t-$name.sh)"
        tests+=("$E2E_DIR/t-$name.sh")
    done
fi

# The QEMU of each host for the tests that do not choose theirs, from the
# environment (lab.env is not loaded yet).
declare -A run_qemu=()
for host in "${LAB_HOSTS[@]}"; do
    run_qemu[$host]=$(lab_qemu "$host")
done

require_root
lab_lock
passed=0
failed=0
retried=()
tmp=$(mktemp -d)
cleanup() {
    rm -rf "$tmp"
    [ "$keep" = yes ] || "$lab" down
}
trap cleanup EXIT

report() {
    local name=$1 reason=$2
    if [ -z "$reason" ]; then
        echo "PASS $name"
        passed=$((passed + 1))
    else
        echo "FAIL $name: $reason"
        failed=$((failed + 1))
    fi
}

# The QEMU test FILE wants on HOST: its "# lab-qemu:" line's, or the run's.
test_qemu() {
    local file=$1 host=$2 want
    want=$(sed -n "s/^# lab-qemu:.*\<$host=\([^ ]*\).*/\1/p" "$file" | head -n 1)
    echo "${want:-${run_qemu[$host]}}"
}

# A lab in a known state for test FILE: new, or the current one reset (new if
# resetting fails), each host with the QEMU the test wants.
prepare_lab() {
    local first=$1 file=$2 host
    local -a qemu=()
    for host in "${LAB_HOSTS[@]}"; do
        qemu+=("LAB_QEMU_$host=$(test_qemu "$file" "$host")")
    done
    if [ "$first" = yes ] || [ "$fresh" = yes ]; then
        env "${qemu[@]}" "$lab" up
        return
    fi
    "$lab" reset || { env "${qemu[@]}" "$lab" up; return; }
    for host in "${LAB_HOSTS[@]}"; do
        "$lab" set-qemu "$host" "$(test_qemu "$file" "$host")"
    done
}

test_name() {
    local name
    name=$(basename "$1" .sh)
    echo "${name#t-}"
}

# Run test FILE once, its output into LOG; prints why it failed (nothing if
# it passed).
attempt() {
    local file=$1 log=$2 rc=0 reason=
    : >"$tmp/reason"
    # shellcheck disable=SC2016 # expanded by the inner bash
    E2E_REASON_FILE=$tmp/reason timeout "$E2E_TEST_TIMEOUT" \
        bash -c '. "$1" && . "$2"' e2e "$E2E_DIR/lib.sh" "$file" >"$log" 2>&1 || rc=$?
    if [ "$rc" -eq 124 ]; then
        reason="timed out after ${E2E_TEST_TIMEOUT}s"
    elif [ "$rc" -ne 0 ]; then
        reason=$(cat "$tmp/reason")
        [ -n "$reason" ] || reason="exit $rc: $(tail -n 1 "$log")"
    fi
    [ -z "$reason" ] || echo "$reason (log: ${log#"$TOP"/})"
}

# The first kernel crash a guest printed on a console since file MARK was
# touched: "host/serial/NAME.log: line" (nothing if none).
guest_kernel_crash() {
    local f line
    while read -r f; do
        line=$(grep -a -m 1 -E 'BUG: |Oops|Kernel panic|invalid opcode' "$f" | tr -d '\r') || continue
        echo "${f#"$LAB_LOGS/$LAB_RUN_ID/"}: $line"
        return 0
    done < <(find "$LAB_LOGS/$LAB_RUN_ID" -path '*/serial/*.log' -newer "$1" 2>/dev/null)
}

# Run test FILE and report it. A test that failed while a guest's kernel
# crashed is run once more, in a reset lab, and reported with both tries:
# the lab's TCG guests on QEMU 7.2 rarely crash after a migration,
# patched libvirt and unpatched alike (RELIABILITY.md), which is not what
# a test is to measure. A second failure fails it.
run_test() {
    local file=$1 name log reason crash
    name=$(test_name "$file")
    log=$LAB_LOGS/$LAB_RUN_ID/e2e-$name.log
    touch "$tmp/start"
    reason=$(attempt "$file" "$log")
    if [ -n "$reason" ] && crash=$(guest_kernel_crash "$tmp/start") && [ -n "$crash" ]; then
        echo "RETRY $name: a guest kernel crashed ($crash); first try: $reason"
        retried+=("$name")
        if ! prepare_lab no "$file" >/dev/null 2>"$tmp/lab.err"; then
            reason="lab not ready for a second try: $(tail -n 1 "$tmp/lab.err"); first try: $reason"
        else
            lab_load_env
            reason=$(attempt "$file" "${log%.log}.retry.log")
        fi
    fi
    report "$name" "$reason"
}

first=yes
for file in "${tests[@]}"; do
    if ! prepare_lab "$first" "$file" >/dev/null 2>"$tmp/lab.err"; then
        report "$(test_name "$file")" "lab not ready: $(tail -n 1 "$tmp/lab.err")"
        continue
    fi
    first=no
    lab_load_env
    run_test "$file"
done

[ ${#retried[@]} -eq 0 ] ||
    echo "run twice after a guest kernel crash: ${retried[*]}"
echo "$passed passed, $failed failed"
[ "$failed" -eq 0 ]
