#!/usr/bin/env bash
# Two libvirt hosts on this machine, for migration tests. Run as root.
#
#   lab.sh up                       (re)start the lab: hosta and hostb
#   lab.sh down                     stop everything, remove namespaces
#   lab.sh status                   show whether the lab is up, the QEMU each
#                                   host runs, and its guests
#   lab.sh set-qemu HOST VERSION    make HOST (no guests) run QEMU VERSION
#                                   (7.2 or 10.0): restarts its daemon
#   lab.sh virsh HOST ARGS...       virsh -c qemu:///system ARGS on HOST
#   lab.sh exec HOST CMD...         run CMD in HOST's namespaces
#   lab.sh reload HOST              SIGHUP HOST's libvirtd (rescans hooks); waits
#   lab.sh install-hook HOST PATH [MODE]
#                                   install stdin as HOST's hooks/PATH (file
#                                   mode MODE, default 0755), reload
#   lab.sh restart HOST [SIGNAL]    stop HOST's libvirtd (SIGTERM, or SIGNAL)
#                                   and start it again; its guests go on
#   lab.sh set-config HOST FILE SETTING...
#                                   append SETTINGs to HOST's FILE (qemu.conf,
#                                   libvirtd.conf), restart; reset undoes it
#   lab.sh define-guest HOST NAME [disk|local-disk|nbd-raw|nbd-qcow2] [persistent]
#                                   start a fresh guest and wait until it ticks
#   lab.sh ticks HOST NAME [first|last]
#                                   a tick number from NAME's serial log on HOST
#   lab.sh serial-log HOST NAME     path of that serial log
#   lab.sh disk-tick NAME           last tick NAME wrote to its shared disk
#   lab.sh log-dir HOST             HOST's log directory of the current run
#   lab.sh log-mark HOST            size of HOST's libvirtd.log (an offset)
#   lab.sh events HOST [OFFSET]     QEMU migration events in HOST's log since
#                                   OFFSET: "<sec>.<usec> <EVENT> [<status>]"
#   lab.sh reset                    remove all guests and qemu hooks, bring
#                                   the link up, restore changed configs
#                                   and TCP retries
#
# Environment for `up`: LAB_INSTALL_ROOT (default work/install) and
# LAB_PREFIX (default the patched prefix) choose the libvirt build;
# LAB_QEMU (7.2 or 10.0, default 7.2) the QEMU of both hosts, LAB_QEMU_hosta
# and LAB_QEMU_hostb that of one.
# For define-guest: LAB_GUEST_TICK_MS, LAB_GUEST_DIRTY_MIB, LAB_GUEST_MACHINE.
# up, down and reset wait up to LAB_LOCK_TIMEOUT (900) s for another user.
. "$(dirname "$0")/lib.sh"

usage() {
    sed -n '2,/^[^#]/{/^#/s/^# \{0,1\}//p}' "$0" >&2
    exit 2
}

# Commands that take a host check it, then find the running lab's settings.
with_host() {
    local cmd=$1 host=${2:-}
    lab_check_host "$host"
    lab_load_env
    "$cmd" "${@:2}"
}

require_root
cmd=${1:-}
[ -n "$cmd" ] || usage
shift
case $cmd in
    up) lab_lock && lab_up ;;
    down) lab_lock && lab_down ;;
    status) lab_status ;;
    virsh) with_host lab_virsh "$@" ;;
    exec) with_host lab_exec "$@" ;;
    reload) with_host lab_reload "$@" ;;
    restart) with_host lab_restart_host "$1" "${2:-TERM}" ;;
    set-config) with_host lab_set_config "$@" ;;
    install-hook) with_host lab_install_hook "$@" ;;
    define-guest) with_host lab_define_guest "$@" ;;
    ticks) with_host lab_ticks "$@" ;;
    serial-log) with_host lab_serial_log "$@" ;;
    disk-tick) lab_disk_tick "$@" ;;
    log-dir) with_host lab_log_dir "$@" ;;
    log-mark) with_host lab_log_mark "$@" ;;
    events) with_host lab_migration_events "$@" ;;
    reset) lab_lock && lab_load_env && lab_reset ;;
    set-qemu) lab_check_host "${1:-}" && lab_lock && lab_load_env && lab_set_qemu "$@" ;;
    _boot) lab_boot "$@" ;; # internal: see lab_start_host
    *) usage ;;
esac
