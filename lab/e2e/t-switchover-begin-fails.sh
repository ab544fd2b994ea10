# Switchover hook, 'begin' fails: the migration is cancelled before QEMU
# sends the device state, 'abort' runs before the guest resumes on the
# source, virsh migrate fails with the hook's message, the guest goes on on
# the source and nothing is left on the destination.
install_switchover_hook hosta qemu fail=begin
lab_define_guest hosta swf1
events_start hosta
mark_a=$(lab_log_mark hosta)
migrate_fails hosta hostb swf1
assert_migrate_error "$SWITCHOVER_HOOK_ERROR"
assert_migrate_error "$SWITCHOVER_TEST_REFUSAL"
assert_guest_stays hosta swf1
assert_nothing_left hostb swf1

assert_switchover_calls hosta swf1 qemu "prepare begin abort"
assert_switchover_argv hosta swf1 qemu abort hostb.lab.test
pre=$(qemu_event_time hosta "$mark_a" "MIGRATION pre-switchover")
assert_order \
    "QEMU pre-switchover" "$pre" \
    "begin called" "$(switchover_time hosta swf1 qemu begin call)" \
    "begin failed" "$(switchover_time hosta swf1 qemu begin exit)" \
    "abort called" "$(switchover_time hosta swf1 qemu abort call)" \
    "abort returned" "$(switchover_time hosta swf1 qemu abort exit)" \
    "guest resumed on the source (QEMU RESUME)" "$(qemu_event_time hosta "$mark_a" RESUME "$pre")"
assert_no_qemu_event hosta "$mark_a" "MIGRATION (device|completed)"
assert_events hosta swf1 "Suspended Migrated" "Resumed"
