# Switchover hook, 'begin' dies of a signal (the script kills itself, with
# SIGKILL, then with SIGSEGV): a failed 'begin'. virsh migrate fails with a
# hook error naming the signal, 'abort' runs before the guest resumes on the
# source, and nothing is left on the destination.
#
# Shown to catch: a hook killed by a signal taken for a success (mutant
# signal-ignored: exit code only): FAIL "migrate fsg1 hosta -> hostb ()
# succeeded, expected it to fail".
lab_define_guest hosta fsg1
for signal in KILL SEGV; do
    install_switchover_hook hosta qemu "signal=$signal"
    switchover_records_mark hosta
    mark=$(lab_log_mark hosta)
    migrate_fails hosta hostb fsg1
    assert_migrate_error "$SWITCHOVER_HOOK_ERROR"
    assert_migrate_error "fatal signal $(kill -l "$signal")"
    assert_begin_failed hosta hostb fsg1 qemu "$mark"
    assert_switchover_killed hosta fsg1 qemu begin
done
