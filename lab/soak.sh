#!/usr/bin/env bash
# Soak test of the switchover hook, too slow for CI (make soak): ROUNDS round
# trips hosta -> hostb -> hosta of one guest, armed both ways (the e2e test
# hook, lab/e2e/lib.sh, on each host), each checked as the e2e tests check a
# migration (the guest runs and ticks on the destination, nothing is left on
# the source, 'prepare begin end' on the source). It stops at the first
# round trip that fails.
#
# Leaks: the open file descriptors, threads and RSS (VmRSS) of both libvirtd
# are measured after a warm-up round trip (one-time allocations do not
# count), every 10 round trips (a trend: a leak grows steadily, the
# allocator's caches level off) and at the end; zombies and hook processes
# left in the hosts are looked for at the end.
#
#   ROUNDS=N lab/soak.sh       (default 100; run as root)
#   LAB_QEMU=10.0 lab/soak.sh  (the same on QEMU 10.0; see lab/README.md)
#
# SOAK_HOOK=none installs no hook: the same soak as a baseline, also for
# unpatched libvirt (LAB_INSTALL_ROOT=work/install-upstream
# LAB_PREFIX=/opt/libvirt-switchover/upstream).
#
# Writes work/soak/<timestamp>/: summary.txt (also printed), usage.txt (the
# daemons' figures) and soak.log (every check). Exits non-zero if a round
# trip failed or a process was left.
. "$(dirname "$0")/lib.sh"

ROUNDS=${ROUNDS:-100}
SOAK_HOOK=${SOAK_HOOK:-armed}
GUEST=soak1
OUT=$WORK/soak/$(date +%Y%m%d-%H%M%S)
# Seconds the daemons get to close what the last round trip's clients left.
SETTLE=2

require_root
[[ $ROUNDS =~ ^[1-9][0-9]*$ ]] || die "ROUNDS must be a positive number, got '$ROUNDS'"
case $SOAK_HOOK in
    armed | none) ;;
    *) die "SOAK_HOOK must be armed or none, got '$SOAK_HOOK'" ;;
esac
mkdir -p "$OUT"
SOAKLOG=$OUT/soak.log
USAGE=$OUT/usage.txt
lab_lock
trap '"$LAB_DIR/lab.sh" down' EXIT
log "lab up (${LAB_INSTALL_ROOT#"$TOP"/}$LAB_PREFIX)"
"$LAB_DIR/lab.sh" up
# shellcheck source=e2e/lib.sh
. "$LAB_DIR/e2e/lib.sh"

# One round trip, checked; fail() ends it with the reason in $OUT/reason.
round_trip() {
    switchover_records_mark hosta
    switchover_records_mark hostb
    migrate_and_check hosta hostb "$GUEST"
    migrate_and_check hostb hosta "$GUEST"
    [ "$SOAK_HOOK" = armed ] || return 0
    assert_switchover_calls hosta "$GUEST" qemu "prepare begin end"
    assert_switchover_calls hostb "$GUEST" qemu "prepare begin end"
}

# Run round_trip in a subshell of its own; fails if it failed. (In the
# background: a subshell in a condition would run without set -e.)
run_round_trip() {
    round_trip 2>>"$SOAKLOG" &
    wait "$!"
}

# After round trip N (0: the warm-up), a line of usage.txt for each host's
# libvirtd: "N HOST FDS THREADS RSS_KIB".
record_usage() {
    local host pid
    sleep "$SETTLE"
    for host in "${LAB_HOSTS[@]}"; do
        pid=$(cat "$(lab_host_dir "$host")/var/run/libvirtd.pid")
        echo "$1 $host $(find "/proc/$pid/fd" -mindepth 1 -maxdepth 1 | wc -l)" \
            "$(awk '$1 == "Threads:" { t = $2 } $1 == "VmRSS:" { r = $2 } END { print t, r }' "/proc/$pid/status")"
    done >>"$USAGE"
}

# HOST's zombie processes, as "PID(NAME)".
zombies() {
    local pid stat state
    for pid in $(ip netns pids "$1"); do
        stat=$(cat "/proc/$pid/stat" 2>/dev/null) || continue
        state=${stat##*) }
        if [ "${state%% *}" = Z ]; then
            echo "$pid($(cat "/proc/$pid/comm" 2>/dev/null))"
        fi
    done
}

if [ "$SOAK_HOOK" = armed ]; then
    for host in "${LAB_HOSTS[@]}"; do
        install_switchover_hook "$host" qemu
    done
fi
lab_define_guest hosta "$GUEST"
E2E_REASON_FILE=$OUT/reason
export E2E_REASON_FILE
log "warm-up round trip"
run_round_trip || die "the warm-up round trip failed: $(cat "$OUT/reason") (see $SOAKLOG)"
record_usage 0

log "$ROUNDS round trips (log: ${SOAKLOG#"$TOP"/})"
start=$SECONDS
ok=0 failure=
for ((round = 1; round <= ROUNDS; round++)); do
    echo "--- round $round" >>"$SOAKLOG"
    if ! run_round_trip; then
        failure="round $round: $(cat "$OUT/reason")"
        break
    fi
    ok=$((ok + 1))
    if [ $((round % 10)) -eq 0 ] && [ "$round" -lt "$ROUNDS" ]; then
        log "$round round trips done"
        record_usage "$round"
    fi
done
elapsed=$((SECONDS - start))
record_usage "$ok"

left=
for host in "${LAB_HOSTS[@]}"; do
    pids=$(switchover_hook_pids "$host" | tr '\n' ' ')
    [ -z "$pids" ] || left+="$host: hook processes left: $pids; "
    pids=$(zombies "$host" | tr '\n' ' ')
    [ -z "$pids" ] || left+="$host: zombies: $pids; "
done
# The guest ends on hosta: no QEMU of it may be left on hostb.
pids=$(lab_qemu_pids hostb "$GUEST" | tr '\n' ' ')
[ -z "$pids" ] || left+="hostb: QEMU of $GUEST left: $pids; "

{
    echo "soak: $ok/$ROUNDS round trips hosta -> hostb -> hosta succeeded (hook: $SOAK_HOOK), $elapsed s"
    [ -z "$failure" ] || echo "first failure: $failure"
    # The durations virsh migrate took, as migrate_collect noted them.
    sed -nE 's/^--- migrate .*: exit 0 in ([0-9]+) ms.*/\1/p' "$SOAKLOG" | sort -n |
        awk '{ d[NR] = $1 } END { if (NR) printf "migrations: %d, %d-%d ms, median %d ms (warm-up included)\n", NR, d[1], d[NR], d[int((NR + 1) / 2)] }'
    for host in "${LAB_HOSTS[@]}"; do
        awk -v host="$host" '$2 == host { if (!n++) { f = $3; t = $4; r = $5 } rss = rss " " $5; F = $3; T = $4; R = $5 }
            END { printf "libvirtd %s, after the warm-up -> at the end: fds %d -> %d, threads %d -> %d, RSS %d -> %d KiB (%+d)\n", host, f, F, t, T, r, R, R - r
                  printf "  RSS after the warm-up, every 10 round trips, at the end (KiB):%s\n", rss }' "$USAGE"
    done
    echo "left in the hosts: ${left:-nothing (no hook process, no zombie, no QEMU on hostb)}"
    echo "libvirt: ${LAB_INSTALL_ROOT#"$TOP"/}$LAB_PREFIX; lab logs: ${LAB_LOGS#"$TOP"/}/$LAB_RUN_ID"
    # Which QEMU each daemon ran (LAB_QEMU*, lab/README.md).
    for host in "${LAB_HOSTS[@]}"; do
        echo "$host $(lab_qemu_reported "$host" || echo '?')"
    done | paste -sd , - | sed 's/,/, /g; s/^/QEMU: /'
} | tee "$OUT/summary.txt"
[ -z "$failure" ] && [ -z "$left" ]
