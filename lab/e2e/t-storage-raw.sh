# Cached storage, raw, pre-copy: with the example hook
# lab/hooks/storage-nbdkit the source's write-back cache is flushed in
# 'begin', the destination granted write access there and the source fenced
# (in 'begin' where libvirt released its disks, else in 'end'); the guest's
# first disk check on the destination reads exactly what it wrote last on
# the source, and its later checks pass. The source's stack is gone after
# the migration (its cache dropped: it no longer owns the volume), the
# destination's serves the guest. t-storage-control shows the same
# migration without the flush reading stale data.
#
# Shown to catch: a hook that does not flush in 'begin' (the flush step
# left out): FAIL "st1's first disk check on hostb failed: disk STALE
# sector 0: wrote 40 read 0; ... (8 of 8 sectors) (last on hosta: disk ok
# 44)".
. "$LAB_DIR/storage/e2e.sh"
storage_guest hosta st1 nbd-raw
migrate_and_check hosta hostb st1
assert_disk_exact hosta hostb st1
note_storage_log hosta st1
assert_storage_logged hosta st1 "cache flushed in [0-9]+ ms"
assert_storage_logged hosta st1 "handover to hostb.lab.test complete"
assert_storage_logged hosta st1 "owned by hostb.lab.test, .*cache dropped"
assert_storage_detached hosta st1
[ -n "$(lab_storage_pids hostb st1)" ] || fail "no nbdkit serves st1 on hostb"
storage_fenced hosta st1 && fail "hosta is still fenced from st1 after it detached"
storage_fenced hostb st1 && fail "hostb, which runs st1, is fenced from its volume"
true
