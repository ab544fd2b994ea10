# The source's libvirtd is SIGKILLed while 'begin' runs (the hook sleeps
# 3 s), then started again. The restarted daemon finds the migration job in
# the domain's status, calls 'abort' (the status says the hook was armed)
# and only then cancels the migration: the guest resumes on the source, not
# paused, and nothing is left on the destination (virsh, whose source
# connection broke, cancels the incoming migration there). 'begin' is not
# killed with the daemon; it ends by itself.
#
# Shown to catch: no 'abort' after a restart (the recovery call of patch
# 09, "Call switchover 'abort' after a restart", removed): FAIL "switchover calls of qemu on hosta for fsk1: 'prepare
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
assert_begin_failed hosta hostb fsk1 qemu "$mark_a"
