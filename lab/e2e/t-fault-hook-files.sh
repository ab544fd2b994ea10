# Switchover hook, broken entries in qemu.d next to a working script: a
# script without the execute bit (10-no-exec, which would arm the hook) and
# a dangling symlink (20-dangling) are ignored, as libvirt ignores them for
# every hook; 30-armed is asked, armed and called, and the migration goes on.
# (The guest starts first: the qemu hook is called when it starts too.)
#
# Shown to catch: a non-executable script run anyway (mutant noexec-run):
# FAIL "... Hook script execution failed ... 10-no-exec ... Permission
# denied"; a dangling symlink run (dangling-run): FAIL "... 20-dangling ...
# No such file or directory".
lab_define_guest hosta ffi1
switchover_test_hook | lab_install_hook hosta qemu.d/10-no-exec 0644
ln -s missing-script "$(lab_host_dir hosta)/etc/libvirt/hooks/qemu.d/20-dangling"
install_switchover_hook hosta qemu.d/30-armed
migrate_and_check hosta hostb ffi1
assert_switchover_calls hosta ffi1 30-armed "prepare begin end"
assert_switchover_calls hosta ffi1 10-no-exec ""
