# Switchover hook, non-live migration (virsh migrate without --live): the
# guest is paused for the whole migration, so there is no switchover to
# hook into: the armed script is not called at all, not even 'prepare', and
# the migration goes on as without a hook.
#
# Shown to catch: the hook armed for non-live migrations. Not run against a
# build without the VIR_MIGRATE_LIVE check in
# qemuMigrationSrcSwitchoverPrepare; there, qemuhooktest's "perform v3: not
# live: no hook at all" fails (the series before the check called prepare,
# begin and abort for a non-live migration), and this scenario expects no
# call at all.
install_switchover_hook hosta qemu
lab_define_guest hosta swl1
out=$(lab_virsh hosta migrate swl1 "$(lab_uri hostb)" 2>&1) ||
    fail "non-live migration of swl1 failed: $out"
check_migrated hosta hostb swl1
assert_switchover_calls hosta swl1 qemu ""
