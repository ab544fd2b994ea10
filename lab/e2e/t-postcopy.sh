# Post-copy: start a bandwidth-limited pre-copy that cannot finish by itself
# soon (128 MiB at 40 MiB/s, 48 MiB dirtied all the time), switch it to
# post-copy with migrate-postcopy once memory moves.
lab_define_guest hosta post1
mark=$(lab_log_mark hosta)
migrate_start hosta hostb post1 --postcopy --bandwidth 40
lab_wait_for 30 "post1's migration to move memory" migration_moving hosta post1 ||
    fail "migration of post1 did not start"
lab_virsh hosta migrate-postcopy post1 >/dev/null
migrate_wait
assert_migration_status_seen hosta "$mark" postcopy-active
check_migrated hosta hostb post1
