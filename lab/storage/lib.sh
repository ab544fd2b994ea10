# The lab's storage with a host-side write-back cache: guest disks served by
# nbdkit on each host over one shared image (see lab/hooks/storage-nbdkit,
# which starts and stops the stacks and hands them over at switchover).
# Sourced by lab/lib.sh; do not run it.
# shellcheck shell=bash

# The shared volumes (VOL.img), their fence and owner files.
LAB_STORAGE_VOLUMES=$LAB_SHARED/nbd
# Check sectors of a guest with such a disk (guestload's disk_check).
LAB_STORAGE_CHECK_SECTORS=${LAB_STORAGE_CHECK_SECTORS:-8}
# The hook's name in a host's hooks/qemu.d, and the script installed there
# (another one, to try a scenario against a broken hook).
LAB_STORAGE_HOOK=50-storage-nbdkit
LAB_STORAGE_HOOK_SCRIPT=${LAB_STORAGE_HOOK_SCRIPT:-$LAB_DIR/hooks/storage-nbdkit}

# Host-private, same path on every host: the host's own var/run.
lab_storage_rundir() { echo "$LAB_PREFIX/var/run/storage-nbdkit"; }
lab_storage_image() { echo "$LAB_STORAGE_VOLUMES/$1.img"; }
# The hook's log on HOST (root namespace's view).
lab_storage_log() { echo "$(lab_log_dir "$1")/storage-nbdkit.log"; }

# Whether a disk kind of lab_define_guest is one of this storage's.
lab_storage_kind() {
    case $1 in
        nbd-raw | nbd-qcow2) return 0 ;;
    esac
    return 1
}

# The volume of guest NAME, 16 MiB, FORMAT raw or qcow2 (lazy refcounts and
# a persistent dirty bitmap "lab0", in a 32 MiB file), empty.
lab_storage_create() {
    local name=$1 format=$2 img
    img=$(lab_storage_image "$name")
    mkdir -p "$LAB_STORAGE_VOLUMES"
    rm -f "$img" "$LAB_STORAGE_VOLUMES/$name".{owner,fenced-*}
    case $format in
        raw) truncate -s 16M "$img" ;;
        qcow2)
            quiet qemu-img create -f qcow2 -o lazy_refcounts=on "$img" 16M
            qemu-img bitmap --add "$img" lab0
            # An NBD export has a fixed size, the file's: room for the
            # clusters qcow2 allocates (free space, refcount 0).
            truncate -s 32M "$img"
            ;;
        *) die "lab_storage_create: unknown format '$format'" ;;
    esac
}

# The <disk> element of guest NAME's volume in FORMAT.
lab_storage_disk_xml() {
    local name=$1 format=$2
    cat <<EOF
    <disk type='network' device='disk'>
      <driver name='qemu' type='$format' cache='none'/>
      <source protocol='nbd'>
        <host transport='unix' socket='$(lab_xml_escape "$(lab_storage_rundir)/$name.sock")'/>
      </source>
      <target dev='vda' bus='virtio'/>
    </disk>
EOF
}

# Install the example hook on HOST as qemu.d/$LAB_STORAGE_HOOK, with its
# settings file (extra SETTINGs: lines of shell, e.g. "flush=no").
lab_storage_install_hook() {
    local host=$1
    shift
    {
        echo "# Written by lab/storage/lib.sh (lab_storage_install_hook)."
        printf 'volumes=%q\n' "$LAB_STORAGE_VOLUMES"
        printf 'rundir=%q\n' "$(lab_storage_rundir)"
        printf 'log=%q\n' "$LAB_PREFIX/var/log/storage-nbdkit.log"
        printf '%s\n' "$@"
    } >"$(lab_host_dir "$host")/etc/libvirt/hooks/storage-nbdkit.conf"
    lab_install_hook "$host" "qemu.d/$LAB_STORAGE_HOOK" <"$LAB_STORAGE_HOOK_SCRIPT"
}

# PIDs of HOST's nbdkit processes serving guest NAME's volume.
lab_storage_pids() {
    local host=$1 name=$2 pid
    for pid in $(ip netns pids "$host"); do
        if tr '\0' ' ' <"/proc/$pid/cmdline" 2>/dev/null |
            grep -F -- "$(lab_storage_rundir)/$name." | grep -q '^nbdkit '; then
            echo "$pid"
        fi
    done
}

# For lab_reset, once the guests are gone: stop any stack left (a test that
# failed half-way), remove the hook's settings and the volumes.
lab_storage_reset() {
    local host pids
    for host in "${LAB_HOSTS[@]}"; do
        pids=$(lab_storage_pids "$host" "")
        # shellcheck disable=SC2086
        [ -z "$pids" ] || kill $pids 2>/dev/null || true
        rm -f "$(lab_host_dir "$host")/etc/libvirt/hooks/storage-nbdkit.conf"
        rm -rf "$(lab_host_dir "$host")/var/run/storage-nbdkit"
    done
    rm -rf "$LAB_STORAGE_VOLUMES"
}

# ---------------------------------------------------------------- the guest's check

# The disk check lines (see guestload.c) NAME printed on HOST's console,
# whole lines only, one a line without the \r: "disk ok N", "disk STALE
# ...". Each line follows its tick's "tick N" line; "tick N" lines are kept
# (with LINES=all) to tell the checks apart.
lab_storage_disk_lines() {
    local file
    file=$(lab_serial_log "$1" "$2")
    [ -f "$file" ] || return 0
    if [ "${3:-}" = all ]; then
        sed -n 's/\r$//; /^\(tick [0-9]*\|disk .*\)$/p' "$file"
    else
        sed -n 's/\r$//; /^disk .*$/p' "$file"
    fi
}

# The N of NAME's last "disk ok N" on HOST (0 if none).
lab_storage_disk_ok() {
    local n
    n=$(lab_storage_disk_lines "$1" "$2" | sed -n 's/^disk ok \([0-9]*\)$/\1/p' | tail -n 1)
    echo "${n:-0}"
}

# The first check NAME made entirely on HOST: the "disk ..." lines after
# the first whole "tick N" line that has any, in one line ("" if none yet).
# Lines before that tick line may come from a check that began on another
# host (the guest paused while it read its sectors) and are left out. After
# a migration this check reads what the source wrote last in every check
# sector, or in all but one when the check before began on the source (the
# destination then wrote one sector already).
lab_storage_first_check() {
    lab_storage_disk_lines "$1" "$2" all |
        awk '/^tick / { if (seen) exit; ticked = 1; next }
             ticked { seen = 1; printf "%s%s", sep, $0; sep = "; " }'
}

lab_storage_checked() { [ -n "$(lab_storage_first_check "$1" "$2")" ]; }
lab_storage_ok_past() { [ "$(lab_storage_disk_ok "$1" "$2")" -gt "$3" ]; }
