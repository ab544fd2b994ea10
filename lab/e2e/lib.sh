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

# Collect the migration: MIGRATE_RC is virsh's exit status, MIGRATE_ERROR its
# output, MIGRATE_END the time virsh ended (seconds since the epoch, the
# clock of the hook's records); MIGRATE_PID is emptied.
migrate_collect() {
    MIGRATE_RC=0
    wait "$MIGRATE_PID" || MIGRATE_RC=$?
    MIGRATE_PID=
    # shellcheck disable=SC2034 # used by the scenarios
    MIGRATE_END=$EPOCHREALTIME
    MIGRATE_ERROR=$(tr -s '\n' ' ' <"$MIGRATE_OUT")
    rm -f "$MIGRATE_OUT"
    note "migrate $MIGRATE_DESC: exit $MIGRATE_RC in $((($(date +%s%N) - MIGRATE_T0) / 1000000)) ms $MIGRATE_ERROR"
}

migrate_wait() {
    migrate_collect
    [ "$MIGRATE_RC" -eq 0 ] || fail "migrate $MIGRATE_DESC failed: $MIGRATE_ERROR"
}

migrate() {
    migrate_start "$@"
    migrate_wait
}

# migrate_all SRC DST NAME...: migrate the guests from SRC to DST all at
# once, each with a virsh of its own, and check that each went; fails if any
# failed.
migrate_all() {
    local src=$1 dst=$2 name pid failed=no
    local -a pids=()
    shift 2
    for name in "$@"; do
        migrate_and_check "$src" "$dst" "$name" &
        pids+=("$!")
    done
    for pid in "${pids[@]}"; do
        wait "$pid" || failed=yes
    done
    # The failed subshell's fail() gave the reason.
    [ "$failed" = no ] || exit 1
}

# Start a post-copy migration of NAME from SRC to DST that cannot finish by
# itself soon (128 MiB at 40 MiB/s while the guest dirties memory), and switch
# it to post-copy (migrate-postcopy) once memory moves; migrate_wait or
# migrate_wait_fails collects it.
migrate_postcopy_start() {
    local src=$1 dst=$2 name=$3
    migrate_start "$src" "$dst" "$name" --postcopy --bandwidth 40
    lab_wait_for 30 "$name's migration to move memory" migration_moving "$src" "$name" ||
        fail "migration of $name did not start"
    lab_virsh "$src" migrate-postcopy "$name" >/dev/null
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

# ---------------------------------------------------------------- migrations that fail

# Collect the migration started by migrate_start, expecting it to fail:
# MIGRATE_ERROR holds virsh's output.
migrate_wait_fails() {
    migrate_collect
    [ "$MIGRATE_RC" -ne 0 ] || fail "migrate $MIGRATE_DESC succeeded, expected it to fail"
}

migrate_fails() {
    migrate_start "$@"
    migrate_wait_fails
}

# The failed migration's error message contains TEXT.
assert_migrate_error() {
    grep -qF -- "$1" <<<"$MIGRATE_ERROR" ||
        fail "the error of migrate $MIGRATE_DESC lacks '$1': $MIGRATE_ERROR"
}

# NAME runs on HOST and its counter advances.
assert_guest_stays() {
    local host=$1 name=$2 last
    assert_running "$host" "$name"
    last=$(lab_ticks "$host" "$name")
    lab_wait_for "$E2E_RUN_TIMEOUT" "$name to keep ticking on $host" lab_ticking "$host" "$name" "$last" ||
        fail "$name does not tick on $host any more (last tick $last)"
}

# PIDs of HOST's processes whose command line (arguments joined by spaces)
# contains TEXT.
lab_pids_with() {
    local host=$1 text=$2 pid
    for pid in $(ip netns pids "$host"); do
        if tr '\0' ' ' <"/proc/$pid/cmdline" 2>/dev/null | grep -F -- "$text" >/dev/null; then
            echo "$pid"
        fi
    done
}

# PIDs of HOST's processes that have VAR in their environment.
lab_pids_with_env() {
    local host=$1 var=$2 pid
    for pid in $(ip netns pids "$host"); do
        if tr '\0' '\n' <"/proc/$pid/environ" 2>/dev/null | grep "^$var=" >/dev/null; then
            echo "$pid"
        fi
    done
}

# PIDs of HOST's QEMU processes running NAME (libvirt names the guest with
# "-name guest=NAME,debug-threads=on", doubling commas in NAME).
lab_qemu_pids() {
    lab_pids_with "$1" "guest=${2//,/,,},debug-threads=on "
}

no_qemu() { [ -z "$(lab_qemu_pids "$1" "$2")" ]; }

# Nothing of NAME is left on HOST: no domain, no QEMU process.
assert_nothing_left() {
    local host=$1 name=$2
    assert_absent "$host" "$name"
    lab_wait_for 10 "$name's QEMU to go on $host" no_qemu "$host" "$name" ||
        fail "a QEMU process for $name is left on $host: $(lab_qemu_pids "$host" "$name")"
}

# HOST's daemon logged a warning containing TEXT since log OFFSET.
assert_log_warning() {
    local host=$1 offset=$2 text=$3
    tail -c "+$((offset + 1))" "$(lab_daemon_log "$host")" | grep ' warning : ' | grep -F -- "$text" >/dev/null ||
        fail "$host logged no warning about '$text'"
}

# ---------------------------------------------------------------- QEMU's clock

# QEMU's timestamp (seconds since the epoch, microseconds) of the first of
# HOST's QEMU migration events since log OFFSET that matches the extended
# regular expression EVENT in full (e.g. "STOP", "MIGRATION (device|completed)")
# and comes after time AFTER (default 0). Fails the test if there is none.
qemu_event_time() {
    local time
    time=$(qemu_event_find "$@")
    [ -n "$time" ] || fail "no QEMU event '$3' on $1 (after ${4:-0})"
    echo "$time"
}

# The same, but prints nothing if there is no such event.
qemu_event_find() {
    local host=$1 offset=$2 event=$3 after=${4:-0}
    lab_migration_events "$host" "$offset" |
        awk -v re="^($event)\$" -v after="$after" '
            { t = $1; sub(/^[^ ]+ /, "") }
            !found && t > after && $0 ~ re { print t; found = 1 }'
}

# Milliseconds from time A to time B, to a tenth ("?" without A or B).
ms_between() {
    if [ -z "$1" ] || [ -z "$2" ]; then
        echo "?"
    else
        awk -v a="$1" -v b="$2" 'BEGIN { printf "%.1f\n", (b - a) * 1000 }'
    fi
}

# Time A is before time B (seconds since the epoch).
time_before() { awk -v a="$1" -v b="$2" 'BEGIN { exit !(a < b) }'; }

# The time (seconds since the epoch, from the log's milliseconds) HOST's
# libvirtd first sent QEMU a command matching the regex CMD after time
# AFTER, reading its log from offset OFFSET on: how libvirt itself made a
# guest run ("cont|migrate_cancel"). Empty if it did not.
libvirt_command_time() {
    local host=$1 offset=$2 cmd=$3 after=$4 stamp
    while read -r stamp; do
        stamp=$(date -d "$stamp" +%s.%N) || continue
        if time_before "$after" "$stamp"; then
            echo "$stamp"
            return 0
        fi
    done < <(tail -c "+$((offset + 1))" "$(lab_daemon_log "$host")" |
        grep -E "QEMU_MONITOR_SEND_MSG: .*\"execute\":\"($cmd)\"" | cut -c1-28)
}

# Fail unless HOST's log since OFFSET lacks QEMU events matching EVENT.
assert_no_qemu_event() {
    local host=$1 offset=$2 event=$3 seen
    seen=$(lab_migration_events "$host" "$offset" | grep -E -- " ($event)\$" || true)
    [ -z "$seen" ] || fail "unexpected QEMU event on $host: $(head -n 1 <<<"$seen")"
}

# The extended regular expression of a line of a daemon's log that sends
# QEMU the command CMD, with its arguments starting with ARGS if given.
qmp_sent_re() { echo "QEMU_MONITOR_SEND_MSG: .*\"execute\":\"$1\"${2:+,\"arguments\":\{$2}"; }

# assert_log_order HOST OFFSET DESC1 ERE1 DESC2 ERE2 ...: HOST's daemon log
# from offset OFFSET on has a line matching each extended regular expression
# ERE, each after the line the one before matched (the log's order, not its
# millisecond timestamps, which do not tell close lines apart).
assert_log_order() {
    local host=$1 offset=$2 line=0 n seen=
    shift 2
    while [ $# -ge 2 ]; do
        n=$(tail -c "+$((offset + 1))" "$(lab_daemon_log "$host")" |
            awk -v re="$2" -v after="$line" '!n && NR > after && $0 ~ re { n = NR } END { if (n) print n }')
        [ -n "$n" ] || fail "no '$1' in $host's log${seen:+ after $seen}"
        seen+="${seen:+, }$1"
        line=$n
        shift 2
    done
    note "in $host's log, in this order: $seen"
}

# Milliseconds from time FROM to time TO (seconds since the epoch).
elapsed_ms() {
    awk -v a="$1" -v b="$2" 'BEGIN { printf "%d\n", (b - a) * 1000 }'
}

# assert_order DESC1 TIME1 DESC2 TIME2 ...: the times (seconds since the
# epoch, same clock) increase strictly in this order. The test's log shows
# them relative to the first.
assert_order() {
    local -a descs=() times=()
    while [ $# -ge 2 ]; do
        descs+=("$1")
        times+=("$2")
        shift 2
    done
    local i line=
    for i in "${!times[@]}"; do
        line+=$(awk -v t="${times[$i]}" -v t0="${times[0]}" -v d="${descs[$i]}" \
            'BEGIN { printf "%s +%.3f ms", d, (t - t0) * 1000 }')
        [ "$i" -eq $((${#times[@]} - 1)) ] || line+=", "
    done
    note "order: $line"
    for ((i = 1; i < ${#times[@]}; i++)); do
        time_before "${times[$i - 1]}" "${times[$i]}" ||
            fail "'${descs[$i - 1]}' is not before '${descs[$i]}': $line"
    done
}

# ---------------------------------------------------------------- domain events

declare -A E2E_EVENTS_FILE=() E2E_EVENTS_PID=()
E2E_BACKGROUND=()

e2e_stop_background() {
    local pid
    for pid in "${E2E_BACKGROUND[@]}"; do
        kill "$pid" 2>/dev/null || true
    done
}

# A persistent, never started domain whose Defined event marks a point in a
# host's event stream. It has a UUID of its own, so that it can be defined
# again.
lab_marker_xml() {
    printf "<domain type='qemu'><name>%s</name><uuid>%s</uuid><memory unit='MiB'>16</memory><os><type arch='x86_64'>hvm</type></os></domain>\n" \
        "$(lab_xml_escape "$1")" "$(cat /proc/sys/kernel/random/uuid)"
}

event_seen() { [ "$(event_line "$@")" -gt 0 ]; }

# Define the marker domain NAME (XML in FILE) on HOST and succeed once HOST's
# event recorder has reported it.
events_listening() {
    local host=$1 name=$2 file=$3
    lab_virsh "$host" define "$file" && event_seen "$host" "$name" Defined
}

# Record HOST's domain events from now on (`virsh event --all --loop
# --timestamp`, in its log directory), until the test ends. Returns once the
# recorder listens: it has seen a marker domain defined.
events_start() {
    local host=$1 file marker=events-listening
    [ -z "${E2E_EVENTS_PID[$host]:-}" ] || kill "${E2E_EVENTS_PID[$host]}" 2>/dev/null || true
    file=$(lab_log_dir "$host")/events-$(date +%s%N).log
    nsenter -t "$(lab_pid "$host")" -m -n -u -- \
        "$LAB_PREFIX/bin/virsh" -c qemu:///system event --all --loop --timestamp >"$file" 2>&1 &
    E2E_EVENTS_PID[$host]=$!
    E2E_EVENTS_FILE[$host]=$file
    E2E_BACKGROUND+=("$!")
    trap e2e_stop_background EXIT
    lab_marker_xml "$marker" >"$file.xml"
    lab_wait_for 10 "events on $host" events_listening "$host" "$marker" "$file.xml" ||
        fail "virsh event on $host does not report events: $(tail -n 1 "$file")"
    lab_virsh "$host" undefine "$marker" >/dev/null
}

# The line number in HOST's recorded events of the first lifecycle event of
# domain NAME that is WHAT ("Suspended Migrated", "Resumed", ...: the event
# and optionally its detail, as virsh prints them), after line AFTER
# (default 0); 0 if none.
event_line() {
    local host=$1 name=$2 what=$3 after=${4:-0}
    pat="event 'lifecycle' for domain '$name': $what" awk -v after="$after" '
        NR > after { i = index($0, ENVIRON["pat"]) }
        NR > after && i && (length($0) == i + length(ENVIRON["pat"]) - 1 ||
                            substr($0, i + length(ENVIRON["pat"]), 1) == " ") { print NR; found = 1; exit }
        END { if (!found) print 0 }' "${E2E_EVENTS_FILE[$host]}"
}

# The lifecycle events of NAME that HOST reported, in one line.
lifecycle_events() {
    local host=$1 name=$2
    pat="event 'lifecycle' for domain '$name': " awk '
        i = index($0, ENVIRON["pat"]) { printf "%s%s", sep, substr($0, i + length(ENVIRON["pat"])); sep = ", " }' \
        "${E2E_EVENTS_FILE[$host]}"
}

# assert_events HOST NAME EVENT...: HOST reported these lifecycle events of
# NAME, in this order (others may come in between).
assert_events() {
    local host=$1 name=$2 what prev=0 line
    shift 2
    for what in "$@"; do
        line=$(event_line "$host" "$name" "$what" "$prev")
        [ "$line" -gt 0 ] ||
            fail "$host did not report '$what' for $name after the events before it (events: $(lifecycle_events "$host" "$name"))"
        prev=$line
    done
    note "events of $name on $host: $(lifecycle_events "$host" "$name")"
}

# HOST reported no lifecycle event WHAT for NAME.
assert_no_event() {
    local host=$1 name=$2 what=$3
    ! event_seen "$host" "$name" "$what" ||
        fail "$host reported '$what' for $name (events: $(lifecycle_events "$host" "$name"))"
}

# ---------------------------------------------------------------- the guest's counter

# Watch the growth of NAME's serial log on HOST (a tick every
# LAB_GUEST_TICK_MS) until tick_watch_stop, which prints the longest time in
# milliseconds the log did not grow.
tick_watch_start() {
    local file
    file=$(lab_serial_log "$1" "$2")
    E2E_TICK_WATCH=$(mktemp)
    while :; do
        echo "$EPOCHREALTIME $(stat -c %s "$file")"
        sleep 0.01
    done >"$E2E_TICK_WATCH" &
    E2E_TICK_WATCH_PID=$!
    E2E_BACKGROUND+=("$!")
    trap e2e_stop_background EXIT
}

tick_watch_stop() {
    kill "$E2E_TICK_WATCH_PID"
    wait "$E2E_TICK_WATCH_PID" 2>/dev/null || true
    awk 'NR == 1 { since = $1; size = $2 }
         { if ($2 != size) { size = $2; since = $1 } if ($1 - since > max) max = $1 - since }
         END { printf "%d\n", max * 1000 }' "$E2E_TICK_WATCH"
    rm -f "$E2E_TICK_WATCH"
}

# ---------------------------------------------------------------- switchover hook
#
# The tests of the switchover hook install switchover_test_hook on the source
# host. It ignores every other qemu hook call, and records each 'switchover'
# call in <host log dir>/switchover/calls.log, one tab-separated line a fact:
#   <time> call  <script> <vm> <argc> <op> <subop> <extra> <stdin copy>
#   <time> probe <script> <vm> <key> <value>
#   <time> exit  <script> <vm> <subop> <status>
# <time> is the hook's $EPOCHREALTIME, the clock of QEMU's event timestamps;
# "call" is taken when the script starts, "exit" just before it exits (a
# script that was killed has no "exit"). Records are per host and run:
# tests use guest names of their own.

SWITCHOVER_RECORDS=switchover   # directory in a host's log directory
# The message of VIR_ERR_HOOK_SCRIPT_FAILED, the error of a failed hook.
# shellcheck disable=SC2034 # used by the scenarios
SWITCHOVER_HOOK_ERROR="Hook script execution failed"
# What the test hook says on stderr when it fails on purpose.
SWITCHOVER_TEST_REFUSAL="refused on purpose by the test hook"

# The test hook script. Settings (KEY=VALUE):
#   answer=TEXT   stdout for 'prepare' (default "enable"; empty: no output)
#   fail=SUBOP    exit 1, with $SWITCHOVER_TEST_REFUSAL on stderr, on SUBOP
#   sleep=SECONDS sleep that long in 'begin' (default 0), in a child process
#   probe=yes     in 'begin', record how things stand (see below)
#   stdin=close   in 'begin', close stdin without reading the domain XML
#                 (the "call" record then names no copy of it: "-")
#   output=BYTES  in 'begin', print BYTES bytes on stdout, then as many on
#                 stderr, before it exits
#   signal=SIG    in 'begin', kill itself with signal SIG instead of exiting
#   meet=N        in 'begin', before the sleep, wait until N 'begin' calls of
#                 the script (of any domain) have started since it was
#                 installed, for at most 10 s: calls that libvirt runs side by
#                 side then overlap, however far apart their migrations
#                 reached pre-switchover
#   after=CMD     a fault once 'begin' returned: 'begin' starts a helper,
#                 detached (a session of its own, stdio on after-<vm>.log in
#                 the records directory), and waits until it watches; after
#                 a successful 'begin', the helper waits until libvirtd
#                 reaped the script ('begin' returned as libvirt sees it:
#                 record "returned", 1-3 ms after the "exit" record), then
#                 for after_event, then after_ms, and runs CMD (eval, in the
#                 source host's namespaces: records "fault" just before,
#                 "done <status>" after); after a 'begin' that failed or was
#                 killed, it records "no-fault" and runs nothing. See
#                 fault_* for commands.
#   after_ms=MS   the helper's delay in milliseconds (default 0)
#   after_event=HOST:TEXT
#                 the helper first waits until HOST's libvirtd.log shows TEXT
#                 (a QEMU event: see qemu_event_text) after 'begin' (within
#                 a millisecond, at most 30 s; record "event", or
#                 "event-timeout" and no fault)
# The script and every process it starts, the 'after' helper included, carry
# SWITCHOVER_TEST_HOOK in their environment (see switchover_hook_pids).
# A probe records: "marker", the name of a domain it defines on the host
# first (its Defined event shows where 'begin' started in the host's event
# stream); "src_state" and "jobinfo", virsh domstate --reason and the job
# type of domjobinfo on the source; "dst_state" and "dst_ticks", the state and
# the number of ticks of the guest on the destination; at the end of 'begin'
# (after the sleep), "serial_growth": by how many bytes the guest's serial log
# on the source grew since 'begin' started.
switchover_test_hook() {
    local setting
    cat <<EOF
#!/bin/bash
# Switchover test hook, written by lab/e2e/lib.sh (switchover_test_hook).
prefix=$(printf %q "$LAB_PREFIX")
runs=$(printf %q "$LAB_LOGS/$LAB_RUN_ID")
records=\$prefix/var/log/$SWITCHOVER_RECORDS
refusal=$(printf %q "$SWITCHOVER_TEST_REFUSAL")
installed=$EPOCHREALTIME
answer=enable fail= sleep=0 probe=no stdin=read output=0 signal= meet=0
after= after_ms=0 after_event=
EOF
    for setting in "$@"; do
        case ${setting%%=*} in
            answer | fail | sleep | probe | stdin | output | signal | meet | after | after_ms | after_event)
                printf '%s=%q\n' "${setting%%=*}" "${setting#*=}" ;;
            *) die "switchover_test_hook: unknown setting '$setting'" ;;
        esac
    done
    cat <<'EOF'

record() {
    local IFS=$'\t'
    echo "$*" >>"$records/calls.log"
}

# The 'after' helper (after=), started by 'begin': --after HOOK_PID VM SCRIPT.
# The script creates the file $records/after-<vm>.ok just before it exits
# after a successful 'begin'.
if [ "${1-}" = --after ]; then
    hook=$2 vm=$3 script=$4
    ok=$records/after-$vm.ok
    if [ -n "$after_event" ]; then
        log=$runs/${after_event%%:*}/libvirtd.log
        offset=$(stat -c %s "$log")
    fi
    # The script waits for this file before it exits; libvirtd reaps it
    # within a millisecond or two: spin (builtins only), then poll.
    : >"$records/after-$vm.ready"
    spins=0
    while [ -e "/proc/$hook" ]; do
        spins=$((spins + 1))
        [ "$spins" -lt 5000 ] || sleep 0.001
    done
    if [ ! -e "$ok" ]; then
        record "$EPOCHREALTIME" after "$script" "$vm" no-fault
        exit 0
    fi
    rm -f "$ok"
    record "$EPOCHREALTIME" after "$script" "$vm" returned
    # tail -f wakes up on each write to the log (inotify): the event is seen
    # within a millisecond.
    if [ -n "$after_event" ]; then
        if ! timeout 30 grep -m 1 -qF -- "${after_event#*:}" \
            < <(tail -c "+$((offset + 1))" -f --pid=$$ "$log"); then
            record "$EPOCHREALTIME" after "$script" "$vm" event-timeout
            exit 1
        fi
        record "$EPOCHREALTIME" after "$script" "$vm" event
    fi
    [ "$after_ms" -eq 0 ] || sleep "$((after_ms / 1000)).$(printf %03d $((after_ms % 1000)))"
    record "$EPOCHREALTIME" after "$script" "$vm" fault
    status=0
    eval "$after" || status=$?
    record "$EPOCHREALTIME" after "$script" "$vm" "done" "$status"
    exit 0
fi

# Any other call: no output (the 'migrate' call's output would replace the
# domain XML), success.
if [ "${2-}" != switchover ]; then
    cat >/dev/null
    exit 0
fi

t0=$EPOCHREALTIME
export SWITCHOVER_TEST_HOOK=$$
script=${0##*/}
mkdir -p "$records"
if [ "$3" = begin ] && [ "$stdin" = close ]; then
    exec <&-
    input=-
else
    input=$(mktemp "$records/stdin.XXXXXX")
    cat >"$input"
fi
record "$t0" call "$script" "$1" "$#" "$2" "$3" "$4" "${input##*/}"
if [ "$3" = begin ] && [ -n "$after" ]; then
    rm -f "$records/after-$1.ok" "$records/after-$1.ready"
    setsid -f "$0" --after "$$" "$1" "$script" </dev/null >>"$records/after-$1.log" 2>&1
fi

virsh() { timeout 10 "$prefix/bin/virsh" "$@" 2>&1; }
if [ "$3" = begin ] && [ "$probe" = yes ]; then
    serial=$prefix/var/log/serial/$1.log
    size=$(stat -c %s "$serial")
    marker=switchover-marker-${t0/./}
    printf "<domain type='qemu'><name>%s</name><memory unit='MiB'>16</memory><os><type arch='x86_64'>hvm</type></os></domain>\n" \
        "$marker" >"$records/$marker.xml"
    virsh -q -c qemu:///system define "$records/$marker.xml" >/dev/null
    record "$EPOCHREALTIME" probe "$script" "$1" marker "$marker"
    record "$EPOCHREALTIME" probe "$script" "$1" src_state "$(virsh -c qemu:///system domstate --reason "$1")"
    job=$(virsh -c qemu:///system domjobinfo "$1") &&
        job=$(sed -n 's/^Job type: *\(.*[^ ]\) *$/\1/p' <<<"$job") || job="failed: ${job//$'\n'/ }"
    record "$EPOCHREALTIME" probe "$script" "$1" jobinfo "$job"
    record "$EPOCHREALTIME" probe "$script" "$1" dst_state "$(virsh -c "qemu+tcp://$4/system" domstate --reason "$1")"
    ticks=$(grep -c $'^tick [0-9]*\r$' "$runs/${4%%.*}/serial/$1.log" 2>&1)
    record "$EPOCHREALTIME" probe "$script" "$1" dst_ticks "$ticks"
fi
if [ "$3" = begin ] && [ "$meet" -gt 0 ]; then
    begun() {
        awk -F '\t' -v since="$installed" -v script="$script" \
            '$1 > since && $2 == "call" && $3 == script && $7 == "begin"' "$records/calls.log" | wc -l
    }
    deadline=$((SECONDS + 10))
    while [ "$(begun)" -lt "$meet" ] && [ "$SECONDS" -lt "$deadline" ]; do
        sleep 0.01
    done
fi
[ "$3" != begin ] || sleep "$sleep"
if [ "$3" = begin ] && [ "$probe" = yes ]; then
    record "$EPOCHREALTIME" probe "$script" "$1" serial_growth "$(($(stat -c %s "$serial") - size))"
fi

if [ "$3" = begin ]; then
    if [ "$output" -gt 0 ]; then
        head -c "$output" /dev/zero | tr '\0' o
        head -c "$output" /dev/zero | tr '\0' e >&2
    fi
    if [ -n "$signal" ]; then
        # No core dump: the hook's working directory is the machine's /.
        ulimit -c 0
        kill -s "$signal" $$
    fi
fi

status=0
if [ "$3" = "$fail" ]; then
    echo "$refusal ($script, switchover $3)" >&2
    status=1
elif [ "$3" = prepare ] && [ -n "$answer" ]; then
    echo "$answer"
fi
if [ "$3" = begin ] && [ -n "$after" ]; then
    # The helper watches the script from now on (for at most 2 s).
    deadline=$((SECONDS + 2))
    while [ ! -e "$records/after-$1.ready" ] && [ "$SECONDS" -lt "$deadline" ]; do
        sleep 0.001
    done
fi
record "$EPOCHREALTIME" exit "$script" "$1" "$3" "$status"
[ "$3" != begin ] || [ -z "$after" ] || [ "$status" != 0 ] || : >"$records/after-$1.ok"
exit "$status"
EOF
}

# install_switchover_hook HOST PATH [SETTING...]: the test hook as HOST's
# hooks/PATH ("qemu" or "qemu.d/NAME").
install_switchover_hook() {
    local host=$1 path=$2
    shift 2
    switchover_test_hook "$@" | lab_install_hook "$host" "$path"
}

# PIDs of HOST's qemu hook processes: hooks/qemu and hooks/qemu.d scripts,
# and whatever the test hook started, even after the script itself is gone.
switchover_hook_pids() {
    {
        lab_pids_with "$1" "$LAB_PREFIX/etc/libvirt/hooks/qemu"
        lab_pids_with_env "$1" SWITCHOVER_TEST_HOOK
    } | sort -nu
}

no_hook_process() { [ -z "$(switchover_hook_pids "$1")" ]; }

# No qemu hook process, nor anything a test hook started, is left on HOST
# (within a few seconds: a killed process still needs to be reaped).
assert_no_hook_left() {
    local host=$1 pid left=
    lab_wait_for 5 "the hook processes to go on $host" no_hook_process "$host" && return 0
    for pid in $(switchover_hook_pids "$host"); do
        left+="[$pid: $(tr '\0' ' ' <"/proc/$pid/cmdline" 2>/dev/null)] "
    done
    fail "hook processes are left on $host: ${left:-gone meanwhile}"
}

declare -A E2E_SWITCHOVER_SINCE=()

# Later assertions on HOST's records look only at the records from now on.
switchover_records_mark() {
    local file
    file=$(lab_log_dir "$1")/$SWITCHOVER_RECORDS/calls.log
    E2E_SWITCHOVER_SINCE[$1]=0
    [ ! -f "$file" ] || E2E_SWITCHOVER_SINCE[$1]=$(wc -l <"$file")
}

# HOST's records (since its mark) of guest VM by SCRIPT.
switchover_records() {
    local host=$1 vm=$2 script=$3 file
    file=$(lab_log_dir "$host")/$SWITCHOVER_RECORDS/calls.log
    [ -f "$file" ] || return 0
    vm=$vm script=$script awk -F '\t' -v since="${E2E_SWITCHOVER_SINCE[$host]:-0}" \
        'NR > since && $3 == ENVIRON["script"] && $4 == ENVIRON["vm"]' "$file"
}

# The sub-operations of the switchover calls SCRIPT made for VM on HOST, in
# one line.
switchover_calls() {
    switchover_records "$@" | awk -F '\t' '$2 == "call" { printf "%s%s", sep, $7; sep = " " }'
}

# assert_switchover_calls HOST VM SCRIPT "SUBOP...": SCRIPT was called for
# VM on HOST with exactly these sub-operations, in this order ("" for none).
assert_switchover_calls() {
    local host=$1 vm=$2 script=$3 want=$4 got others
    got=$(switchover_calls "$host" "$vm" "$script")
    note "switchover calls of $script on $host for $vm: '$got'"
    if [ "$got" != "$want" ]; then
        others=$(awk -F '\t' '$2 == "call" { printf "%s[%s %s %s %s] ", sep, $3, $4, $7, $8 }' \
            "$(lab_log_dir "$host")/$SWITCHOVER_RECORDS/calls.log" 2>/dev/null || true)
        fail "switchover calls of $script on $host for $vm: '$got', expected '$want' (all calls on $host: ${others:-none})"
    fi
}

# The time of the first "call" or "exit" (WHICH) record of SUBOP.
switchover_time() {
    local host=$1 vm=$2 script=$3 subop=$4 which=$5 time
    time=$(switchover_records "$host" "$vm" "$script" |
        awk -F '\t' -v which="$which" -v subop="$subop" '
            !found && $2 == which && ((which == "call" && $7 == subop) || (which == "exit" && $5 == subop)) { print $1; found = 1 }')
    [ -n "$time" ] || fail "no '$which' record of $script's switchover $subop for $vm on $host"
    echo "$time"
}

# The exit status SCRIPT recorded for SUBOP ("" if killed).
switchover_status() {
    switchover_records "$1" "$2" "$3" | awk -F '\t' -v subop="$4" '!found && $2 == "exit" && $5 == subop { print $6; found = 1 }'
}

# SCRIPT's SUBOP call for VM on HOST was killed: it recorded no exit.
assert_switchover_killed() {
    local status
    status=$(switchover_status "$@")
    [ -z "$status" ] || fail "$3's switchover $4 for $2 on $1 was not killed: it exited with $status"
}

# assert_begin_failed SRC DST VM SCRIPT MARK: the migration of VM from SRC to
# DST failed at SCRIPT's 'begin' (SRC's log since offset MARK covers it); the
# guest survived it: it runs on SRC, nothing of it is left on DST, no hook
# process is left on SRC, SCRIPT was called for 'prepare begin abort', and
# 'abort' returned before the guest resumed on SRC, QEMU never having
# completed the migration.
assert_begin_failed() {
    local src=$1 dst=$2 vm=$3 script=$4 mark=$5 pre
    assert_no_hook_left "$src"
    assert_guest_stays "$src" "$vm"
    assert_nothing_left "$dst" "$vm"
    assert_switchover_calls "$src" "$vm" "$script" "prepare begin abort"
    pre=$(qemu_event_time "$src" "$mark" "MIGRATION pre-switchover")
    assert_order \
        "QEMU pre-switchover" "$pre" \
        "begin called" "$(switchover_time "$src" "$vm" "$script" begin call)" \
        "abort returned" "$(switchover_time "$src" "$vm" "$script" abort exit)" \
        "guest resumed on the source (QEMU RESUME)" "$(qemu_event_time "$src" "$mark" RESUME "$pre")"
    # Not "device": QEMU may pass through it when cancelled at pre-switchover
    # (migrate_cancel wakes the paused migration before it marks it
    # cancelling), but never completes.
    assert_no_qemu_event "$src" "$mark" "MIGRATION completed"
}

# The value of a probe KEY recorded in 'begin'.
switchover_probe() {
    switchover_records "$1" "$2" "$3" | awk -F '\t' -v key="$4" '!found && $2 == "probe" && $5 == key { print $6; found = 1 }'
}

# assert_switchover_argv HOST VM SCRIPT SUBOP DST: the call was exactly
# "VM switchover SUBOP DST" (the records only hold VM's own calls).
assert_switchover_argv() {
    local host=$1 vm=$2 script=$3 subop=$4 dst=$5 argv
    argv=$(switchover_records "$host" "$vm" "$script" |
        awk -F '\t' -v subop="$subop" '!found && $2 == "call" && $7 == subop { print $5 " " $6 " " $7 " " $8; found = 1 }')
    [ "$argv" = "4 switchover $subop $dst" ] ||
        fail "$script's switchover $subop call for $vm on $host had argc and args '$argv', expected '4 switchover $subop $dst'"
}

# The domain XML SCRIPT got on stdin for SUBOP is VM's: a <domain> whose
# <name> is VM.
assert_switchover_stdin() {
    local host=$1 vm=$2 script=$3 subop=$4 file root name
    file=$(switchover_records "$host" "$vm" "$script" |
        awk -F '\t' -v subop="$subop" '!found && $2 == "call" && $7 == subop { print $9; found = 1 }')
    [ -n "$file" ] || fail "no switchover $subop call of $script for $vm on $host"
    file=$(lab_log_dir "$host")/$SWITCHOVER_RECORDS/$file
    root=$(xmllint --xpath 'name(/*)' "$file" 2>&1) || root="not XML: $root"
    name=$(xmllint --xpath 'string(/domain/name)' "$file" 2>&1) || name=
    [ "$root" = domain ] || fail "stdin of $script's switchover $subop for $vm is not a domain XML (root '$root'; $file)"
    [ "$name" = "$vm" ] ||
        fail "stdin of $script's switchover $subop for $vm names domain '$name' ($file)"
}

# No switchover hook call in HOST's libvirtd.log since OFFSET (util.hook and
# util.command log every hook they run).
assert_no_switchover_in_log() {
    local host=$1 offset=$2 lines
    lines=$(tail -c "+$((offset + 1))" "$(lab_daemon_log "$host")" |
        grep -E 'Calling hook .* op=switchover|/hooks/qemu(\.d/[^ ]*)? .* switchover (prepare|begin|end|abort) ' || true)
    [ -z "$lines" ] || fail "switchover hook calls in $host's log: $(head -n 1 <<<"$lines" | cut -c 1-300)"
}

# What the test hook's probe (probe=yes) saw while SCRIPT's 'begin' ran on
# HOST for VM, which ended up on another host:
# - the guest's serial console on the source stayed silent for the whole
#   call (its vCPUs were stopped);
# - the source said "paused (migrating)" and domjobinfo answered (the hook
#   does not hold the domain);
# - on the destination the guest was paused and had not ticked yet;
# - the source had reported SUSPENDED/migrated before 'begin' defined its
#   marker domain (needs events_start HOST before the migration).
assert_begin_probe() {
    local host=$1 vm=$2 script=$3 value suspended marker
    value=$(switchover_probe "$host" "$vm" "$script" serial_growth)
    [ "$value" = 0 ] || fail "$vm's console on $host grew by '$value' bytes while begin ran"
    value=$(switchover_probe "$host" "$vm" "$script" src_state)
    [ "$value" = "paused (migrating)" ] || fail "while begin ran, $vm on $host was '$value', not 'paused (migrating)'"
    value=$(switchover_probe "$host" "$vm" "$script" jobinfo)
    [ "$value" = Unbounded ] || fail "while begin ran, domjobinfo of $vm on $host said '$value'"
    value=$(switchover_probe "$host" "$vm" "$script" dst_state)
    case $value in
        paused*) ;;
        *) fail "while begin ran, $vm on the destination was '$value', not paused" ;;
    esac
    value=$(switchover_probe "$host" "$vm" "$script" dst_ticks)
    [ "$value" = 0 ] || fail "while begin ran, $vm had ticked '$value' times on the destination"
    marker=$(switchover_probe "$host" "$vm" "$script" marker)
    suspended=$(event_line "$host" "$vm" "Suspended Migrated")
    value=$(event_line "$host" "$marker" Defined)
    [ "$value" -gt 0 ] || fail "$host did not report begin's marker domain '$marker'"
    [ "$suspended" -gt 0 ] || fail "$host did not report SUSPENDED/migrated of $vm (events: $(lifecycle_events "$host" "$vm"))"
    [ "$suspended" -lt "$value" ] ||
        fail "$host reported SUSPENDED/migrated of $vm at event $suspended, begin started at event $value (events: $(lifecycle_events "$host" "$vm"))"
    note "while begin ran: console silent, source paused (migrating), job Unbounded, destination paused, SUSPENDED/migrated reported before"
}

# ---------------------------------------------------------------- faults

# SCRIPT's 'begin' for VM on HOST has been called (since the records' mark).
switchover_begin_called() {
    switchover_records "$1" "$2" "$3" | awk -F '\t' '$2 == "call" && $7 == "begin" { found = 1 } END { exit !found }'
}

begin_or_migration_over() { switchover_begin_called "$@" || ! kill -0 "$MIGRATE_PID" 2>/dev/null; }

# Wait until SCRIPT's 'begin' for VM on HOST runs, during the migration
# started by migrate_start; fails the test if the migration ends first.
wait_for_begin() {
    local host=$1 vm=$2 script=$3
    lab_wait_for 60 "begin to run" begin_or_migration_over "$host" "$vm" "$script" || true
    switchover_begin_called "$host" "$vm" "$script" ||
        fail "begin was not called for $vm on $host (migration: $(kill -0 "$MIGRATE_PID" 2>/dev/null && echo running || echo over))"
}

# VM's state on HOST, as `virsh domstate` prints it, is STATE.
guest_state_is() { [ "$(lab_virsh "$1" domstate "$2" 2>/dev/null)" = "$3" ]; }

# ---------------------------------------------------------------- faults after 'begin' returned
#
# The test hook's after= setting (see switchover_test_hook) runs a fault at a
# chosen point once 'begin' returned; the fault_* functions print commands
# for it. after_begin_trial runs one such migration and checks the
# guarantees S1-S4 of the switchover hook once the hosts are back.

# The command that sends SIGNAL (default KILL) to HOST's libvirtd.
fault_kill_daemon() {
    # shellcheck disable=SC2016 # expanded by the helper
    printf 'kill -s %s "$(<%q)"\n' "${2:-KILL}" "$(lab_host_dir "$1")/var/run/libvirtd.pid"
}

# The command that takes the source's end of the link between the hosts down
# (the helper runs in the source host's namespaces). With HOST, HOST's
# libvirtd is stopped (SIGSTOP) meanwhile: what it is about to send, e.g.
# an answer, goes into the dead link (ip takes milliseconds to start).
fault_link_down() {
    if [ $# -eq 0 ]; then
        echo "ip link set eth0 down"
    else
        fault_kill_daemon "$1" STOP
        echo "ip link set eth0 down"
        fault_kill_daemon "$1" CONT
    fi
}

# Bring HOST's end of the link between the hosts up again.
link_up() { ip -n "$1" link set eth0 up; }

# The command that has the virsh shell of virsh_shell_start run ARGS.
fault_virsh_shell() { printf 'echo %q >%q\n' "$*" "$VIRSH_SHELL_FIFO"; }

# virsh_shell_start HOST: a virsh shell on HOST, connected already, that
# reads commands from the FIFO VIRSH_SHELL_FIFO: a command written there
# (fault_virsh_shell) reaches the daemon in about a millisecond, without
# virsh's start-up and connection. virsh_shell_stop ends it.
virsh_shell_start() {
    VIRSH_SHELL_DIR=$(mktemp -d "$(lab_log_dir "$1")/virsh-shell.XXXXXX")
    VIRSH_SHELL_FIFO=$VIRSH_SHELL_DIR/in
    mkfifo "$VIRSH_SHELL_FIFO"
    # Read-write: opening does not wait for virsh, which never sees EOF.
    exec {VIRSH_SHELL_FD}<>"$VIRSH_SHELL_FIFO"
    # Line-buffered: its answers show as they come.
    # Without the lab lock (fd 9), should it outlive the test
    lab_exec "$1" stdbuf -oL virsh -q -c qemu:///system \
        <&"$VIRSH_SHELL_FD" >"$VIRSH_SHELL_DIR/out" 2>"$VIRSH_SHELL_DIR/err" 9>&- &
    VIRSH_SHELL_PID=$!
    E2E_BACKGROUND+=("$!")
    trap e2e_stop_background EXIT
    # It echoes each command line after a prompt: "virsh # echo connected".
    echo "echo connected" >&"$VIRSH_SHELL_FD"
    lab_wait_for 10 "the virsh shell on $1" grep -q '^connected' "$VIRSH_SHELL_DIR/out" ||
        fail "the virsh shell on $1 does not answer: $(cat "$VIRSH_SHELL_DIR/err")"
}

# End the virsh shell: VIRSH_SHELL_ERR holds what it printed on stderr (its
# errors), in one line.
virsh_shell_stop() {
    echo quit >&"$VIRSH_SHELL_FD"
    wait "$VIRSH_SHELL_PID" || true
    exec {VIRSH_SHELL_FD}>&-
    # shellcheck disable=SC2034 # used by the scenarios
    VIRSH_SHELL_ERR=$(tr -s '\n' ' ' <"$VIRSH_SHELL_DIR/err")
}

# The text of a QEMU event in a daemon's log, for after_event: EVENT, or
# MIGRATION with STATUS.
qemu_event_text() {
    if [ $# -gt 1 ]; then
        printf '"event": "%s", "data": {"status": "%s"}' "$1" "$2"
    else
        printf '"event": "%s"}' "$1"
    fi
}

# The time of the after helper's first record WHAT (returned, event, fault,
# done, no-fault, event-timeout) for VM on HOST by SCRIPT; nothing if
# none.
switchover_after_time() {
    switchover_records "$1" "$2" "$3" | awk -F '\t' -v what="$4" '!found && $2 == "after" && $5 == what { print $1; found = 1 }'
}

switchover_after_over() {
    [ -n "$(switchover_after_time "$@" "done")$(switchover_after_time "$@" event-timeout)$(switchover_after_time "$@" no-fault)" ] ||
        { ! kill -0 "$MIGRATE_PID" 2>/dev/null && ! switchover_begin_called "$@"; }
}

# Wait until the after helper of SCRIPT's 'begin' for VM on HOST ran its
# fault, during the migration started by migrate_start; fails if it did not.
switchover_after_wait() {
    local host=$1 vm=$2 script=$3
    lab_wait_for 60 "the fault after begin" switchover_after_over "$host" "$vm" "$script" || true
    [ -n "$(switchover_after_time "$host" "$vm" "$script" "done")" ] && return 0
    [ -z "$(switchover_after_time "$host" "$vm" "$script" event-timeout)" ] ||
        fail "the fault after begin did not happen: no QEMU event like '$AFTER_EVENT' within 30 s"
    [ -z "$(switchover_after_time "$host" "$vm" "$script" no-fault)" ] ||
        fail "the fault after begin did not happen: begin failed or was killed (calls: '$(switchover_calls "$host" "$vm" "$script")')"
    fail "the fault after begin did not happen (calls: '$(switchover_calls "$host" "$vm" "$script")', migration: $(kill -0 "$MIGRATE_PID" 2>/dev/null && echo running || echo over))"
}

# The phase of VM's migration job in HOST's status XML ("none" if none): what
# a restarted daemon finds.
saved_job_phase() {
    local phase
    phase=$(sed -n "s/.*<job [^>]*phase='\([^']*\)'.*/\1/p" \
        "$(lab_host_dir "$1")/var/run/libvirt/qemu/$2.xml" 2>/dev/null | head -n 1)
    echo "${phase:-none}"
}

# Where VM ended: "destination" if it runs on DST and SRC has none,
# "source" if the reverse; fails otherwise.
guest_settled_on() {
    local src=$1 dst=$2 vm=$3
    if guest_state_is "$dst" "$vm" running && ! lab_virsh "$src" dominfo "$vm" >/dev/null 2>&1; then
        echo destination
    elif guest_state_is "$src" "$vm" running && ! lab_virsh "$dst" dominfo "$vm" >/dev/null 2>&1; then
        echo source
    else
        return 1
    fi
}

guest_state_or_absent() { lab_virsh "$1" domstate --reason "$2" 2>/dev/null || echo absent; }

# assert_switchover_outcome SRC DST VM SCRIPT MARK_SRC MARK_DST: the
# guarantees of the switchover hook for the migration of VM from SRC to DST
# in which SCRIPT's 'begin' was called (the hosts' logs since offsets
# MARK_SRC and MARK_DST cover it), within E2E_SETTLE_TIMEOUT s:
# - S1: VM runs on exactly one host and nothing of it is left on the other;
#   on the destination its counter continued from the source's and the
#   source never resumed it; on the source it goes on ticking and the
#   destination never ran it (no tick, no RESUME there);
# - S2, S4: on the destination, SCRIPT's calls were 'prepare begin end';
# - S3, S4: on the source, 'prepare begin abort', and 'abort' returned before
#   libvirt made the guest run (its first 'cont' or 'migrate_cancel' after
#   pre-switchover), unless QEMU resumed it by itself: a RESUME before any
#   such command, or no RESUME at all in the source's log (it happened while
#   the source daemon was dead); then 'abort' just has to come.
# SWITCHOVER_OUTCOME says which case it was.
assert_switchover_outcome() {
    local src=$1 dst=$2 vm=$3 script=$4 mark_src=$5 mark_dst=$6 where pre resume made_run
    lab_wait_for "${E2E_SETTLE_TIMEOUT:-20}" "$vm to run on one host" guest_settled_on "$src" "$dst" "$vm" ||
        fail "S1: $vm is '$(guest_state_or_absent "$src" "$vm")' on $src and '$(guest_state_or_absent "$dst" "$vm")' on $dst (calls: '$(switchover_calls "$src" "$vm" "$script")')"
    where=$(guest_settled_on "$src" "$dst" "$vm")
    assert_no_hook_left "$src"
    pre=$(qemu_event_time "$src" "$mark_src" "MIGRATION pre-switchover")
    resume=$(qemu_event_find "$src" "$mark_src" RESUME "$pre")
    if [ "$where" = destination ]; then
        assert_nothing_left "$src" "$vm"
        [ -z "$resume" ] ||
            fail "S1: $vm ended on $dst but QEMU resumed it on $src too (+$(elapsed_ms "$pre" "$resume") ms after pre-switchover)"
        assert_ticks_continue "$src" "$dst" "$vm"
        assert_switchover_calls "$src" "$vm" "$script" "prepare begin end"
        SWITCHOVER_OUTCOME="on the destination, 'end'"
        return 0
    fi
    assert_guest_stays "$src" "$vm"
    assert_nothing_left "$dst" "$vm"
    [ "$(lab_ticks "$dst" "$vm")" = 0 ] ||
        fail "S1: $vm ended on $src, but it ticked on $dst up to $(lab_ticks "$dst" "$vm")"
    [ -z "$(qemu_event_find "$dst" "$mark_dst" RESUME)" ] ||
        fail "S1: $vm ended on $src, but QEMU resumed it on $dst"
    assert_switchover_calls "$src" "$vm" "$script" "prepare begin abort"
    # S3: 'abort' returned before libvirt made the guest run again (its
    # 'cont', or the 'migrate_cancel' on which QEMU resumes it). QEMU may
    # have resumed it by itself before (a migration failure it detected,
    # possibly while the daemon was dead): then 'abort' just has to come.
    made_run=$(libvirt_command_time "$src" "$mark_src" "cont|migrate_cancel" "$pre")
    if [ -z "$resume" ]; then
        SWITCHOVER_OUTCOME="on the source, QEMU resumed while the daemon was dead, then 'abort'"
    elif [ -z "$made_run" ] || time_before "$resume" "$made_run"; then
        SWITCHOVER_OUTCOME="on the source, QEMU resumed by itself, then 'abort'"
    else
        # The log has milliseconds: the command went within 1 ms after
        assert_order \
            "begin returned" "$(switchover_time "$src" "$vm" "$script" begin exit)" \
            "abort returned" "$(switchover_time "$src" "$vm" "$script" abort exit)" \
            "libvirt's cont or migrate_cancel (+1 ms)" "$(awk -v t="$made_run" 'BEGIN { printf "%.6f", t + 0.001 }')"
        SWITCHOVER_OUTCOME="on the source, 'abort' before libvirt resumed it"
    fi
    note "$SWITCHOVER_OUTCOME"
}

# after_begin_trial SRC DST VM "MIGRATE_ARGS" "RECOVER" SETTING...: one
# migration of a fresh guest VM from SRC to DST (virsh migrate --live
# MIGRATE_ARGS) with a fault once 'begin' returned: installs the test hook on
# SRC with SETTINGs (after=..., see switchover_test_hook), waits for its
# fault, runs RECOVER at once (a command, split into words, e.g.
# "lab_restart_host hosta KILL"; ":" for none; it may collect virsh itself,
# migrate_collect), collects virsh and checks S1-S4
# (assert_switchover_outcome). Notes the outcome, with where the fault hit:
# milliseconds after the hook's 'begin' exit record (and when libvirtd
# reaped the script) and the job phase in SRC's status XML after the
# fault; then removes the guest. TRIAL_OUTCOME holds that
# line, E2E_TRIAL_OUTCOMES collects them. A trial not selected (see
# trial_selected) is skipped, with TRIAL_OUTCOME empty.
after_begin_trial() {
    local src=$1 dst=$2 vm=$3 recover=$5 mark_src mark_dst phase exited returned fault setting
    local -a margs
    TRIAL_OUTCOME=
    trial_selected "$vm" || return 0
    read -r -a margs <<<"$4"
    shift 5
    AFTER_EVENT=
    for setting in "$@"; do
        [ "${setting%%=*}" != after_event ] || AFTER_EVENT=${setting#*=}
    done
    install_switchover_hook "$src" qemu "$@"
    lab_define_guest "$src" "$vm"
    mark_src=$(lab_log_mark "$src")
    mark_dst=$(lab_log_mark "$dst")
    migrate_start "$src" "$dst" "$vm" "${margs[@]}"
    switchover_after_wait "$src" "$vm" qemu
    phase=$(saved_job_phase "$src" "$vm")
    exited=$(switchover_time "$src" "$vm" qemu begin exit)
    returned=$(switchover_after_time "$src" "$vm" qemu returned)
    fault=$(switchover_after_time "$src" "$vm" qemu fault)
    TRIAL_OUTCOME="$vm: fault +$(ms_between "$exited" "$fault") ms after begin's exit record (reaped +$(ms_between "$exited" "$returned") ms; ${AFTER_EVENT:+after $AFTER_EVENT, }$src phase $phase)"
    note "trial $TRIAL_OUTCOME"
    read -r -a margs <<<"$recover"
    "${margs[@]}"
    [ -z "$MIGRATE_PID" ] || migrate_collect
    TRIAL_OUTCOME+=", virsh exit $MIGRATE_RC"
    assert_switchover_outcome "$src" "$dst" "$vm" qemu "$mark_src" "$mark_dst"
    TRIAL_OUTCOME+=": $SWITCHOVER_OUTCOME"
    E2E_TRIAL_OUTCOMES+=("$TRIAL_OUTCOME")
    # The next trial's guest gets the CPUs (TCG).
    lab_remove_guest "$src" "$vm"
    lab_remove_guest "$dst" "$vm"
}

E2E_TRIAL_OUTCOMES=()

# Whether the trial of guest VM runs: always, unless E2E_ONLY_TRIALS (guest
# names, space-separated: to look at a few trials of a scenario) lacks it.
trial_selected() {
    [ -z "${E2E_ONLY_TRIALS:-}" ] || [[ " $E2E_ONLY_TRIALS " == *" $1 "* ]] && return 0
    note "trial $1 skipped (E2E_ONLY_TRIALS)"
    return 1
}

# Note every trial's outcome, one a line, at the end of the test's log.
note_trial_outcomes() {
    local line
    for line in "${E2E_TRIAL_OUTCOMES[@]}"; do
        note "outcome $line"
    done
}

# ---------------------------------------------------------------- QEMU versions
#
# Each host runs the QEMU that LAB_QEMU* chose (lab_qemu; lab/lib.sh).

# HOST's daemon reports QEMU VERSION ("7.2", "10.0": any micro release) in
# `virsh version` and in its capabilities cache, and its capabilities list
# the i440fx machine type of that version as what "pc" stands for.
assert_host_qemu() {
    local host=$1 version=$2 reported cached canonical
    reported=$(lab_qemu_reported "$host")
    [[ "$reported" == "$version".* ]] ||
        fail "$host's daemon reports QEMU '$reported', expected $version.x"
    cached=$(sed -n 's/^ *<version>\([0-9]*\)<\/version>$/\1/p' \
        "$(lab_host_dir "$host")"/var/cache/lab-qemu-"$(lab_qemu "$host")"/capabilities/*.xml | sort -u)
    [ "$cached" = "$(qemu_version_number "$reported")" ] ||
        fail "$host's capabilities cache holds QEMU version(s) '$(tr '\n' ' ' <<<"$cached")', the daemon reports $reported"
    canonical=$(lab_virsh "$host" capabilities |
        sed -n "s/.*<machine canonical='\([^']*\)'[^>]*>pc<\/machine>.*/\1/p" | sort -u)
    [ "$canonical" = "pc-i440fx-$version" ] ||
        fail "$host's capabilities map machine 'pc' to '$(tr '\n' ' ' <<<"$canonical")', expected pc-i440fx-$version"
    note "$host: the daemon reports QEMU $reported (cached $cached), pc = $canonical"
}

# libvirt's number for QEMU version X.Y.Z: X * 1000000 + Y * 1000 + Z.
qemu_version_number() {
    awk -F . '{ printf "%d\n", $1 * 1000000 + $2 * 1000 + $3 }' <<<"$1"
}

# The QEMU that runs guest VM on HOST is VERSION.x (its own answer to QMP
# query-version).
assert_guest_qemu() {
    local host=$1 vm=$2 version=$3 reply got
    reply=$(lab_virsh "$host" qemu-monitor-command "$vm" '{"execute":"query-version"}')
    got=$(sed -nE 's/.*"qemu":\{([^}]*)\}.*/\1/p' <<<"$reply" |
        tr ',' '\n' | sed -nE 's/"(major|minor|micro)":([0-9]+)/\1 \2/p' |
        awk '{ v[$1] = $2 } END { if (length(v) == 3) printf "%d.%d.%d\n", v["major"], v["minor"], v["micro"] }')
    [[ "$got" == "$version".* ]] ||
        fail "$vm on $host runs in QEMU '${got:-?}' (query-version: $reply), expected $version.x"
    note "$vm on $host runs in QEMU $got"
}

# The machine type of VM's live definition on HOST is MACHINE.
assert_guest_machine() {
    local host=$1 vm=$2 machine=$3 got
    got=$(lab_virsh "$host" dumpxml "$vm" | sed -n "s/.*<type [^>]*machine='\([^']*\)'.*/\1/p")
    [ "$got" = "$machine" ] || fail "$vm on $host has machine type '$got', expected $machine"
}

# migrate_armed_and_check SRC DST VM [ARGS...]: migrate VM live from SRC to
# DST, pre-copy, with the test hook armed on SRC (installed with probe=yes
# and a sleep in 'begin'), and check all that the armed pre-copy scenario
# (t-switchover-begin) checks: VM runs on DST only and its counter goes on;
# SRC's hook was called for 'prepare begin end' with DST's name, the domain
# XML on stdin of 'begin', what 'begin' saw (assert_begin_probe), the order
# STOP, pre-switchover, begin, its return, QEMU going on, RESUME on DST,
# 'end'; DST reported RESUMED/migrated. Also: DST's hook was not called for
# VM. Records and logs are looked at from the start of this migration, so
# it can be used for each leg of a round trip. Extra ARGS go to virsh
# migrate; ARMED_MARK_SRC and ARMED_MARK_DST are left set to the offsets
# of both daemons' logs at the start, for the scenario's own checks.
migrate_armed_and_check() {
    local src=$1 dst=$2 vm=$3 pre subop
    events_start "$src"
    events_start "$dst"
    switchover_records_mark "$src"
    switchover_records_mark "$dst"
    ARMED_MARK_SRC=$(lab_log_mark "$src")
    ARMED_MARK_DST=$(lab_log_mark "$dst")
    migrate_and_check "$@"

    assert_switchover_calls "$src" "$vm" qemu "prepare begin end"
    assert_switchover_calls "$dst" "$vm" qemu ""
    for subop in prepare begin end; do
        assert_switchover_argv "$src" "$vm" qemu "$subop" "$(lab_fqdn "$dst")"
    done
    assert_switchover_stdin "$src" "$vm" qemu begin
    assert_begin_probe "$src" "$vm" qemu

    pre=$(qemu_event_time "$src" "$ARMED_MARK_SRC" "MIGRATION pre-switchover")
    assert_order \
        "guest stopped (QEMU STOP, source)" "$(qemu_event_time "$src" "$ARMED_MARK_SRC" STOP)" \
        "QEMU pre-switchover" "$pre" \
        "begin called" "$(switchover_time "$src" "$vm" qemu begin call)" \
        "begin returned" "$(switchover_time "$src" "$vm" qemu begin exit)" \
        "QEMU goes on (device state sent)" "$(qemu_event_time "$src" "$ARMED_MARK_SRC" "MIGRATION (device|completed)" "$pre")" \
        "destination resumed (QEMU RESUME)" "$(qemu_event_time "$dst" "$ARMED_MARK_DST" RESUME)" \
        "end called" "$(switchover_time "$src" "$vm" qemu end call)"
    assert_events "$dst" "$vm" "Resumed Migrated"
}
