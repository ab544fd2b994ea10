# The destination's QEMU is SIGKILLed while 'begin' runs on the source (the
# hook sleeps 2 s). Once 'begin' returned, the source QEMU fails to send the
# device state and fails the migration (resuming the guest by itself: the
# exception docs/hooks.rst names); 'abort' runs, the guest runs on the
# source and the destination removed the domain.
#
# Shown to catch: the same bug (no 'abort' in
# qemuMigrationSrcRestoreDomainState): FAIL "switchover calls of qemu on
# hosta for fdq1: 'prepare begin', expected 'prepare begin abort'".
install_switchover_hook hosta qemu sleep=2
lab_define_guest hosta fdq1

migrate_start hosta hostb fdq1
wait_for_begin hosta fdq1 qemu
pids=$(lab_qemu_pids hostb fdq1)
[ -n "$pids" ] || fail "no QEMU for fdq1 on hostb while begin ran"
# shellcheck disable=SC2086
kill -KILL $pids
migrate_wait_fails
note "virsh migrate: $MIGRATE_ERROR"

assert_guest_stays hosta fdq1
assert_nothing_left hostb fdq1
assert_switchover_calls hosta fdq1 qemu "prepare begin abort"
assert_order \
    "begin returned" "$(switchover_time hosta fdq1 qemu begin exit)" \
    "abort called" "$(switchover_time hosta fdq1 qemu abort call)"
assert_no_hook_left hosta
