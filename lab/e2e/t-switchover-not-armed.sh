# Switchover hook, not armed: a script whose 'prepare' prints nothing is
# asked once, before the migration starts, and never called at switchover;
# the migration goes on as usual. Printing anything but "enable" does not arm
# the hook either, and the daemon warns about the answer.
install_switchover_hook hosta qemu answer=
lab_define_guest hosta swn1
migrate_and_check hosta hostb swn1
assert_switchover_calls hosta swn1 qemu "prepare"
assert_switchover_argv hosta swn1 qemu prepare hostb.lab.test
assert_switchover_stdin hosta swn1 qemu prepare

install_switchover_hook hostb qemu "answer=yes please"
mark=$(lab_log_mark hostb)
migrate_and_check hostb hosta swn1
assert_switchover_calls hostb swn1 qemu "prepare"
assert_switchover_argv hostb swn1 qemu prepare hosta.lab.test
assert_log_warning hostb "$mark" "yes please"
