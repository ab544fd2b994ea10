# The source's libvirtd is SIGKILLed while 'begin' runs (the hook sleeps
# 3 s), then started again. The restarted daemon finds the migration job in
# the domain's status, calls 'abort' (the status says the hook was armed)
# and only then cancels the migration: the guest resumes on the source, not
# paused, and nothing is left on the destination (virsh, whose source
# connection broke, cancels the incoming migration there). 'begin' is not
# killed with the daemon; it ends by itself.
#
# Shown to catch: no 'abort' after a restart (patch 0010's recovery call
# removed): FAIL "switchover calls of qemu on hosta for fsk1: 'prepare
# begin', expected 'prepare begin abort'".
install_switchover_hook hosta qemu sleep=3
lab_define_guest hosta fsk1

mark_a=$(lab_log_mark hosta)
migrate_start hosta hostb fsk1
wait_for_begin hosta fsk1 qemu
lab_restart_host hosta KILL
migrate_wait_fails
note "virsh migrate: $MIGRATE_ERROR"

lab_wait_for 30 "fsk1 to run again on hosta" guest_state_is hosta fsk1 running ||
    fail "fsk1 on hosta after the restart: $(lab_virsh hosta domstate --reason fsk1 2>&1)"
assert_guest_stays hosta fsk1
assert_nothing_left hostb fsk1
assert_switchover_calls hosta fsk1 qemu "prepare begin abort"
pre=$(qemu_event_time hosta "$mark_a" "MIGRATION pre-switchover")
assert_order \
    "QEMU pre-switchover" "$pre" \
    "begin called" "$(switchover_time hosta fsk1 qemu begin call)" \
    "abort returned (restarted daemon)" "$(switchover_time hosta fsk1 qemu abort exit)" \
    "guest resumed on the source (QEMU RESUME)" "$(qemu_event_time hosta "$mark_a" RESUME "$pre")"
assert_no_qemu_event hosta "$mark_a" "MIGRATION completed"
assert_no_hook_left hosta
