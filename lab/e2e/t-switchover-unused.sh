# Switchover hook, no cost when unused: with no hook script on the source,
# the migration works as before and libvirt runs no switchover hook at all.
# (Passes on unpatched libvirt too: it guards against regressions.)
lab_define_guest hosta swu1
mark=$(lab_log_mark hosta)
migrate_and_check hosta hostb swu1
assert_no_switchover_in_log hosta "$mark"
