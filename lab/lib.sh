# Shared settings and helpers of the lab: two libvirt hosts on this machine.
# Source it; do not run it.
# shellcheck shell=bash

. "$(dirname "${BASH_SOURCE[0]}")/../scripts/lib.sh"

LAB_DIR=$TOP/lab
LAB_WORK=$WORK/lab                # runtime state (git-ignored)
LAB_ENV_FILE=$LAB_WORK/lab.env    # written by `up`: which build the running lab uses
LAB_TREE=$LAB_WORK/tree           # the running lab's copy of the install tree
LAB_LOGS=$LAB_WORK/logs           # one directory per `up`, "current" links the last
LAB_SHARED=$LAB_WORK/shared       # disk images both hosts see at the same path
GUEST_DIR=$WORK/guest             # kernel and initramfs (lab/guest/build.sh)

# The build the lab runs: an install tree (DESTDIR) holding a build for PREFIX.
# A running lab keeps the values it was started with (see lab_load_env).
LAB_INSTALL_ROOT=${LAB_INSTALL_ROOT:-$INSTALL_ROOT}
LAB_PREFIX=${LAB_PREFIX:-$PREFIX}

LAB_HOSTS=(hosta hostb)
LAB_DOMAIN=lab.test
LAB_NETMASK=24
declare -A LAB_IP=([hosta]=192.0.2.1 [hostb]=192.0.2.2)
declare -A LAB_UUID=(
    [hosta]=3c7d6f4e-1a2b-4c3d-8e9f-00000000000a
    [hostb]=3c7d6f4e-1a2b-4c3d-8e9f-00000000000b
)
declare -A LAB_MIGRATION_PORTS=([hosta]="49152 49215" [hostb]="49216 49279")

# The guest: 128 MiB, 1 vCPU, TCG. Its workload is tunable per guest.
LAB_GUEST_TICK_MS=${LAB_GUEST_TICK_MS:-50}
LAB_GUEST_DIRTY_MIB=${LAB_GUEST_DIRTY_MIB:-48}
LAB_GUEST_BOOT_TIMEOUT=${LAB_GUEST_BOOT_TIMEOUT:-120}
# Its machine type: "pc" is the newest i440fx of the QEMU that starts it; a
# guest that must migrate to an older QEMU needs one both know
# (e.g. pc-i440fx-7.2).
LAB_GUEST_MACHINE=${LAB_GUEST_MACHINE:-pc}

# The QEMU each host runs: "7.2", the system's (Debian 12), or "10.0", the
# bookworm-backports build unpacked into $QEMU10_ROOT (scripts/fetch-qemu.sh)
# and bind-mounted over the system's QEMU paths in that host's mount
# namespace only (lab_mount_qemu). LAB_QEMU sets both hosts (default 7.2),
# LAB_QEMU_hosta and LAB_QEMU_hostb one each. A running lab keeps what it was
# started with (lab.env), until `lab.sh set-qemu` switches a host.
LAB_QEMU_VERSIONS=(7.2 10.0)
# What 10.0 puts over the system's paths: whole directories (data, firmware,
# modules) and the binaries of /usr/bin and /usr/lib/qemu that the system has
# too (lab_mount_qemu).
LAB_QEMU10_DIRS=(/usr/share/qemu /usr/share/seabios /usr/lib/x86_64-linux-gnu/qemu)
LAB_QEMU10_BIN_DIRS=(/usr/bin /usr/lib/qemu)

# What the daemons log (to <run>/<host>/libvirtd.log). QEMU's events, with
# their microsecond timestamps, come with qemu.qemu_monitor (at level 1).
LAB_LOG_FILTERS=${LAB_LOG_FILTERS:-1:qemu.qemu_monitor 1:qemu.qemu_migration 1:qemu.qemu_process 1:util.hook 1:util.command 3:*}

lab_deps() {
    "$TOP/scripts/deps.sh" lab
}

# One lab user at a time: commands that (re)build or tear down the lab, and
# whole test runs, hold this lock on file descriptor 9. Their children inherit
# it (LAB_LOCK_HELD); the daemons must not (see lab_start_host). The lock is
# the machine's, not the checkout's: the hosts' network namespaces are global,
# so labs of two clones of this repository cannot run at once.
LAB_LOCK=/run/lock/libvirt-switchover-lab.lock
lab_lock() {
    [ -z "${LAB_LOCK_HELD:-}" ] || return 0
    if ! lab_try_lock; then
        log "waiting for another user of the lab to finish"
        flock -w "${LAB_LOCK_TIMEOUT:-900}" 9 || die "the lab stays busy"
    fi
    export LAB_LOCK_HELD=1
}

# Take the lock if it is free; fails at once otherwise.
lab_try_lock() {
    exec 9>"$LAB_LOCK"
    flock -n 9
}

lab_check_host() {
    [ -n "${LAB_IP[${1:-}]:-}" ] || die "unknown host '${1:-}' (hosts: ${LAB_HOSTS[*]})"
}

# The QEMU version ("7.2" or "10.0") HOST runs, or is to run when started.
lab_qemu() {
    local var=LAB_QEMU_$1
    echo "${!var:-${LAB_QEMU:-7.2}}"
}

# Fail unless VERSION is one the lab can run, and is there to run.
lab_qemu_check() {
    case " ${LAB_QEMU_VERSIONS[*]} " in
        *" $1 "*) ;;
        *) die "unknown QEMU '$1' (LAB_QEMU*: ${LAB_QEMU_VERSIONS[*]})" ;;
    esac
    [ "$1" != 10.0 ] || [ -f "$QEMU10_ROOT/.unpacked" ] ||
        die "QEMU 10.0 is not unpacked in $QEMU10_ROOT (run scripts/fetch-qemu.sh)"
}

# The QEMU version HOST's daemon reports (from its capabilities), e.g. 10.0.2.
lab_qemu_reported() {
    lab_virsh "$1" version | sed -n 's/^Running hypervisor: QEMU //p'
}

lab_fqdn() { echo "$1.$LAB_DOMAIN"; }
# The URI other hosts reach a host's daemon at.
lab_uri() { echo "qemu+tcp://$(lab_fqdn "$1")/system"; }
lab_host_dir() { echo "$LAB_WORK/$1"; }
# The host's log directory of the current run, as seen from the root namespace.
lab_log_dir() { echo "$LAB_LOGS/$LAB_RUN_ID/$1"; }

# Settings of the running lab; fails if the lab is not up.
lab_load_env() {
    [ -f "$LAB_ENV_FILE" ] || die "the lab is not up (lab/lab.sh up)"
    # shellcheck source=/dev/null
    . "$LAB_ENV_FILE"
}

# PID of the host's reaper (tini, the daemon's parent), whose namespaces are
# the host's.
lab_pid() {
    local pid
    pid=$(cat "$(lab_host_dir "$1")/pid" 2>/dev/null) || die "$1 is not running"
    # A dead process may linger as a zombie, without namespaces.
    [ -e "/proc/$pid/ns/mnt" ] || die "$1 is not running (pid $pid is gone)"
    echo "$pid"
}

# Run a command inside a host's network, mount and UTS namespaces.
lab_exec() {
    local host=$1
    shift
    nsenter -t "$(lab_pid "$host")" -m -n -u -- \
        env PATH="$LAB_PREFIX/bin:$LAB_PREFIX/sbin:$PATH" "$@"
}

lab_virsh() {
    local host=$1
    shift
    lab_exec "$host" virsh -c qemu:///system "$@"
}

# Poll a command until it succeeds; fail after a timeout in seconds.
lab_wait_for() {
    local timeout=$1 what=$2
    shift 2
    local deadline=$((SECONDS + timeout))
    until "$@" >/dev/null 2>&1; do
        [ "$SECONDS" -lt "$deadline" ] || {
            log "timed out after ${timeout}s waiting for $what"
            return 1
        }
        sleep 0.1
    done
}

# ---------------------------------------------------------------- up / down

lab_netns_exists() { [ -e "/run/netns/$1" ]; }
lab_host_empty() { [ -z "$(ip netns pids "$1")" ]; }

# Kill every process of a host (they all live in its network namespace),
# politely first. Mounts go away with their namespaces.
lab_kill_host() {
    local host=$1 pids signal
    lab_netns_exists "$host" || return 0
    for signal in TERM KILL; do
        pids=$(ip netns pids "$host")
        [ -n "$pids" ] || return 0
        # shellcheck disable=SC2086
        kill -s "$signal" $pids 2>/dev/null || true
        lab_wait_for 10 "$host to stop" lab_host_empty "$host" && return 0
    done
    die "processes of $host survive SIGKILL: $(ip netns pids "$host")"
}

lab_down() {
    local host
    for host in "${LAB_HOSTS[@]}"; do
        lab_kill_host "$host"
    done
    for host in "${LAB_HOSTS[@]}"; do
        if lab_netns_exists "$host"; then
            ip netns delete "$host"
        fi
        rm -f "$(lab_host_dir "$host")/pid"
    done
    rm -f "$LAB_ENV_FILE"
}

# Settings the notes found necessary: without group access to /dev/kvm
# libvirt re-probes QEMU on every call; post-copy needs userfaultfd.
lab_prepare_machine() {
    if [ -e /dev/kvm ]; then
        getent group kvm >/dev/null || groupadd --system kvm
        chgrp kvm /dev/kvm
        chmod 0660 /dev/kvm
    fi
    sysctl -q -w vm.unprivileged_userfaultfd=1
    # Mount point of the install tree inside the hosts' mount namespaces.
    mkdir -p "$LAB_PREFIX"
}

lab_network_up() {
    local host
    for host in "${LAB_HOSTS[@]}"; do
        ip netns add "$host"
        ip -n "$host" link set lo up
    done
    ip -n hosta link add eth0 type veth peer name eth0 netns hostb
    for host in "${LAB_HOSTS[@]}"; do
        ip -n "$host" addr add "${LAB_IP[$host]}/$LAB_NETMASK" dev eth0
        ip -n "$host" link set eth0 up
    done
}

# The host's private etc and var: the installed defaults plus the lab's
# settings. var/cache is kept across runs (QEMU capabilities cache).
lab_host_config() {
    local host=$1 dir etc ports
    dir=$(lab_host_dir "$host")
    etc=$dir/etc
    read -r -a ports <<<"${LAB_MIGRATION_PORTS[$host]}"
    rm -rf "$etc" "$dir/var/run" "$dir/var/lib"
    mkdir -p "$etc" "$dir/var" "$(lab_log_dir "$host")/serial"
    cp -a "$LAB_TREE/etc/." "$etc/"
    cp -a "$LAB_TREE/var/." "$dir/var/"
    cp -a "$LAB_TREE/var/log/." "$(lab_log_dir "$host")/"

    cat >>"$etc/libvirt/libvirtd.conf" <<EOF

# ---- lab settings for $host
listen_tls = 0
listen_tcp = 1
auth_tcp = "none"
host_uuid = "${LAB_UUID[$host]}"
log_filters = "$LAB_LOG_FILTERS"
log_outputs = "1:file:$LAB_PREFIX/var/log/libvirtd.log"
EOF
    cat >>"$etc/libvirt/qemu.conf" <<EOF

# ---- lab settings for $host
user = "root"
group = "root"
dynamic_ownership = 0
remember_owner = 0
security_driver = "none"
namespaces = [ ]
stdio_handler = "file"
migration_port_min = ${ports[0]}
migration_port_max = ${ports[1]}
shared_filesystems = [ "$LAB_SHARED" ]
EOF
    lab_install_reload_hook "$host"
}

# The lab's own daemon hook: libvirt runs "hooks/daemon - reload begin SIGHUP"
# after it rescanned the hook directory, so `lab_reload` can wait for it.
lab_install_reload_hook() {
    local hooks
    hooks=$(lab_host_dir "$1")/etc/libvirt/hooks
    mkdir -p "$hooks"
    cat >"$hooks/daemon" <<EOF
#!/bin/sh
# Installed by the lab (lab/lib.sh): marks the end of a hook rescan on SIGHUP.
[ "\$2" = reload ] && touch "$LAB_PREFIX/var/run/lab-reloaded"
exit 0
EOF
    chmod 0755 "$hooks/daemon"
}

# Files both hosts see in place of the machine's /etc/<file>: the names of the
# hosts, and libvirt's default QEMU user and group (the daemon resolves them
# at start even when qemu.conf says root; Debian-like builds default to
# libvirt-qemu, which this machine need not have).
LAB_ETC_FILES=(hosts passwd group)
lab_etc_files() {
    local etc=$LAB_WORK/etc host
    mkdir -p "$etc"
    {
        echo "127.0.0.1 localhost"
        for host in "${LAB_HOSTS[@]}"; do
            echo "${LAB_IP[$host]} $(lab_fqdn "$host") $host"
        done
    } >"$etc/hosts"
    cp /etc/passwd "$etc/passwd"
    cp /etc/group "$etc/group"
    getent passwd libvirt-qemu >/dev/null ||
        echo "libvirt-qemu:x:64055:64055:Libvirt Qemu:/nonexistent:/usr/sbin/nologin" >>"$etc/passwd"
    getent group libvirt-qemu >/dev/null || echo "libvirt-qemu:x:64055:" >>"$etc/group"
}

# Runs inside the host's fresh namespaces (see lab_start_host): lay out the
# file system, name the host and become the reaper of libvirtd.
lab_boot() {
    local host=$1 dir file
    dir=$(lab_host_dir "$host")
    mount --bind "$LAB_TREE" "$LAB_PREFIX"
    mount -o remount,bind,ro "$LAB_PREFIX"
    mount --bind "$dir/etc" "$LAB_PREFIX/etc"
    mount --bind "$dir/var" "$LAB_PREFIX/var"
    mount --bind "$(lab_log_dir "$host")" "$LAB_PREFIX/var/log"
    lab_mount_qemu "$(lab_qemu "$host")" "$dir"
    for file in "${LAB_ETC_FILES[@]}"; do
        mount --bind "$LAB_WORK/etc/$file" "/etc/$file"
    done
    hostname "$(lab_fqdn "$host")"
    echo $$ >"$dir/pid"
    exec tini -s -- "$LAB_PREFIX/sbin/libvirtd" --listen \
        --pid-file "$LAB_PREFIX/var/run/libvirtd.pid"
}

# Runs inside the host's mount namespace (lab_boot), for QEMU VERSION: with
# 10.0, the unpacked tree goes read-only over the system's QEMU paths, which
# the root namespace and the other host keep. libvirt keeps one capabilities
# cache file per emulator path and discards it when the binary changes: each
# QEMU gets a cache directory of its own (in the host's var/cache, kept
# across runs), so that switching a host costs no new probe.
lab_mount_qemu() {
    local version=$1 dir=$2 path file target
    mkdir -p "$dir/var/cache/lab-qemu-$version" "$LAB_PREFIX/var/cache/libvirt/qemu"
    mount --bind "$dir/var/cache/lab-qemu-$version" "$LAB_PREFIX/var/cache/libvirt/qemu"
    [ "$version" = 10.0 ] || return 0
    for path in "${LAB_QEMU10_DIRS[@]}"; do
        lab_bind_ro "$QEMU10_ROOT$path" "$path"
    done
    for path in "${LAB_QEMU10_BIN_DIRS[@]}"; do
        for file in "$QEMU10_ROOT$path"/*; do
            target=$path/${file##*/}
            # Not symlinks (kvm, qemu-system-amd64): a bind mount follows
            # them to their targets, mounted already. A binary the system
            # lacks has no mount point; libvirt does not look for it.
            if [ -f "$file" ] && [ ! -L "$file" ] && [ -f "$target" ] && [ ! -L "$target" ]; then
                lab_bind_ro "$file" "$target"
            fi
        done
    done
}

lab_bind_ro() {
    mount --bind "$1" "$2"
    mount -o remount,bind,ro "$2"
}

lab_start_host() {
    local host=$1
    setsid ip netns exec "$host" unshare --uts --mount --propagation private -- \
        env -i PATH="$PATH" LC_ALL=C LAB_INSTALL_ROOT="$LAB_INSTALL_ROOT" \
        LAB_PREFIX="$LAB_PREFIX" LAB_RUN_ID="$LAB_RUN_ID" \
        "LAB_QEMU_$host=$(lab_qemu "$host")" \
        "$LAB_DIR/lab.sh" _boot "$host" \
        </dev/null >>"$(lab_log_dir "$host")/daemon.out" 2>&1 9>&- &
}

# Wait until the daemon answers on its QEMU driver (the first call probes
# QEMU's capabilities, unless cached).
lab_wait_host() {
    local host=$1 deadline=$((SECONDS + 60))
    until lab_virsh "$host" version >/dev/null 2>&1; do
        if [ "$SECONDS" -ge "$deadline" ] || lab_host_empty "$host"; then
            tail -n 20 "$(lab_log_dir "$host")/daemon.out" "$(lab_log_dir "$host")/libvirtd.log" >&2 || true
            die "libvirtd on $host did not come up"
        fi
        sleep 0.2
    done
}

# The hosts run a copy of the install tree (hard links, so it is cheap): a
# rebuild replaces the install tree (and removing directories that are mount
# points in the hosts' namespaces would unmount their etc and var); the
# running lab goes on with the build it started with. The copy is only
# renewed when the tree changed: new links change the files' ctime, which
# makes libvirt discard its QEMU capabilities cache (a 4 s probe per host).
lab_copy_tree() {
    local source=$LAB_INSTALL_ROOT$LAB_PREFIX identity
    identity=$(cd "$source" && find . -printf '%p %i %s %T@\n' | sort | sha256sum)
    identity="$source $identity"
    [ "$(cat "$LAB_TREE.source" 2>/dev/null)" != "$identity" ] || return 0
    rm -rf "$LAB_TREE" "$LAB_TREE.source"
    mkdir -p "$LAB_TREE"
    cp -al "$source/." "$LAB_TREE/" 2>/dev/null || cp -a "$source/." "$LAB_TREE/"
    echo "$identity" >"$LAB_TREE.source"
}

# Keep the logs of the last runs only.
lab_prune_logs() {
    find "$LAB_LOGS" -mindepth 1 -maxdepth 1 -type d -printf '%f\n' | sort | head -n -10 |
        while read -r run; do rm -rf "${LAB_LOGS:?}/$run"; done
}

lab_up() {
    local host
    [ -x "$LAB_INSTALL_ROOT$LAB_PREFIX/sbin/libvirtd" ] ||
        die "no libvirtd in $LAB_INSTALL_ROOT$LAB_PREFIX (run scripts/build.sh)"
    lab_deps
    "$LAB_DIR/guest/build.sh"
    for host in "${LAB_HOSTS[@]}"; do
        lab_qemu_check "$(lab_qemu "$host")"
    done
    lab_down
    trap 'lab_down' EXIT
    trap 'exit 130' INT
    trap 'exit 143' TERM

    LAB_RUN_ID=$(date +%Y%m%d-%H%M%S)-$$
    mkdir -p "$LAB_LOGS/$LAB_RUN_ID" "$LAB_SHARED"
    ln -sfn "$LAB_RUN_ID" "$LAB_LOGS/current"
    lab_prune_logs
    lab_etc_files
    lab_copy_tree
    lab_prepare_machine
    lab_network_up
    for host in "${LAB_HOSTS[@]}"; do
        lab_host_config "$host"
        lab_start_host "$host"
    done
    for host in "${LAB_HOSTS[@]}"; do
        lab_wait_booted "$host"
    done
    cat >"$LAB_ENV_FILE" <<EOF
LAB_INSTALL_ROOT=$LAB_INSTALL_ROOT
LAB_PREFIX=$LAB_PREFIX
LAB_RUN_ID=$LAB_RUN_ID
EOF
    for host in "${LAB_HOSTS[@]}"; do
        echo "LAB_QEMU_$host=$(lab_qemu "$host")" >>"$LAB_ENV_FILE"
    done
    trap - EXIT INT TERM
}

lab_wait_booted() {
    local host=$1
    lab_wait_for 20 "$host to boot" test -s "$(lab_host_dir "$host")/pid" ||
        die "$host did not boot (see $(lab_log_dir "$host")/daemon.out)"
    lab_wait_host "$host"
}

# Stop a host's libvirtd with SIGNAL (TERM: a clean shutdown; KILL: a crash),
# unless it is dead already, and start it again in fresh mount and UTS namespaces of the same network
# namespace. Its guests' QEMU processes go on and the new daemon reconnects
# to them, as after a restart of libvirtd on a real host. With "--config",
# the host's etc and var are laid out anew in between (no guest may run).
lab_restart_host() {
    local host=$1 signal=${2:-TERM} config=${3:-} dir pid
    dir=$(lab_host_dir "$host")
    pid=$(cat "$dir/var/run/libvirtd.pid") || die "no libvirtd pid on $host"
    # A test may have killed it already.
    kill -s "$signal" "$pid" 2>/dev/null || true
    lab_wait_for 30 "libvirtd on $host to exit" lab_gone "$pid" ||
        die "libvirtd on $host (pid $pid) did not exit on SIG$signal"
    rm -f "$dir/pid"
    if [ "$config" = --config ]; then
        lab_host_config "$host"
    fi
    lab_start_host "$host"
    lab_wait_booted "$host"
}

lab_gone() { ! kill -0 "$1" 2>/dev/null; }

# Make HOST run QEMU VERSION (see LAB_QEMU): restart its daemon with the
# other QEMU mounted, and record the choice in lab.env for the lab's later
# commands. The host must have no guest (a QEMU that runs keeps its binary).
lab_set_qemu() {
    local host=$1 version=$2
    lab_qemu_check "$version"
    [ "$(lab_qemu "$host")" != "$version" ] || return 0
    [ -z "$(lab_virsh "$host" list --all --name | sed '/^$/d')" ] ||
        die "$host has guests: QEMU can only be switched on an empty host"
    sed -i "/^LAB_QEMU_$host=/d" "$LAB_ENV_FILE"
    echo "LAB_QEMU_$host=$version" >>"$LAB_ENV_FILE"
    printf -v "LAB_QEMU_$host" %s "$version"
    lab_restart_host "$host"
}

# Append settings (one a line) to a host's libvirt config FILE (qemu.conf,
# libvirtd.conf) and restart its daemon; `lab_reset` restores the defaults.
lab_set_config() {
    local host=$1 file=$2 dir
    shift 2
    dir=$(lab_host_dir "$host")
    [ -f "$dir/etc/libvirt/$file" ] || die "no $file on $host"
    printf '%s\n' "# ---- set by a test (lab_set_config)" "$@" >>"$dir/etc/libvirt/$file"
    touch "$dir/config-changed"
    lab_restart_host "$host"
}

# Let HOST's TCP connections give up after N retransmissions
# (net.ipv4.tcp_retries2 of its network namespace): the kernel's default, 15,
# takes about 15 minutes on a dead link, 3 about 3 s. lab_reset restores 15.
lab_set_tcp_retries() { ip netns exec "$1" sysctl -qw "net.ipv4.tcp_retries2=$2"; }

lab_status() {
    local host pid
    if [ ! -f "$LAB_ENV_FILE" ]; then
        echo "lab: down"
        return 0
    fi
    lab_load_env
    echo "lab: up, run $LAB_RUN_ID, libvirt $LAB_INSTALL_ROOT$LAB_PREFIX"
    echo "logs: $LAB_LOGS/$LAB_RUN_ID"
    for host in "${LAB_HOSTS[@]}"; do
        if ! pid=$( (lab_pid "$host") 2>&1); then
            echo "$host: $pid"
            continue
        fi
        echo "$host ($(lab_fqdn "$host"), ${LAB_IP[$host]}), pid $pid, QEMU $(lab_qemu "$host") (the daemon reports $(lab_qemu_reported "$host" || echo nothing)):"
        lab_virsh "$host" list --all | sed '/^$/d; s/^/    /'
    done
}

# ---------------------------------------------------------------- hooks

# SIGHUP the daemon and wait until it rescanned its hook directory.
lab_reload() {
    local host=$1 dir
    dir=$(lab_host_dir "$host")
    lab_install_reload_hook "$host"
    rm -f "$dir/var/run/lab-reloaded"
    kill -HUP "$(cat "$dir/var/run/libvirtd.pid")"
    lab_wait_for 20 "$host to reload" test -e "$dir/var/run/lab-reloaded" ||
        die "libvirtd on $host did not reload"
}

# Install a hook script, read from stdin, as hooks/PATH on a host (e.g. "qemu"
# or "qemu.d/50-test"), with file MODE (default 0755), and make the daemon
# pick it up.
lab_install_hook() {
    local host=$1 path=$2 mode=${3:-0755}
    # shellcheck disable=SC2016
    lab_exec "$host" sh -c 'mkdir -p "$(dirname "$1")" && cat >"$1" && chmod "$2" "$1"' \
        install-hook "$LAB_PREFIX/etc/libvirt/hooks/$path" "$mode"
    lab_reload "$host"
}

# ---------------------------------------------------------------- logs

lab_daemon_log() { echo "$(lab_log_dir "$1")/libvirtd.log"; }

# Size of a host's daemon log: an offset for lab_migration_events.
lab_log_mark() { stat -c %s "$(lab_daemon_log "$1")"; }

# QEMU's migration-related events as a host's libvirtd received them (from
# byte OFFSET of its log on, default 0), one a line with QEMU's own
# microsecond timestamp: "<seconds>.<microseconds> <EVENT> [<status>]"
# (for MIGRATION_PASS, the pass number instead of a status).
lab_migration_events() {
    local host=$1 offset=${2:-0}
    tail -c "+$((offset + 1))" "$(lab_daemon_log "$host")" |
        sed -nE 's/.*QEMU_MONITOR_RECV_EVENT.*"seconds": ([0-9]+), "microseconds": ([0-9]+)\}, "event": "((MIGRATION|STOP|RESUME)[A-Z_]*)"(, "data": \{"(status|pass)": "?([a-z0-9-]+)"?)?.*/\1 \2 \3 \7/p' |
        awk '{ printf "%d.%06d %s%s\n", $1, $2, $3, ($4 == "" ? "" : " " $4) }'
}

# ---------------------------------------------------------------- guests

lab_serial_log() { echo "$(lab_log_dir "$1")/serial/$2.log"; }

# The tick numbers a guest printed on a host's serial console, one a line.
# Only complete lines count: the console ends them with \r\n, so a line cut
# short when the guest was paused mid-write is ignored.
lab_tick_list() {
    local file
    file=$(lab_serial_log "$1" "$2")
    [ -f "$file" ] || return 0
    awk '/^tick [0-9]+\r$/ { print $2 + 0 }' "$file"
}

# First or last tick of a guest on a host (0 if none).
lab_ticks() {
    local host=$1 name=$2 which=${3:-last} ticks
    ticks=$(lab_tick_list "$host" "$name")
    case $which in
        first) ticks=$(head -n 1 <<<"$ticks") ;;
        last) ticks=$(tail -n 1 <<<"$ticks") ;;
        *) die "ticks: expected first or last, got '$which'" ;;
    esac
    echo "${ticks:-0}"
}

# Succeeds once a guest's last tick on a host is past a given number.
lab_ticking() {
    [ "$(lab_ticks "$1" "$2")" -gt "$3" ]
}

lab_disk_image() { echo "$LAB_SHARED/$1.raw"; }
# A disk of guest NAME that is each host's own (not shared): the same path
# in every host's namespace, LOCAL_DISK_DIR under the host's own var.
LOCAL_DISK_DIR=var/lib/lab-disks
lab_local_disk() { echo "$LAB_PREFIX/$LOCAL_DISK_DIR/$1.raw"; }
lab_local_disk_on() { echo "$(lab_host_dir "$1")/$LOCAL_DISK_DIR/$2.raw"; }

# The last tick a guest with a disk wrote to its first sector (0 if none).
lab_disk_tick() {
    local tick
    tick=$(head -c 512 "$(lab_disk_image "$1")" | tr -d '\0' | awk '/^tick [0-9]+$/ { print $2 }')
    echo "${tick:-0}"
}

# Succeeds once the disk's tick is past a given number.
lab_disk_ticking() {
    [ "$(lab_disk_tick "$1")" -gt "$2" ]
}

# Text with XML's special characters escaped, for element text or an
# attribute value (guest names may contain any of them).
lab_xml_escape() {
    sed -e 's/&/\&amp;/g' -e 's/</\&lt;/g' -e 's/>/\&gt;/g' \
        -e "s/'/\\&apos;/g" -e 's/"/\&quot;/g' <<<"$1"
}

# The <disk> element of a raw image at PATH, vda.
lab_raw_disk_xml() {
    cat <<EOF
    <disk type='file' device='disk'>
      <driver name='qemu' type='raw' cache='none'/>
      <source file='$(lab_xml_escape "$1")'/>
      <target dev='vda' bus='virtio'/>
    </disk>
EOF
}

# Domain XML of a lab guest. The serial log path is the same on every host but
# resolves to each host's own log directory. WITH_DISK: yes (raw file on the
# shared directory), no, local-disk (raw file of each host's own, checked by
# the guest), or nbd-raw / nbd-qcow2 (the cached storage of
# lab/storage/lib.sh; the guest then checks what it reads back).
lab_domain_xml() {
    local name=$1 with_disk=$2 xname extra=
    xname=$(lab_xml_escape "$name")
    if [ "$with_disk" = local-disk ] || lab_storage_kind "$with_disk"; then
        extra=" disk_check=$LAB_STORAGE_CHECK_SECTORS"
    fi
    cat <<EOF
<domain type='qemu'>
  <name>$xname</name>
  <memory unit='MiB'>128</memory>
  <vcpu>1</vcpu>
  <os>
    <type arch='x86_64' machine='$LAB_GUEST_MACHINE'>hvm</type>
    <kernel>$GUEST_DIR/vmlinuz</kernel>
    <initrd>$GUEST_DIR/initrd.cpio</initrd>
    <cmdline>console=ttyS0 loglevel=1 panic=-1 tick_ms=$LAB_GUEST_TICK_MS dirty_mib=$LAB_GUEST_DIRTY_MIB$extra</cmdline>
  </os>
  <features><acpi/></features>
  <clock offset='utc'/>
  <devices>
EOF
    if [ "$with_disk" = yes ]; then
        lab_raw_disk_xml "$(lab_disk_image "$name")"
    elif [ "$with_disk" = local-disk ]; then
        lab_raw_disk_xml "$(lab_local_disk "$name")"
    elif lab_storage_kind "$with_disk"; then
        lab_storage_disk_xml "$name" "${with_disk#nbd-}"
    fi
    cat <<EOF
    <serial type='file'>
      <source path='$LAB_PREFIX/var/log/serial/$xname.log'/>
      <target port='0'/>
    </serial>
    <controller type='usb' model='none'/>
    <memballoon model='none'/>
  </devices>
</domain>
EOF
}

lab_remove_guest() {
    local host=$1 name=$2 state
    state=$(lab_virsh "$host" domstate "$name" 2>/dev/null) || return 0
    if [ "$state" != "shut off" ]; then
        lab_virsh "$host" destroy "$name" >/dev/null
    fi
    # A transient guest is gone once destroyed.
    if lab_virsh "$host" dominfo "$name" >/dev/null 2>&1; then
        lab_virsh "$host" undefine "$name" >/dev/null
    fi
}

# Start a fresh guest (replacing one of the same name on that host) and wait
# until it ticks. Options: "disk" (raw disk on the shared directory),
# "local-disk" (a raw disk of each host's own, for --copy-storage-all: empty
# on every host; the guest checks it as it checks the storage's disks),
# "nbd-raw", "nbd-qcow2" (lab/storage/lib.sh), "persistent" (define + start
# instead of a transient create).
lab_define_guest() {
    local host=$1 name=$2 with_disk=no persistent=no opt xml h
    shift 2
    for opt in "$@"; do
        case $opt in
            disk) with_disk=yes ;;
            local-disk | nbd-raw | nbd-qcow2) with_disk=$opt ;;
            persistent) persistent=yes ;;
            *) die "define-guest: unknown option '$opt' (disk, local-disk, nbd-raw, nbd-qcow2, persistent)" ;;
        esac
    done
    lab_remove_guest "$host" "$name"
    if [ "$with_disk" = yes ]; then
        rm -f "$(lab_disk_image "$name")"
        truncate -s 16M "$(lab_disk_image "$name")"
    elif [ "$with_disk" = local-disk ]; then
        for h in "${LAB_HOSTS[@]}"; do
            mkdir -p "$(lab_host_dir "$h")/$LOCAL_DISK_DIR"
            rm -f "$(lab_local_disk_on "$h" "$name")"
            truncate -s 16M "$(lab_local_disk_on "$h" "$name")"
        done
    elif lab_storage_kind "$with_disk"; then
        lab_storage_create "$name" "${with_disk#nbd-}"
    fi
    xml=$(lab_log_dir "$host")/$name.xml
    lab_domain_xml "$name" "$with_disk" >"$xml"
    if [ "$persistent" = yes ]; then
        lab_virsh "$host" define "$xml" >/dev/null
        lab_virsh "$host" start "$name" >/dev/null
    else
        lab_virsh "$host" create "$xml" >/dev/null
    fi
    lab_wait_for "$LAB_GUEST_BOOT_TIMEOUT" "$name to tick on $host" \
        lab_ticking "$host" "$name" 0 ||
        die "$name did not boot on $host (see $(lab_serial_log "$host" "$name"))"
}

# Remove every guest and every qemu hook from both hosts, bring the link
# between them up, and restore configs and the TCP setting a test changed
# (lab_set_config, lab_set_tcp_retries).
lab_reset() {
    local host name hooks names
    for host in "${LAB_HOSTS[@]}"; do
        # A test may have cut the link between the hosts, and made TCP give
        # up sooner (lab_set_tcp_retries).
        ip -n "$host" link set eth0 up
        lab_set_tcp_retries "$host" 15
        # One name a line: names may contain spaces.
        mapfile -t names < <(lab_virsh "$host" list --all --name)
        for name in "${names[@]}"; do
            [ -z "$name" ] || lab_remove_guest "$host" "$name"
        done
        hooks=$(lab_host_dir "$host")/etc/libvirt/hooks
        if [ -e "$hooks/qemu" ] || [ -e "$hooks/qemu.d" ]; then
            rm -rf "$hooks/qemu" "$hooks/qemu.d"
            lab_reload "$host"
        fi
        if [ -e "$(lab_host_dir "$host")/config-changed" ]; then
            rm -f "$(lab_host_dir "$host")/config-changed"
            lab_restart_host "$host" TERM --config
        fi
    done
    rm -f "$LAB_SHARED"/*.raw
    for host in "${LAB_HOSTS[@]}"; do
        rm -f "$(lab_host_dir "$host")/$LOCAL_DISK_DIR"/*.raw
    done
    lab_storage_reset
}

# The lab's storage with a host-side write-back cache (nbdkit).
. "$LAB_DIR/storage/lib.sh"
