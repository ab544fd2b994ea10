# virsh domjobabort on the source as soon as the source's libvirtd reaped
# the hook's 'begin' (from a virsh shell connected beforehand, so that the
# call reaches the daemon within about a millisecond), in client-managed
# and in peer-to-peer migrations, twice each, a fresh guest each time. Once
# 'begin' returned, libvirt either refuses the abort (operation invalid:
# the migration switches over) or, if it has not sent migrate-continue yet,
# fails the migration ('abort', then the cancel resumes the guest on the
# source). Either way the guarantees hold (assert_switchover_outcome), and
# a domjobabort that returned success never lets the migration switch
# over: the guest then stays on the source. Each trial notes what
# domjobabort said and where the guest ended.
#
# Shown to catch: on the pre-fix series (patches/ at 83e5b7b, i.e.
# work/libvirt b2e4f77, built in a clean clone),
# domjobabort succeeded each time, 1-2 ms after 'begin' returned, by a
# migrate_cancel on which QEMU (already sending the device state) resumed
# the guest before 'abort' ran: FAIL "'abort returned' is not before
# 'libvirt's cont or migrate_cancel (+1 ms)': begin returned +0.000 ms,
# abort returned +193.692 ms, libvirt's cont or migrate_cancel (+1 ms)
# +2.376 ms, guest resumed on the source (QEMU RESUME) +184.593 ms".
# After virsh migrate returned, before the checks: what domjobabort said.
jobabort_result() {
    virsh_shell_stop
    note "domjobabort: ${VIRSH_SHELL_ERR:-succeeded}"
}

for vm in fja1 fja2 fja-p2p1 fja-p2p2; do
    trial_selected "$vm" || continue
    virsh_shell_start hosta
    after_begin_trial hosta hostb "$vm" "$([[ $vm == *p2p* ]] && echo --p2p)" jobabort_result \
        after="$(fault_virsh_shell domjobabort "$vm")"
    if [ -z "$VIRSH_SHELL_ERR" ] && [[ $SWITCHOVER_OUTCOME != "on the source"* ]]; then
        fail "domjobabort of $vm succeeded after begin returned, but the migration switched over"
    fi
    E2E_TRIAL_OUTCOMES+=("$vm: domjobabort ${VIRSH_SHELL_ERR:-succeeded}")
done
note_trial_outcomes
