# Cached storage, raw, post-copy: the example hook lab/hooks/storage-nbdkit
# runs 'begin' at the switch to post-copy (the source's cache flushed, the
# destination granted write access); the guest then runs on the
# destination while its memory still arrives, and its first disk check
# there reads exactly what it wrote last on the source; its later checks
# pass.
#
# Shown to catch: a hook that does not flush in 'begin' (the flush step
# left out): FAIL "st4's first disk check on hostb failed: disk STALE
# sector 0: wrote ... read 0; ...". (A hook that grants the destination
# only in 'end' is not caught reliably: the guest's first writes on the
# destination during post-copy come late, its vCPU waiting for pages.)
. "$LAB_DIR/storage/e2e.sh"
storage_guest hosta st4 nbd-raw
migrate_postcopy_start hosta hostb st4
migrate_wait
check_migrated hosta hostb st4
assert_disk_exact hosta hostb st4
note_storage_log hosta st4
assert_storage_logged hosta st4 "cache flushed in [0-9]+ ms"
assert_storage_logged hosta st4 "handover to hostb.lab.test complete"
assert_storage_detached hosta st4
