#!/usr/bin/env bash
# The switchover hook, shown on the lab: start two libvirt hosts, boot a
# guest on hosta, install the example hook lab/hooks/switchover-log there,
# live-migrate the guest to hostb and print what happened when, then tear the
# lab down. Run as root, after a build (make demo does both).
#
#   demo.sh [--keep]    --keep: leave the lab up afterwards (lab/lab.sh down)
#
# The lab's environment (LAB_INSTALL_ROOT, LAB_PREFIX, LAB_GUEST_*) applies.
. "$(dirname "$0")/lib.sh"

keep=no
case ${1:-} in
    --keep) keep=yes ;;
    '') ;;
    *) die "usage: $0 [--keep]" ;;
esac

GUEST=demo
HOOK=$LAB_DIR/hooks/switchover-log
HOOK_PATH=qemu.d/50-switchover-log
work_log=$(mktemp)

# ---------------------------------------------------------------- output

say() { printf '%s\n' "$*"; }
step() { printf '%-58s' "$*"; }
# Run a command for a step, showing its output only if it fails.
run_step() {
    local t0=$EPOCHREALTIME
    if "$@" >>"$work_log" 2>&1; then
        awk -v a="$t0" -v b="$EPOCHREALTIME" 'BEGIN { printf "done (%.1f s)\n", b - a }'
    else
        say "FAILED"
        tail -n 30 "$work_log" >&2
        exit 1
    fi
}

# Milliseconds from the migration's start to time T (seconds since the epoch).
ms() { awk -v t="$1" -v t0="$T0" 'BEGIN { printf "%.1f", (t - t0) * 1000 }'; }
# Milliseconds between two times.
span() { awk -v a="$1" -v b="$2" 'BEGIN { printf "%.1f", (b - a) * 1000 }'; }

# Timeline rows: "<time> <text>", sorted and printed at the end.
rows=()
row() { [ -z "$1" ] || rows+=("$1 $2"); }

# A time from a libvirtd.log line ("2026-11-22 03:35:30.969+0000: ...").
log_time() { date -d "$(cut -c 1-28 <<<"$1")" +%s.%3N; }

# ---------------------------------------------------------------- the run

require_root
lab_lock
cleanup() {
    rm -f "$work_log"
    [ "$keep" = yes ] || lab_down >/dev/null 2>&1 || true
}
trap cleanup EXIT

say "The switchover hook of libvirt's live migration"
say "==============================================="
say "During a live migration QEMU copies the guest's memory while the guest"
say "runs, then pauses it for the last step (the switchover): the rest of the"
say "memory and the device state go to the destination, which then resumes it."
say "The hook lets an admin's script run at exactly that moment, with the guest"
say "paused on the source and the destination not yet running: a storage"
say "backend can flush a cache or move a volume to the destination there."
say

step "Starting two libvirt hosts, hosta and hostb ..."
run_step "$LAB_DIR/lab.sh" up
lab_load_env

step "Booting guest '$GUEST' on hosta ..."
run_step lab_define_guest hosta "$GUEST"
say "  It prints a tick every $LAB_GUEST_TICK_MS ms and keeps rewriting $LAB_GUEST_DIRTY_MIB MiB of its"
say "  128 MiB, so memory has to be copied in several passes."

step "Installing the example hook on hosta ..."
run_step lab_install_hook hosta "$HOOK_PATH" <"$HOOK"
say "  lab/hooks/switchover-log: answers \"enable\" when asked ('prepare'),"
say "  sleeps 200 ms in 'begin' like a storage flush, logs every call."

# The series adds the hook operation "switchover" to libvirt's hook code.
supported=yes
if [ "$(strings "$LAB_TREE/lib/x86_64-linux-gnu/libvirt.so.0" | grep -cx switchover)" -eq 0 ]; then
    supported=no
fi
[ "$supported" = yes ] || say "  NOTE: this libvirt has no switchover hook support (not patched): the
  migration below runs without the hook."

mark_a=$(lab_log_mark hosta)
mark_b=$(lab_log_mark hostb)
hook_log=$(lab_log_dir hosta)/libvirt/switchover-hook.log
hook_seen=$( [ -f "$hook_log" ] && wc -l <"$hook_log" || echo 0)
step "Live-migrating '$GUEST' from hosta to hostb ..."
T0=$EPOCHREALTIME
run_step lab_virsh hosta migrate --live "$GUEST" "$(lab_uri hostb)"
T_END=$EPOCHREALTIME
say

# ---------------------------------------------------------------- collect

# QEMU's events, with QEMU's own microsecond timestamps.
events_a=$(lab_migration_events hosta "$mark_a")
events_b=$(lab_migration_events hostb "$mark_b")
first() { awk -v re="^($2)\$" '{ t = $1; sub(/^[^ ]+ /, "") } !f && $0 ~ re { print t; f = 1 }' <<<"$1"; }

t_setup=$(first "$events_a" "MIGRATION setup")
t_stop=$(first "$events_a" STOP)
t_pre=$(first "$events_a" "MIGRATION pre-switchover")
t_device=$(first "$events_a" "MIGRATION device")
t_done=$(first "$events_a" "MIGRATION completed")
t_resume=$(first "$events_b" RESUME)
passes=$(awk '$2 == "MIGRATION_PASS" { print $1, $3 }' <<<"$events_a")
npasses=$(grep -c . <<<"$passes" || true)

# The hook's own log: "<time> <vm> <subop> <destination> <what>".
hook_calls=$(tail -n "+$((hook_seen + 1))" "$hook_log" 2>/dev/null | awk -v vm="$GUEST" '$2 == vm' || true)
hook_time() { awk -v s="$1" -v w="$2" '!f && $3 == s && $5 == w { print $1; f = 1 }' <<<"$hook_calls"; }
t_prepare=$(hook_time prepare armed)
t_begin=$(hook_time begin start)
t_begin_done=$(hook_time begin finished)
t_hook_end=$(hook_time end -)

# libvirt's monitor traffic: when it told QEMU to go on past pre-switchover.
line=$(tail -c "+$((mark_a + 1))" "$(lab_daemon_log hosta)" |
    grep -m 1 'QEMU_MONITOR_SEND_MSG.*"migrate-continue"' || true)
# The log has millisecond resolution: take the middle of that millisecond,
# and not before 'begin' returned (libvirt waits for it).
t_continue=
if [ -n "$line" ]; then
    t_continue=$(awk -v t="$(log_time "$line")" -v b="${t_begin_done:-0}" 'BEGIN { t += 0.0005; printf "%.6f", (t > b ? t : b) }')
fi
# QEMU's own downtime, from its last answer to query-migrate.
qemu_downtime=$(tail -c "+$((mark_a + 1))" "$(lab_daemon_log hosta)" |
    grep 'QEMU_MONITOR_RECV_REPLY.*"status": "completed"' | grep -o '"downtime": [0-9]*' |
    tail -n 1 | grep -o '[0-9]*$' || true)
# libvirt's view of the finished job, on the destination.
jobinfo=$(lab_virsh hostb domjobinfo --completed "$GUEST" 2>/dev/null || true)
libvirt_downtime=$(awk '/^Total downtime:/ { print $3 }' <<<"$jobinfo")
libvirt_elapsed=$(awk '/^Time elapsed:/ { print $3 }' <<<"$jobinfo")


# ---------------------------------------------------------------- timeline

row "$T0" "virsh migrate --live starts (on the client)"
row "$t_prepare" "hook 'prepare' on hosta answers \"enable\": armed for this migration"
row "$t_setup" "QEMU on hosta starts the migration"
n=0
while read -r t pass; do
    [ -n "$t" ] || continue
    n=$((n + 1))
    if [ "$pass" = 1 ]; then
        what="memory pass 1: all of the guest's RAM, while it runs"
    elif [ -n "$t_stop" ] && awk -v a="$t" -v b="$t_stop" 'BEGIN { exit !(a > b) }'; then
        what="memory pass $pass: the pages dirtied last, while the guest is paused"
    else
        what="memory pass $pass: pages the guest dirtied meanwhile"
    fi
    # Many passes: the first three and the last two are enough.
    if [ "$npasses" -gt 7 ] && [ "$n" -gt 3 ] && [ "$n" -le $((npasses - 2)) ]; then
        [ "$n" -ne 4 ] || row "$t" "... ($((npasses - 5)) more passes)"
        continue
    fi
    row "$t" "$what"
done <<<"$passes"
row "$t_stop" "guest paused on hosta (QEMU STOP; libvirt reports SUSPENDED/migrated)"
row "$t_pre" "QEMU waits at pre-switchover: device state not sent, hostb not running"
row "$t_begin" "hook 'begin' starts on hosta"
[ -z "$t_begin_done" ] ||
    row "$t_begin_done" "hook 'begin' returns, after $(span "$t_begin" "$t_begin_done") ms"
row "$t_continue" "libvirt sends migrate-continue: QEMU may go on (libvirt's log, +-0.5 ms)"
row "$t_device" "QEMU sends the device state to hostb"
row "$t_done" "QEMU on hosta: migration completed"
row "$t_resume" "guest runs on hostb (QEMU RESUME)"
row "$t_hook_end" "hook 'end' on hosta: hostb took over"
row "$T_END" "virsh migrate returns"

say "What happened, in milliseconds since the migration started"
say "(QEMU's event timestamps, the hook's clock and libvirt's log; one machine,"
say "one clock):"
printf '%s\n' "${rows[@]}" | sort -s -n -k 1,1 | while read -r t text; do
    printf '  %9s ms  %s\n' "$(ms "$t")" "$text"
done
say

if [ -n "$hook_calls" ]; then
    say "The calls libvirt made to the hook on hosta (hooks/$HOOK_PATH <vm> switchover"
    say "<step> <destination>, the domain XML on stdin), from the hook's log:"
    while read -r t vm subop dst what; do
        printf '  %9s ms  %s switchover %s %s%s\n' "$(ms "$t")" "$vm" "$subop" "$dst" \
            "$(case $what in -) ;; *) echo "   ($what)" ;; esac)"
    done <<<"$hook_calls"
    say
fi

say "The guest was paused for:"
if [ -n "$t_stop" ] && [ -n "$t_resume" ]; then
    printf '  %-56s %9s ms\n' "from its STOP on hosta to its RESUME on hostb (QEMU)" "$(span "$t_stop" "$t_resume")"
fi
if [ -n "$t_begin_done" ]; then
    printf '  %-56s %9s ms\n' "  of which the hook's 'begin'" "$(span "$t_begin" "$t_begin_done")"
fi
[ -z "$libvirt_downtime" ] ||
    printf '  %-56s %9s ms\n' "libvirt's downtime (domjobinfo --completed on hostb)" "$libvirt_downtime"
[ -z "$qemu_downtime" ] ||
    printf '  %-56s %9s ms\n' "QEMU's own downtime (query-migrate on hosta)" "$qemu_downtime"
[ -z "$libvirt_elapsed" ] ||
    printf '  %-56s %9s ms\n' "total migration time (libvirt)" "$libvirt_elapsed"
say "  (QEMU counts until hosta sent everything; libvirt and the first line"
say "  until the guest ran again on hostb.)"
say

if [ "$supported" = no ]; then
    say "NOTE: the installed libvirt ($LAB_INSTALL_ROOT$LAB_PREFIX) has no switchover"
    say "hook support: it is not patched, so the hook was never called and the"
    say "timeline above has no hook steps. Build and install the series"
    say "(make build), then run this again."
elif [ -z "$t_prepare" ]; then
    say "NOTE: libvirt did not call the hook's 'prepare' on hosta: this build does"
    say "not arm the switchover hook yet. The timeline above has no hook steps."
elif [ -z "$t_begin" ]; then
    say "NOTE: libvirt asked the hook ('prepare') but never called 'begin' at the"
    say "switchover: this build does not call it yet."
else
    say "The hook ran while the guest was paused on hosta and hostb was not yet"
    say "running it; libvirt let QEMU go on only after 'begin' returned."
fi
say
say "Hook log on hosta: ${hook_log#"$TOP"/}"
say "Daemon logs: ${LAB_LOGS#"$TOP"/}/$LAB_RUN_ID/{hosta,hostb}/libvirtd.log"
[ "$keep" = no ] || say "The lab stays up (lab/lab.sh status, lab/lab.sh down)."
