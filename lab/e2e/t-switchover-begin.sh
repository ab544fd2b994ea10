# Switchover hook, armed, pre-copy, client-managed migration. 'begin' runs
# once on the source, with the domain XML on stdin, while the guest is
# paused there and the destination does not run yet: after QEMU reached
# pre-switchover and libvirt reported SUSPENDED/migrated, before QEMU goes on
# (migrate-continue). 'end' runs once, after the destination resumed. The
# hook sleeps 300 ms in 'begin', probing the hosts meanwhile
# (assert_begin_probe).
install_switchover_hook hosta qemu sleep=0.3 probe=yes
lab_define_guest hosta swb1
events_start hosta
events_start hostb
mark_a=$(lab_log_mark hosta)
mark_b=$(lab_log_mark hostb)
migrate_and_check hosta hostb swb1

assert_switchover_calls hosta swb1 qemu "prepare begin end"
for subop in prepare begin end; do
    assert_switchover_argv hosta swb1 qemu "$subop" hostb.lab.test
done
assert_switchover_stdin hosta swb1 qemu begin
assert_begin_probe hosta swb1 qemu

pre=$(qemu_event_time hosta "$mark_a" "MIGRATION pre-switchover")
assert_order \
    "guest stopped (QEMU STOP, source)" "$(qemu_event_time hosta "$mark_a" STOP)" \
    "QEMU pre-switchover" "$pre" \
    "begin called" "$(switchover_time hosta swb1 qemu begin call)" \
    "begin returned" "$(switchover_time hosta swb1 qemu begin exit)" \
    "QEMU goes on (device state sent)" "$(qemu_event_time hosta "$mark_a" "MIGRATION (device|completed)" "$pre")" \
    "destination resumed (QEMU RESUME)" "$(qemu_event_time hostb "$mark_b" RESUME)" \
    "end called" "$(switchover_time hosta swb1 qemu end call)"
assert_events hostb swb1 "Resumed Migrated"
