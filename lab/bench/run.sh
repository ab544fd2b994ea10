#!/usr/bin/env bash
# What the switchover hook costs: a benchmark in the lab, comparing variants
# in one run (ratios against unpatched libvirt), never a pass/fail test.
#
#   lab/bench/run.sh             ROUNDS (default 20) rounds of every variant
#
# Variants, all with the same guest and workload:
#   0 upstream    unpatched libvirt 11.3.0 (work/install-upstream)
#   1 no-hook     patched, no qemu hook script
#   2 not-armed   patched, a #!/bin/sh qemu hook that prints nothing
#   3 sh-armed    patched, armed: a #!/bin/sh hook answering "enable"
#   4 static      patched, armed: a static C no-op (lab/bench/noop-hook.c)
#   5 sleep-50ms  patched, armed: a #!/bin/sh hook sleeping 50 ms in begin
# each on every QEMU of BENCH_QEMUS (7.2, 10.0: both hosts run it) and with
# every log setting of BENCH_LOGGING:
#   debug     the lab's debug filters (LAB_LOG_FILTERS: qemu_monitor,
#             qemu_migration, qemu_process, util.hook, util.command at debug)
#             to libvirtd.log: what the breakdown ("where the time goes")
#             and the monitor-event figures need
#   default   libvirtd's defaults: no filters, warnings and errors only
#             ("3:file:.../libvirtd.log", what a daemonized root libvirtd
#             without journald writes)
# switched at run time on both daemons with `virt-admin daemon-log-filters`
# and `daemon-log-outputs` (no restart). Figures that the default log setting
# cannot give come from QEMU itself: the bench guest runs with
# `-trace migrate_set_state -trace vm_state_notify -msg timestamp=on` (QEMU's
# log trace backend, a handful of lines per migration, with -D to
# var/log/qemu-trace.log of each host), for every variant alike.
#
# A round migrates the guest hosta -> hostb -> hosta once per variant, QEMU
# and log setting (two samples each). Changing the build or the QEMU needs
# the lab brought up again; the log setting does not. So a round groups by
# QEMU, and within a QEMU by build, in an order that alternates from round to
# round so that consecutive rounds share a lab: odd rounds 7.2 upstream, 7.2
# patched, 10.0 patched, 10.0 upstream; even rounds the reverse. Within each
# lab the log settings alternate which comes first, and the order of
# variants 1-5 rotates from round to round. After every `lab.sh up` the
# fresh guest makes unrecorded warm-up round trips. The lab lock is taken per
# round: other users of the lab get their turn between rounds (the lab is
# then brought up again).
#
# Writes work/bench/<timestamp>/: results.csv (one row per migration),
# bench.png, summary.md, meta.env, the hooks used and a log; then (unless
# BENCH_PUBLISH=0) regenerates BENCHMARKS.md and lab/bench/results/.
#
# Environment:
#   ROUNDS            rounds (20)
#   BENCH_VARIANTS    variants to run ("0 1 2 3 4 5")
#   BENCH_QEMUS       QEMUs to run them on ("7.2 10.0")
#   BENCH_LOGGING     log settings to run them with ("debug default")
#   BENCH_DIRTY_MIB   the guest's dirtied memory, MiB (8; the lab's default
#                     of 48 often does not converge quickly under TCG)
#   BENCH_WARMUP      unrecorded round trips after each lab start (1)
#   BENCH_SETTLE_TICKS  guest ticks (50 ms) to wait after each migration (20)
#   BENCH_TIMEOUT     seconds before a migration is aborted (120)
#   BENCH_PUBLISH     1: update BENCHMARKS.md and lab/bench/results/ (1)
#   BENCH_KEEP        1: leave the lab up at the end (0)
#   BENCH_OUT         output directory (work/bench/<timestamp>)
export LAB_GUEST_DIRTY_MIB=${BENCH_DIRTY_MIB:-8}
# shellcheck source=../lib.sh
. "$(dirname "$0")/../lib.sh"

BENCH_DIR=$LAB_DIR/bench
ROUNDS=${ROUNDS:-20}
BENCH_VARIANTS=${BENCH_VARIANTS:-0 1 2 3 4 5}
BENCH_QEMUS=${BENCH_QEMUS:-7.2 10.0}
BENCH_LOGGING=${BENCH_LOGGING:-debug default}
BENCH_WARMUP=${BENCH_WARMUP:-1}
BENCH_SETTLE_TICKS=${BENCH_SETTLE_TICKS:-20}
BENCH_TIMEOUT=${BENCH_TIMEOUT:-120}
BENCH_PUBLISH=${BENCH_PUBLISH:-1}
BENCH_KEEP=${BENCH_KEEP:-0}
OUT=${BENCH_OUT:-$WORK/bench/$(date +%Y%m%d-%H%M%S)}
GUEST=bench
PY=/usr/bin/python3

declare -A LABEL=([0]=upstream [1]=no-hook [2]=not-armed [3]=sh-armed [4]=static [5]=sleep-50ms)

# ---------------------------------------------------------------- setup

require_root
[[ $ROUNDS =~ ^[1-9][0-9]*$ ]] || die "ROUNDS must be a positive number, got '$ROUNDS'"
for v in $BENCH_VARIANTS; do
    [ -n "${LABEL[$v]:-}" ] || die "unknown variant '$v' (0-5)"
done
for q in $BENCH_QEMUS; do
    lab_qemu_check "$q"
done
for l in $BENCH_LOGGING; do
    case $l in
        debug | default) ;;
        *) die "unknown log setting '$l' (debug, default)" ;;
    esac
done
"$TOP/scripts/deps.sh" bench
if ! $PY -c 'import matplotlib' 2>/dev/null; then
    die "python3-matplotlib is missing (apt-get install python3-matplotlib)"
fi
[ -x "$INSTALL_ROOT$PREFIX/sbin/libvirtd" ] ||
    die "no patched build in ${INSTALL_ROOT#"$TOP"/} (make build)"
if [[ " $BENCH_VARIANTS " == *" 0 "* ]] &&
    [ ! -x "$UPSTREAM_INSTALL_ROOT$UPSTREAM_PREFIX/sbin/libvirtd" ]; then
    log "building unpatched libvirt (scripts/build.sh --upstream)"
    "$TOP/scripts/build.sh" --upstream
fi

mkdir -p "$OUT/hooks"
CSV=$OUT/results.csv
RUNLOG=$OUT/run.log
: >"$RUNLOG"
note() { printf '%s %s\n' "$(date +%T)" "$*" | tee -a "$RUNLOG" >&2; }

# The hooks of variants 2-5.
HOOKS=$OUT/hooks
printf '#!/bin/sh\n' >"$HOOKS/not-armed"
cat >"$HOOKS/sh-armed" <<'EOF'
#!/bin/sh
[ "$2" = switchover ] && [ "$3" = prepare ] && echo enable
exit 0
EOF
cat >"$HOOKS/sleep-50ms" <<'EOF'
#!/bin/sh
case $2/$3 in
switchover/prepare) echo enable ;;
switchover/begin) sleep 0.05 ;;
esac
exit 0
EOF
gcc -static -O2 -Wall -Werror -o "$HOOKS/static" "$BENCH_DIR/noop-hook.c" ||
    die "cannot build the static no-op hook (gcc -static, libc6-dev)"
chmod 0755 "$HOOKS"/*
gcc -O2 -Wall -Werror -pthread -o "$OUT/spawncost" "$BENCH_DIR/spawncost.c" ||
    die "cannot build lab/bench/spawncost.c"

# What was measured, for the report.
{
    echo "started=$(date -u '+%Y-%m-%d %H:%M UTC')"
    echo "rounds=$ROUNDS"
    echo "variants=$BENCH_VARIANTS"
    echo "qemus=$BENCH_QEMUS"
    echo "logging=$BENCH_LOGGING"
    echo "log_filters_debug=$LAB_LOG_FILTERS"
    echo "dirty_mib=$LAB_GUEST_DIRTY_MIB"
    echo "tick_ms=$LAB_GUEST_TICK_MS"
    echo "warmup=$BENCH_WARMUP"
    echo "settle_ticks=$BENCH_SETTLE_TICKS"
    echo "nproc=$(nproc)"
    echo "cpu=$(sed -n 's/^model name[[:space:]]*: //p' /proc/cpuinfo | head -n 1)"
    echo "memory=$(awk '/^MemTotal/ { printf "%.1f GiB", $2 / 1048576 }' /proc/meminfo)"
    echo "kernel=$(uname -r)"
    echo "os=$(. /etc/os-release && echo "$PRETTY_NAME")"
    echo "qemu=$(qemu-system-x86_64 --version | head -n 1)"
    echo "qemu10=$("$QEMU10_ROOT/usr/bin/qemu-system-x86_64" --version 2>/dev/null | head -n 1)"
    echo "patched=$(series_id)"
    echo "load_start=$(cut -d' ' -f1-3 /proc/loadavg)"
} >"$OUT/meta.env"

# ---------------------------------------------------------------- the lab

# The lab lock (lab/lib.sh's), held for one round at a time.
bench_lock() {
    LAB_LOCK_TIMEOUT=7200 lab_lock 2> >(tee -a "$RUNLOG" >&2)
}

bench_unlock() {
    flock -u 9
    exec 9>&-
    unset LAB_LOCK_HELD
}

CUR_KIND=
CUR_QEMU=
CUR_RUN=
CUR_LOGGING=

# The host the guest runs on, or nothing.
guest_host() {
    local host
    for host in "${LAB_HOSTS[@]}"; do
        if [ "$(lab_virsh "$host" domstate "$GUEST" 2>/dev/null)" = running ]; then
            echo "$host"
            return 0
        fi
    done
}

lab_is_ours() {
    [ -f "$LAB_ENV_FILE" ] || return 1
    # shellcheck source=/dev/null
    [ "$(. "$LAB_ENV_FILE" && echo "$LAB_RUN_ID")" = "$CUR_RUN" ] || return 1
    [ -n "$(guest_host)" ]
}

# The bench guest: the lab's guest (lab_domain_xml), with QEMU's trace of its
# migration states and run states, timestamped (microseconds), to
# var/log/qemu-trace.log of the host it runs on (QEMU truncates it when it
# starts: the file holds what the host's current or last QEMU of the guest
# traced).
TRACE_NAME=qemu-trace.log
bench_guest_xml() {
    lab_domain_xml "$GUEST" no | sed \
        -e "s|^<domain type='qemu'>|<domain type='qemu' xmlns:qemu='http://libvirt.org/schemas/domain/qemu/1.0'>|" \
        -e "s|^</domain>|  <qemu:commandline>\\
    <qemu:arg value='-D'/>\\
    <qemu:arg value='$LAB_PREFIX/var/log/$TRACE_NAME'/>\\
    <qemu:arg value='-trace'/>\\
    <qemu:arg value='enable=migrate_set_state'/>\\
    <qemu:arg value='-trace'/>\\
    <qemu:arg value='enable=vm_state_notify'/>\\
    <qemu:arg value='-msg'/>\\
    <qemu:arg value='timestamp=on'/>\\
  </qemu:commandline>\\
</domain>|"
}

trace_file() { echo "$(lab_log_dir "$1")/$TRACE_NAME"; }

define_bench_guest() {
    local xml
    xml=$(lab_log_dir hosta)/$GUEST.xml
    bench_guest_xml >"$xml"
    lab_virsh hosta create "$xml" >/dev/null
    lab_wait_for "$LAB_GUEST_BOOT_TIMEOUT" "$GUEST to tick on hosta" \
        lab_ticking hosta "$GUEST" 0 ||
        die "$GUEST did not boot on hosta (see $(lab_serial_log hosta "$GUEST"))"
}

# The lab up on the build KIND (upstream, patched) with QEMU QEMU on both
# hosts, the guest running on hosta; brought up only when the running lab is
# not ours or another build or QEMU.
ensure_lab() {
    local kind=$1 qemu=$2 root prefix host
    if [ "$kind" = "$CUR_KIND" ] && [ "$qemu" = "$CUR_QEMU" ] && lab_is_ours; then
        host=$(guest_host)
        [ "$host" = hosta ] || migrate_once "$host" hosta "" ""
        return 0
    fi
    case $kind in
        upstream) root=$UPSTREAM_INSTALL_ROOT prefix=$UPSTREAM_PREFIX ;;
        patched) root=$INSTALL_ROOT prefix=$PREFIX ;;
    esac
    save_logs
    note "lab up: $kind (${root#"$TOP"/}$prefix), QEMU $qemu"
    env LAB_QEMU="$qemu" LAB_INSTALL_ROOT="$root" LAB_PREFIX="$prefix" "$LAB_DIR/lab.sh" up >>"$RUNLOG" 2>&1 ||
        die "lab.sh up failed (see $RUNLOG)"
    lab_load_env
    CUR_KIND=$kind CUR_QEMU=$qemu CUR_RUN=$LAB_RUN_ID CUR_LOGGING=debug
    lab_virsh hosta version >"$OUT/version-$kind-$qemu.txt"
    define_bench_guest
    local i
    for ((i = 0; i < BENCH_WARMUP; i++)); do
        migrate_once hosta hostb "" "" || die "warm-up migration failed (see $RUNLOG)"
        migrate_once hostb hosta "" "" || die "warm-up migration failed (see $RUNLOG)"
    done
}

hooks_dir() { echo "$(lab_host_dir "$1")/etc/libvirt/hooks"; }

# HOST's virt-admin (the daemon's admin socket, inside the host).
lab_virt_admin() {
    local host=$1
    shift
    nsenter -t "$(lab_pid "$host")" -m -n -u -- "$LAB_PREFIX/bin/virt-admin" -c libvirtd:///system "$@"
}

# Both daemons' log setting: debug (the lab's, see the header) or default.
set_logging() {
    local mode=$1 host filters outputs
    [ "$mode" != "$CUR_LOGGING" ] || return 0
    case $mode in
        debug) filters=$LAB_LOG_FILTERS outputs="1:file:$LAB_PREFIX/var/log/libvirtd.log" ;;
        default) filters='' outputs="3:file:$LAB_PREFIX/var/log/libvirtd.log" ;;
    esac
    for host in "${LAB_HOSTS[@]}"; do
        lab_virt_admin "$host" daemon-log-filters "$filters" >/dev/null &&
            lab_virt_admin "$host" daemon-log-outputs "$outputs" >/dev/null ||
            die "cannot set the log setting '$mode' on $host (virt-admin)"
        { echo "== $host: $mode"; lab_virt_admin "$host" daemon-log-filters; lab_virt_admin "$host" daemon-log-outputs; } >>"$RUNLOG" 2>&1
    done
    CUR_LOGGING=$mode
}

# Install the qemu hook of variant V on both hosts (none for 0 and 1).
set_hooks() {
    local v=$1 host
    for host in "${LAB_HOSTS[@]}"; do
        case $v in
            0 | 1)
                if [ -e "$(hooks_dir "$host")/qemu" ] || [ -e "$(hooks_dir "$host")/qemu.d" ]; then
                    rm -rf "$(hooks_dir "$host")/qemu" "$(hooks_dir "$host")/qemu.d"
                    lab_reload "$host"
                fi
                ;;
            *) lab_install_hook "$host" qemu <"$HOOKS/${LABEL[$v]}" ;;
        esac
    done
}

# ---------------------------------------------------------------- migrations

CSV_FIELDS=(round variant label qemu logging direction ok trace_gap_ms trace_stop_to_resume_ms gap_ms next_status stop_to_resume_ms
    libvirt_downtime_ms libvirt_downtime_net_ms qemu_downtime_ms libvirt_total_ms
    qemu_total_ms qemu_setup_ms wall_ms switchover_calls hook_prepare_ms
    hook_begin_ms hook_start_ms recv_delay_ms presw_to_continue_ms
    continue_to_next_ms load1 lab_run time)
if [ ! -f "$CSV" ]; then
    (IFS=,; echo "${CSV_FIELDS[*]}") >"$CSV"
fi

# Migrate the guest from SRC to DST; with ROUND and VARIANT, record it as a
# sample in results.csv (with the current QEMU and log setting). Returns
# non-zero if the migration failed.
migrate_once() {
    local src=$1 dst=$2 round=$3 v=$4
    local mark_src mark_dst t0 t1 rc=0 out tick
    local -A row=()
    mark_src=$(lab_log_mark "$src")
    mark_dst=$(lab_log_mark "$dst")
    out=$(mktemp)
    row[load1]=$(cut -d' ' -f1 /proc/loadavg)
    t0=$(date +%s%N)
    # SIGINT makes virsh abort the migration job.
    timeout -s INT "$BENCH_TIMEOUT" \
        nsenter -t "$(lab_pid "$src")" -m -n -u -- "$LAB_PREFIX/bin/virsh" -c qemu:///system \
        migrate --live "$GUEST" "$(lab_uri "$dst")" >"$out" 2>&1 || rc=$?
    t1=$(date +%s%N)
    if [ "$rc" -ne 0 ]; then
        note "migration $src -> $dst failed (exit $rc): $(tr -s '\n' ' ' <"$out")"
    fi
    rm -f "$out"
    if [ "$rc" -eq 0 ]; then
        # The destination's record of the job, then a guest that runs again
        # for a while before the next migration.
        lab_virsh "$dst" domjobinfo --completed "$GUEST" >"$OUT/jobinfo.txt" 2>&1 || true
        tick=$(lab_ticks "$dst" "$GUEST")
        lab_wait_for 30 "$GUEST to tick on $dst" \
            lab_ticking "$dst" "$GUEST" $((tick + BENCH_SETTLE_TICKS)) ||
            note "$GUEST does not tick on $dst"
    else
        : >"$OUT/jobinfo.txt"
    fi
    [ -n "$round" ] || return "$rc"

    row[round]=$round row[variant]=$v row[label]=${LABEL[$v]}
    row[qemu]=$CUR_QEMU row[logging]=$CUR_LOGGING
    row[direction]="$src>$dst" row[ok]=$((rc == 0))
    row[wall_ms]=$(((t1 - t0) / 1000000))
    row[lab_run]=$LAB_RUN_ID row[time]=$(date +%T)
    local key value
    while IFS='=' read -r key value; do
        row[$key]=$value
    done < <($PY "$BENCH_DIR/metrics.py" "$(lab_daemon_log "$src")" "$mark_src" \
        "$(lab_daemon_log "$dst")" "$mark_dst" "$OUT/jobinfo.txt" \
        "$(trace_file "$src")" "$(trace_file "$dst")")
    local line='' field
    for field in "${CSV_FIELDS[@]}"; do
        line+=${line:+,}${row[$field]:-}
    done
    echo "$line" >>"$CSV"
    note "round $round QEMU $CUR_QEMU $CUR_LOGGING variant $v ${LABEL[$v]} $src>$dst:" \
        "gap ${row[trace_gap_ms]:-?} ms (trace), ${row[gap_ms]:--} ms (events)," \
        "stop-resume ${row[stop_to_resume_ms]:-?} ms, libvirt downtime ${row[libvirt_downtime_ms]:-?} ms," \
        "qemu downtime ${row[qemu_downtime_ms]:-?} ms, calls ${row[switchover_calls]:--}"
    return "$rc"
}

# Variant V's samples of a round: hosta -> hostb -> hosta.
run_variant() {
    local round=$1 v=$2
    set_hooks "$v"
    migrate_once hosta hostb "$round" "$v" || true
    local host
    host=$(guest_host)
    case $host in
        hostb) migrate_once hostb hosta "$round" "$v" || true ;;
        hosta) ;;
        *) die "the guest is lost after a migration (see $RUNLOG)" ;;
    esac
}

# Resident size (MiB) and threads of the patched lab's hosta libvirtd, after
# its migrations: the size of the process that starts the hooks.
daemon_size() {
    local pid
    pid=$(cat "$(lab_host_dir hosta)/var/run/libvirtd.pid" 2>/dev/null) || return 0
    awk '/^VmRSS:/ { rss = int($2 / 1024) } /^Threads:/ { t = $2 } END { if (rss) print rss, t }' \
        "/proc/$pid/status" >"$OUT/daemon-size.txt" 2>/dev/null || true
}

# Top CPU users now (the second of two top snapshots, 0.5 s apart), to see
# what else ran on the machine.
record_load() {
    {
        echo "== round $1 $(date +%T) load $(cut -d' ' -f1-3 /proc/loadavg)"
        top -b -n 2 -d 0.5 -w 200 | awk '/^top -/ { n++ } n == 2' | sed -n '8,14p'
    } >>"$OUT/load.log" 2>/dev/null || true
}

# A compressed copy of the daemons' logs of the lab run we use (the lab keeps
# the logs of its last ten runs only), for a closer look afterwards
# (lab/bench/breakdown.py).
save_logs() {
    local host
    [ -n "$CUR_RUN" ] && [ -d "$LAB_LOGS/$CUR_RUN" ] || return 0
    mkdir -p "$OUT/logs"
    for host in "${LAB_HOSTS[@]}"; do
        gzip -c "$LAB_LOGS/$CUR_RUN/$host/libvirtd.log" >"$OUT/logs/$CUR_RUN-$host.log.gz" 2>/dev/null || true
    done
}

finish() {
    local rc=$?
    trap - EXIT
    save_logs
    # Take the lab down if it is still ours (another user may have it now).
    if [ "$BENCH_KEEP" != 1 ] && [ -n "$CUR_RUN" ]; then
        if lab_try_lock && lab_is_ours; then
            LAB_LOCK_HELD=1 "$LAB_DIR/lab.sh" down >>"$RUNLOG" 2>&1 || true
        fi
    fi
    exit "$rc"
}
trap finish EXIT

# ---------------------------------------------------------------- rounds

want() { [[ " $BENCH_VARIANTS " == *" $1 "* ]]; }

note "benchmark: $ROUNDS rounds, variants $BENCH_VARIANTS, QEMU $BENCH_QEMUS, logging $BENCH_LOGGING, output ${OUT#"$TOP"/}"
# The labs of a round, as QEMU:build, for odd rounds; even rounds take them
# in reverse order (consecutive rounds share the lab at their boundary).
labs=()
i=0
for q in $BENCH_QEMUS; do
    if ((i % 2)); then kinds=(patched upstream); else kinds=(upstream patched); fi
    for kind in "${kinds[@]}"; do
        labs+=("$q:$kind")
    done
    i=$((i + 1))
done

for ((round = 1; round <= ROUNDS; round++)); do
    bench_lock
    record_load "$round"
    order_labs=("${labs[@]}")
    if ! ((round % 2)); then
        order_labs=()
        for ((i = ${#labs[@]} - 1; i >= 0; i--)); do order_labs+=("${labs[i]}"); done
    fi
    li=0
    for lab in "${order_labs[@]}"; do
        qemu=${lab%%:*} kind=${lab#*:}
        li=$((li + 1))
        if [ "$kind" = upstream ]; then
            want 0 || continue
            order=(0)
        else
            order=()
            for ((i = 0; i < 5; i++)); do
                v=$(((round - 1 + i) % 5 + 1))
                ! want "$v" || order+=("$v")
            done
            [ ${#order[@]} -gt 0 ] || continue
        fi
        # The log settings, alternating which comes first.
        read -r -a logging <<<"$BENCH_LOGGING"
        if (((round + li) % 2)) && [ ${#logging[@]} -eq 2 ]; then
            logging=("${logging[1]}" "${logging[0]}")
        fi
        ensure_lab "$kind" "$qemu"
        for mode in "${logging[@]}"; do
            set_logging "$mode"
            for v in "${order[@]}"; do
                run_variant "$round" "$v"
            done
        done
        [ "$kind" = upstream ] || daemon_size
    done
    save_logs
    bench_unlock
done

# What starting the hooks costs outside libvirt (spawncost.txt, for the
# report): from a process the size of the source libvirtd of the patched lab
# (recorded during the rounds, see daemon_size) and from a small one. Needs no
# lab.
spawn_cost() {
    local rss threads prog size
    read -r rss threads <"$OUT/daemon-size.txt" || return 0
    echo "libvirtd rss_mib=$rss threads=$threads load=$(cut -d' ' -f1 /proc/loadavg)" >"$OUT/spawncost.txt"
    for prog in sh-armed static; do
        for size in "$rss $((threads - 1))" "1 0"; do
            # shellcheck disable=SC2086
            "$OUT/spawncost" $size 200 "$HOOKS/$prog" |
                sed "s/^/$prog ${size// /,} /" >>"$OUT/spawncost.txt"
        done
    done
}
if [ -s "$OUT/daemon-size.txt" ]; then
    note "spawn cost outside libvirt"
    spawn_cost || note "spawncost failed"
fi

{
    echo "load_end=$(cut -d' ' -f1-3 /proc/loadavg)"
    echo "finished=$(date -u '+%Y-%m-%d %H:%M UTC')"
    echo "lock_waits=$(grep -c 'waiting for another user' "$RUNLOG" || true)"
} >>"$OUT/meta.env"
note "report: ${OUT#"$TOP"/}"
report_args=("$OUT")
[ "$BENCH_PUBLISH" != 1 ] || report_args+=(--publish "$TOP")
$PY "$BENCH_DIR/report.py" "${report_args[@]}"
