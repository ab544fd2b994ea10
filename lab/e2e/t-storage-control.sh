# Cached storage, the control: the example hook lab/hooks/storage-nbdkit
# with its flush in 'begin' left out (flush=no), everything else as usual
# (the destination fenced until 'begin', then granted; the source fenced in
# 'end' and dropping its cache at detach, as a host that no longer owns the
# volume must). The guest's writes sit in the source's write-back cache,
# which QEMU's own flushes do not empty: after the migration the guest reads
# its check sectors through the destination's stack from the shared image
# and finds them stale (zeros). The test passes only if that staleness is
# seen: a setup that flushed by accident (QEMU's flushes reaching the cache,
# a cache that writes through, reads served from the source) fails it.
# (Without any switchover hook the source would still own the volume when
# its QEMU exits and write its cache back then: after the destination
# resumed, racing with its first reads; flush=no makes the loss certain.)
#
# Shown to catch: a front layer that passes QEMU's flushes to the cache
# (fuamode=pass instead of discard in the hook): FAIL "st0's first disk
# check on hostb passed (disk ok ...): the control saw no stale data".
. "$LAB_DIR/storage/e2e.sh"
storage_guest hosta st0 nbd-raw flush=no
migrate_and_check hosta hostb st0
lab_wait_for "$E2E_RUN_TIMEOUT" "st0 to check its disk on hostb" lab_storage_checked hostb st0 ||
    fail "st0 made no disk check on hostb"
first=$(lab_storage_first_check hostb st0)
note "disk: last check on hosta 'disk ok $(lab_storage_disk_ok hosta st0)', first on hostb '$first'"
note_storage_log hosta st0
case $first in
    *STALE*) ;;
    *) fail "st0's first disk check on hostb passed ($first): the control saw no stale data" ;;
esac
stale=$(grep -o 'STALE' <<<"$first" | wc -l)
note "disk: $stale of $LAB_STORAGE_CHECK_SECTORS check sectors stale on hostb"
assert_storage_logged hosta st0 "NOT flushing"
assert_storage_logged hosta st0 "owned by hostb.lab.test, .*cache dropped"
