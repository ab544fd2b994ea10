# Helpers for the lab's end-to-end test scenarios (lab/e2e/t-*.sh).
# run.sh sources this file, then one scenario, in a fresh bash per test; a
# scenario passes when it returns normally and fails at its first `fail`, or
# at any failing command (set -e), with that command's last output line as
# the reason. The lab functions of lab/lib.sh (lab_virsh, lab_exec,
# lab_define_guest, lab_ticks, lab_reload, ...) are available as well.
# shellcheck shell=bash

. "$(dirname "${BASH_SOURCE[0]}")/../lib.sh"
lab_load_env

# Seconds a guest gets to show it runs after a migration.
E2E_RUN_TIMEOUT=${E2E_RUN_TIMEOUT:-20}

fail() {
    echo "$*" >"${E2E_REASON_FILE:-/dev/stderr}"
    echo "FAIL: $*" >&2
    exit 1
}

# Print a progress note into the test's log.
note() { echo "--- $*" >&2; }

assert_running() {
    local host=$1 name=$2 state
    state=$(lab_virsh "$host" domstate "$name" 2>&1) || fail "$name is not on $host: $state"
    [ "$state" = running ] || fail "$name on $host is '$state', not running"
}

assert_absent() {
    local host=$1 name=$2
    if lab_virsh "$host" dominfo "$name" >/dev/null 2>&1; then
        fail "$name is still on $host ($(lab_virsh "$host" domstate "$name"))"
    fi
}

# The guest's counter went on from where it stopped on SRC: its first tick on
# DST follows the last one on SRC (at most one line lost to a write cut by
# the pause), and it keeps ticking on DST.
assert_ticks_continue() {
    local src=$1 dst=$2 name=$3 last first
    last=$(lab_ticks "$src" "$name")
    lab_wait_for "$E2E_RUN_TIMEOUT" "$name to tick on $dst" lab_ticking "$dst" "$name" 0 ||
        fail "$name prints nothing on $dst (last tick on $src: $last)"
    first=$(lab_ticks "$dst" "$name" first)
    note "ticks: last on $src $last, first on $dst $first"
    [ "$last" -gt 0 ] || fail "$name never ticked on $src"
    if [ "$first" -le "$last" ] || [ "$first" -gt $((last + 2)) ]; then
        fail "counter did not continue: last tick on $src $last, first on $dst $first"
    fi
    lab_wait_for "$E2E_RUN_TIMEOUT" "$name to keep ticking on $dst" lab_ticking "$dst" "$name" "$first" ||
        fail "$name stopped ticking on $dst at $(lab_ticks "$dst" "$name")"
}

# Start `virsh migrate --live [ARGS] NAME` from SRC to DST in the background;
# migrate_wait collects it. The time taken goes to the test's log.
migrate_start() {
    local src=$1 dst=$2 name=$3
    shift 3
    MIGRATE_DESC="$name $src -> $dst ($*)"
    MIGRATE_OUT=$(mktemp)
    MIGRATE_T0=$(date +%s%N)
    lab_virsh "$src" migrate --live "$@" "$name" "$(lab_uri "$dst")" >"$MIGRATE_OUT" 2>&1 &
    MIGRATE_PID=$!
}

migrate_wait() {
    local rc=0 out
    wait "$MIGRATE_PID" || rc=$?
    out=$(tr -s '\n' ' ' <"$MIGRATE_OUT")
    rm -f "$MIGRATE_OUT"
    note "migrate $MIGRATE_DESC: exit $rc in $((($(date +%s%N) - MIGRATE_T0) / 1000000)) ms $out"
    [ "$rc" -eq 0 ] || fail "migrate $MIGRATE_DESC failed: $out"
}

migrate() {
    migrate_start "$@"
    migrate_wait
}

# Migrate NAME from SRC to DST with extra virsh ARGS, then check the outcome.
migrate_and_check() {
    local src=$1 dst=$2 name=$3
    migrate "$@"
    check_migrated "$src" "$dst" "$name"
}

check_migrated() {
    local src=$1 dst=$2 name=$3
    assert_running "$dst" "$name"
    assert_absent "$src" "$name"
    assert_ticks_continue "$src" "$dst" "$name"
}

# Succeeds while an outgoing migration job of NAME on HOST has started moving
# memory.
migration_moving() {
    lab_virsh "$1" domjobinfo "$2" 2>/dev/null |
        awk '/^Memory processed:/ && $3 > 0 { found = 1 } END { exit !found }'
}

# Fail unless HOST's log since OFFSET shows QEMU migration status STATUS.
assert_migration_status_seen() {
    local host=$1 offset=$2 status=$3 events
    events=$(lab_migration_events "$host" "$offset")
    grep -q "^[0-9.]* MIGRATION $status\$" <<<"$events" || fail "no MIGRATION $status event on $host"
}

# Install on HOST a qemu hook that records each call ("<vm> <op> <subop>
# <extra>") in hook-calls.log of the host's log directory.
install_recording_hook() {
    lab_install_hook "$1" qemu <<EOF
#!/bin/sh
cat >/dev/null
echo "\$*" >>"$LAB_PREFIX/var/log/hook-calls.log"
EOF
}

assert_hook_called() {
    local host=$1 call=$2
    grep -qx "$call" "$(lab_log_dir "$host")/hook-calls.log" 2>/dev/null ||
        fail "no hook call '$call' on $host"
}
