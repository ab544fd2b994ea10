# Switchover hook, 'prepare' fails: the migration is refused before anything
# moves. virsh migrate fails with the hook's message; the guest on the source
# is never paused (no STOP, no migration at all in QEMU, no SUSPENDED event,
# its console never silent for long); nothing is left on the destination.
install_switchover_hook hosta qemu fail=prepare
lab_define_guest hosta swr1
events_start hosta
mark_a=$(lab_log_mark hosta)
tick_watch_start hosta swr1
migrate_fails hosta hostb swr1
assert_guest_stays hosta swr1
silent=$(tick_watch_stop)
assert_migrate_error "$SWITCHOVER_HOOK_ERROR"
assert_migrate_error "$SWITCHOVER_TEST_REFUSAL"
assert_nothing_left hostb swr1

assert_switchover_calls hosta swr1 qemu "prepare"
assert_no_qemu_event hosta "$mark_a" "STOP|MIGRATION.*"
assert_no_event hosta swr1 Suspended
note "longest silence of swr1's console: $silent ms"
[ "$silent" -lt $((LAB_GUEST_TICK_MS * 10)) ] ||
    fail "swr1's console was silent for $silent ms during the refused migration"
