# The link between the hosts goes down while 'begin' runs on the source (the
# hook sleeps 5 s), in a peer-to-peer migration: the source daemon's
# keepalive on its connection to the destination (1 s x 2 here) finds the
# destination gone before 'begin' returns, so libvirt does not send
# migrate-continue (QEMU would block sending into the dead connection, the
# guest paused): the migration fails, 'abort' runs and the guest runs on the
# source, QEMU never having completed the migration. With the link back, the
# destination (whose keepalive dropped the source's connection) has removed
# the incoming domain.
#
# Shown to catch: no check of the destination after 'begin' (the check of
# patch 11, "Fail if the destination is lost in 'begin'", disabled): FAIL "timed out after 120s": migrate-continue went into
# the dead link, QEMU blocked in the write with its monitor unresponsive
# (migrate_cancel unanswered) and the guest paused.
lab_set_config hosta qemu.conf 'keepalive_interval = 1' 'keepalive_count = 2'
lab_set_config hostb libvirtd.conf 'keepalive_interval = 1' 'keepalive_count = 2'
install_switchover_hook hosta qemu sleep=5
lab_define_guest hosta flc1

mark_a=$(lab_log_mark hosta)
migrate_start hosta hostb flc1 --p2p
wait_for_begin hosta flc1 qemu
ip -n hosta link set eth0 down
t0=$(date +%s%N)
migrate_wait_fails
note "virsh migrate failed $((($(date +%s%N) - t0) / 1000000)) ms after the link went down: $MIGRATE_ERROR"
ip -n hosta link set eth0 up

assert_guest_stays hosta flc1
lab_wait_for 30 "hostb to drop flc1" no_qemu hostb flc1 ||
    fail "hostb still runs a QEMU for flc1 30 s after the link came back"
assert_nothing_left hostb flc1
# virsh reports the error of the failed Finish call on the dead connection;
# the source's log tells why the migration stopped.
tail -c "+$((mark_a + 1))" "$(lab_daemon_log hosta)" | grep -F "Lost connection to destination host" >/dev/null ||
    fail "hosta did not log that it lost the destination"
assert_begin_failed hosta hostb flc1 qemu "$mark_a"
