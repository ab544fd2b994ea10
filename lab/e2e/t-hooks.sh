# The lab's hook plumbing, with the qemu hook calls libvirt already makes: a
# script installed on each host sees the calls of a migration on its host.
install_recording_hook hosta
install_recording_hook hostb
lab_define_guest hosta hook1
migrate_and_check hosta hostb hook1
assert_hook_called hostb "hook1 migrate begin -"
assert_hook_called hostb "hook1 started begin -"
assert_hook_called hosta "hook1 stopped end -"
assert_hook_called hosta "hook1 release end migrated"
