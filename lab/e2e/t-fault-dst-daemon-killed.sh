# The destination's libvirtd is SIGKILLed while 'begin' runs on the source
# (the hook sleeps 2 s). The incoming QEMU lives on and takes the state the
# source sends after 'begin', but nobody can finish the migration on the
# destination: virsh's Finish call fails, the source confirms a failed
# migration, 'abort' runs and the guest resumes on the source. Once the
# destination's daemon is back, it tears down the half-arrived guest.
#
# Shown to catch: no 'abort' when the migration fails after 'begin' returned
# (the call in qemuMigrationSrcRestoreDomainState removed): FAIL "switchover
# calls of qemu on hosta for fdk1: 'prepare begin', expected 'prepare begin
# abort'".
install_switchover_hook hosta qemu sleep=2
lab_define_guest hosta fdk1

mark_a=$(lab_log_mark hosta)
migrate_start hosta hostb fdk1
wait_for_begin hosta fdk1 qemu
dst_pid=$(cat "$(lab_host_dir hostb)/var/run/libvirtd.pid")
kill -KILL "$dst_pid"
migrate_wait_fails
note "virsh migrate: $MIGRATE_ERROR"
lab_restart_host hostb KILL

assert_guest_stays hosta fdk1
assert_nothing_left hostb fdk1
assert_switchover_calls hosta fdk1 qemu "prepare begin abort"
assert_order \
    "begin returned" "$(switchover_time hosta fdk1 qemu begin exit)" \
    "abort returned" "$(switchover_time hosta fdk1 qemu abort exit)" \
    "guest resumed on the source (QEMU RESUME)" \
    "$(qemu_event_time hosta "$mark_a" RESUME "$(qemu_event_time hosta "$mark_a" "MIGRATION pre-switchover")")"
assert_no_hook_left hosta
