# Switchover hook and post-copy. A bandwidth-limited pre-copy that cannot
# finish by itself is switched to post-copy (migrate-postcopy): 'begin' runs
# once, at that switch, while the guest is paused on the source (the source
# reports SUSPENDED/migrated before 'begin', SUSPENDED/postcopy after it),
# and the guest goes on on the destination. Then, on the way back, a 'begin'
# that fails at the switch to post-copy leaves the guest running where it
# was, and the destination never runs it. (QEMU may still report
# postcopy-active: migrate_cancel wakes its migration thread from
# pre-switchover, which can switch state before the cancel lands; libvirt
# starts the destination's vCPUs only in its Finish phase, so they never run.)
install_switchover_hook hosta qemu sleep=0.1 probe=yes
lab_define_guest hosta swp1
events_start hosta
mark_a=$(lab_log_mark hosta)
migrate_postcopy_start hosta hostb swp1
migrate_wait
check_migrated hosta hostb swp1

assert_switchover_calls hosta swp1 qemu "prepare begin end"
assert_switchover_argv hosta swp1 qemu begin hostb.lab.test
assert_begin_probe hosta swp1 qemu
assert_events hosta swp1 "Suspended Migrated" "Suspended Post-copy"
marker=$(switchover_probe hosta swp1 qemu marker)
[ "$(event_line hosta "$marker" Defined)" -lt "$(event_line hosta swp1 "Suspended Post-copy")" ] ||
    fail "hosta reported SUSPENDED/postcopy of swp1 before begin started"
pre=$(qemu_event_time hosta "$mark_a" "MIGRATION pre-switchover")
assert_order \
    "guest stopped (QEMU STOP)" "$(qemu_event_time hosta "$mark_a" STOP)" \
    "QEMU pre-switchover" "$pre" \
    "begin called" "$(switchover_time hosta swp1 qemu begin call)" \
    "begin returned" "$(switchover_time hosta swp1 qemu begin exit)" \
    "QEMU postcopy-active" "$(qemu_event_time hosta "$mark_a" "MIGRATION postcopy-active" "$pre")" \
    "end called" "$(switchover_time hosta swp1 qemu end call)"

# Back to hosta; hostb's hook fails at the switch to post-copy.
install_switchover_hook hostb qemu fail=begin
events_start hostb
mark_b=$(lab_log_mark hostb)
mark_dst=$(lab_log_mark hosta)
migrate_postcopy_start hostb hosta swp1
migrate_wait_fails
assert_migrate_error "$SWITCHOVER_TEST_REFUSAL"
assert_begin_failed hostb hosta swp1 qemu "$mark_b"
assert_no_qemu_event hosta "$mark_dst" RESUME
