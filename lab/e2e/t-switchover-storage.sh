# Switchover hook, the example lab/hooks/storage-handover with a guest
# writing to its shared disk: after a migration the owner file names the
# destination; when a later script refuses 'begin' on the way back, the
# handover is undone in 'abort' and the owner file names the source again.
owner=$LAB_SHARED/sth1.owner
handover_log=$LAB_SHARED/sth1.handover.log
rm -f "$owner" "$handover_log"
for host in hosta hostb; do
    lab_install_hook "$host" qemu.d/50-storage-handover <"$LAB_DIR/hooks/storage-handover"
done
lab_define_guest hosta sth1 disk

migrate_and_check hosta hostb sth1
note "$(cat "$handover_log" 2>&1)"
[ "$(cat "$owner" 2>&1)" = hostb.lab.test ] ||
    fail "after migrating to hostb, the owner file says '$(cat "$owner" 2>&1)'"
grep -E ' end .*handover to hostb.lab.test complete' "$handover_log" >/dev/null ||
    fail "storage-handover did not log the completed handover to hostb"
last=$(lab_disk_tick sth1)
lab_wait_for "$E2E_RUN_TIMEOUT" "sth1 to write to its disk from hostb" lab_disk_ticking sth1 "$last" ||
    fail "the disk's counter stays at $(lab_disk_tick sth1) on hostb"

install_switchover_hook hostb qemu.d/90-refuse fail=begin
seen=$(wc -l <"$handover_log")
migrate_fails hostb hosta sth1
assert_migrate_error "$SWITCHOVER_TEST_REFUSAL"
assert_guest_stays hostb sth1
assert_nothing_left hosta sth1
assert_switchover_calls hostb sth1 90-refuse "prepare begin abort"
steps=$(tail -n "+$((seen + 1))" "$handover_log" | awk '{ printf "%s%s", sep, $2; sep = " " }')
note "storage-handover on the way back: $steps"
[ "$steps" = "prepare begin abort" ] ||
    fail "storage-handover on the way back did '$steps', expected 'prepare begin abort'"
[ "$(cat "$owner" 2>&1)" = hostb.lab.test ] ||
    fail "after the failed migration back, the owner file says '$(cat "$owner" 2>&1)'"
last=$(lab_disk_tick sth1)
lab_wait_for "$E2E_RUN_TIMEOUT" "sth1 to write to its disk on hostb" lab_disk_ticking sth1 "$last" ||
    fail "the disk's counter stays at $(lab_disk_tick sth1) on hostb"
