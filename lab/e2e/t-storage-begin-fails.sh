# Cached storage, 'begin' fails: a later script (qemu.d/90-refuse) refuses
# 'begin' after the example hook lab/hooks/storage-nbdkit flushed the
# source's cache and granted the destination. 'abort' rolls the handover
# back (the source owns the volume and has write access again, the
# destination is fenced) before the guest resumes on the source, where it
# goes on reading and writing its disk: every check passes and the counter
# advances. The destination dropped its stack. A second migration, without
# the refusal, then hands the volume over exactly.
#
# Shown to catch: an 'abort' that does not give the source its write access
# back (the grant left out of the hook's abort step) on QEMU 10.0, where
# 'begin' fences the source: FAIL "hosta is fenced from st5 after
# 'abort'".
. "$LAB_DIR/storage/e2e.sh"
storage_guest hosta st5 nbd-raw
install_switchover_hook hosta qemu.d/90-refuse fail=begin
migrate_fails hosta hostb st5
assert_migrate_error "$SWITCHOVER_TEST_REFUSAL"
assert_guest_stays hosta st5
assert_nothing_left hostb st5
assert_switchover_calls hosta st5 90-refuse "prepare begin abort"
assert_storage_logged hosta st5 "cache flushed in [0-9]+ ms"
assert_storage_logged hosta st5 "rolled back"
storage_fenced hosta st5 && fail "hosta is fenced from st5 after 'abort'"
assert_storage_detached hostb st5
last=$(lab_storage_disk_ok hosta st5)
lab_wait_for "$E2E_RUN_TIMEOUT" "st5 to go on checking its disk on hosta" \
    lab_storage_ok_past hosta st5 $((last + STORAGE_CHECKS_AFTER)) ||
    fail "st5's disk checks on hosta stop at $(lab_storage_disk_lines hosta st5 | tail -n 1)"
assert_disk_clean hosta st5
note "disk: on hosta after abort, checks passed from 'disk ok $last' to 'disk ok $(lab_storage_disk_ok hosta st5)'"

lab_install_hook hosta qemu.d/90-refuse <<<'#!/bin/sh
cat >/dev/null'
migrate_and_check hosta hostb st5
assert_disk_exact hosta hostb st5
note_storage_log hosta st5
