# Switchover hook, armed, in the migration modes users run besides plain
# pre-copy; every leg passes all the checks of the armed pre-copy scenario
# (migrate_armed_and_check: calls, arguments, what 'begin' saw, the order
# STOP, pre-switchover, begin, QEMU going on, RESUME, 'end'):
# - NBD copy-storage (--copy-storage-all) of a disk each host has its own:
#   libvirt completes the mirror to the destination after QEMU reached
#   pre-switchover and before 'begin'; on a QEMU with blockdev-set-active
#   it releases the source's disk after that, still before 'begin' (on
#   QEMU 7.2 it never sends the command). The guest's first disk check on
#   the destination reads exactly what it wrote last on the source.
# - multifd (--parallel, 2 channels), of a guest without a disk from hostb
#   to hosta, and XBZRLE compression (--compressed) back to hostb: QEMU was
#   told to use them before the migration started.
#
# Shown to catch: the switchover ('begin' and migrate-continue) called
# before the mirror completed (qemuMigrationSrcSwitchover moved above
# qemuMigrationSrcNBDCopyCancel in qemuMigrationSrcRun): on QEMU 10.0 FAIL
# "no 'libvirt releases the disks (blockdev-set-active false)' in hosta's
# log after QEMU pre-switchover, mirror completed (block-job-cancel),
# mirror job dismissed", on 7.2 FAIL "no 'QEMU goes on (migrate-continue)'
# in hosta's log after ...". Both migrations succeeded and the disk checks
# passed: only the order shows it.
. "$LAB_DIR/storage/e2e.sh"
install_switchover_hook hosta qemu sleep=0.3 probe=yes
install_switchover_hook hostb qemu sleep=0.3 probe=yes

lab_define_guest hosta swm1 local-disk
lab_wait_for "$E2E_RUN_TIMEOUT" "swm1 to check its disk on hosta" \
    lab_storage_ok_past hosta swm1 "$STORAGE_TICKS_BEFORE" ||
    fail "swm1 does not check its disk on hosta: $(lab_storage_disk_lines hosta swm1 | tail -n 1)"
migrate_armed_and_check hosta hostb swm1 --copy-storage-all
assert_disk_exact hosta hostb swm1
order=(
    "QEMU pre-switchover" '"event": "MIGRATION".*"status": "pre-switchover"'
    "mirror completed (block-job-cancel)" "$(qmp_sent_re block-job-cancel)"
    "mirror job dismissed" "$(qmp_sent_re job-dismiss)"
)
if [ "$(lab_qemu hosta)" = 7.2 ]; then
    ! grep -E "$(qmp_sent_re blockdev-set-active)" \
        < <(tail -c "+$((ARMED_MARK_SRC + 1))" "$(lab_daemon_log hosta)") >/dev/null ||
        fail "hosta's libvirt sent blockdev-set-active to QEMU 7.2"
else
    order+=("libvirt releases the disks (blockdev-set-active false)"
        "$(qmp_sent_re blockdev-set-active '"active":false')")
fi
order+=("QEMU goes on (migrate-continue)" "$(qmp_sent_re migrate-continue)")
assert_log_order hosta "$ARMED_MARK_SRC" "${order[@]}"
released=$(libvirt_command_time hosta "$ARMED_MARK_SRC" blockdev-set-active 0)
[ -z "$released" ] || time_before "$released" "$(switchover_time hosta swm1 qemu begin call)" ||
    fail "hosta released the disks after 'begin' was called"

# The modes are really used: QEMU was told so before it started.
lab_define_guest hostb swm2
for mode in "multifd:--parallel --parallel-connections 2" "xbzrle:--compressed"; do
    read -r -a args <<<"${mode#*:}"
    src=hostb dst=hosta
    [ "${mode%%:*}" = multifd ] || src=hosta dst=hostb
    migrate_armed_and_check "$src" "$dst" swm2 "${args[@]}"
    assert_log_order "$src" "$ARMED_MARK_SRC" \
        "${mode%%:*} on" "$(qmp_sent_re migrate-set-capabilities).*\"capability\":\"${mode%%:*}\",\"state\":true" \
        "QEMU pre-switchover" '"event": "MIGRATION".*"status": "pre-switchover"'
done
