# A guest with a raw disk (cache=none) on the directory both hosts share
# (declared in qemu.conf's shared_filesystems) migrates, and goes on writing
# its counter to that disk from the destination.
lab_define_guest hosta disk1 disk
migrate_and_check hosta hostb disk1
last=$(lab_ticks hosta disk1)
lab_wait_for "$E2E_RUN_TIMEOUT" "disk1 to write to its disk from hostb" lab_disk_ticking disk1 "$last" ||
    fail "the disk's counter stays at $(lab_disk_tick disk1), last tick on hosta was $last"
