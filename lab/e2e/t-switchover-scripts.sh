# Switchover hook, several scripts, peer-to-peer migration: hooks/qemu and
# qemu.d/20-quiet print nothing, qemu.d/10-armed answers "enable". Each is
# asked in the order libvirt runs hook scripts (qemu, then qemu.d sorted);
# only 10-armed is called at switchover.
install_switchover_hook hosta qemu answer=
install_switchover_hook hosta qemu.d/10-armed
install_switchover_hook hosta qemu.d/20-quiet answer=
lab_define_guest hosta sws1
migrate_and_check hosta hostb sws1 --p2p

assert_switchover_calls hosta sws1 qemu "prepare"
assert_switchover_calls hosta sws1 10-armed "prepare begin end"
assert_switchover_calls hosta sws1 20-quiet "prepare"
for subop in prepare begin end; do
    assert_switchover_argv hosta sws1 10-armed "$subop" hostb.lab.test
done
assert_switchover_stdin hosta sws1 10-armed begin
assert_order \
    "qemu asked" "$(switchover_time hosta sws1 qemu prepare call)" \
    "10-armed asked" "$(switchover_time hosta sws1 10-armed prepare call)" \
    "20-quiet asked" "$(switchover_time hosta sws1 20-quiet prepare call)" \
    "10-armed begin" "$(switchover_time hosta sws1 10-armed begin call)" \
    "10-armed end" "$(switchover_time hosta sws1 10-armed end call)"
