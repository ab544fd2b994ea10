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
# clock of the hook's records).
migrate_collect() {
    MIGRATE_RC=0
    wait "$MIGRATE_PID" || MIGRATE_RC=$?
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
    local host=$1 offset=$2 event=$3 after=${4:-0} time
    time=$(lab_migration_events "$host" "$offset" |
        awk -v re="^($event)\$" -v after="$after" '
            { t = $1; sub(/^[^ ]+ /, "") }
            !found && t > after && $0 ~ re { print t; found = 1 }')
    [ -n "$time" ] || fail "no QEMU event '$event' on $host (after $after)"
    echo "$time"
}

# Fail unless HOST's log since OFFSET lacks QEMU events matching EVENT.
assert_no_qemu_event() {
    local host=$1 offset=$2 event=$3 seen
    seen=$(lab_migration_events "$host" "$offset" | grep -E -- " ($event)\$" || true)
    [ -z "$seen" ] || fail "unexpected QEMU event on $host: $(head -n 1 <<<"$seen")"
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
        awk -v a="${times[$i - 1]}" -v b="${times[$i]}" 'BEGIN { exit !(a < b) }' ||
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
# The script and every process it starts carry SWITCHOVER_TEST_HOOK in their
# environment (see switchover_hook_pids).
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
EOF
    for setting in "$@"; do
        case ${setting%%=*} in
            answer | fail | sleep | probe | stdin | output | signal | meet)
                printf '%s=%q\n' "${setting%%=*}" "${setting#*=}" ;;
            *) die "switchover_test_hook: unknown setting '$setting'" ;;
        esac
    done
    cat <<'EOF'

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
record() {
    local IFS=$'\t'
    echo "$*" >>"$records/calls.log"
}
if [ "$3" = begin ] && [ "$stdin" = close ]; then
    exec <&-
    input=-
else
    input=$(mktemp "$records/stdin.XXXXXX")
    cat >"$input"
fi
record "$t0" call "$script" "$1" "$#" "$2" "$3" "$4" "${input##*/}"

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
record "$EPOCHREALTIME" exit "$script" "$1" "$3" "$status"
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
