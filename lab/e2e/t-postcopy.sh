# Post-copy: a pre-copy that cannot finish by itself soon, switched to
# post-copy with migrate-postcopy once memory moves.
lab_define_guest hosta post1
mark=$(lab_log_mark hosta)
migrate_postcopy_start hosta hostb post1
migrate_wait
assert_migration_status_seen hosta "$mark" postcopy-active
check_migrated hosta hostb post1
