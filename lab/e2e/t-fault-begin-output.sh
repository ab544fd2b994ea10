# Switchover hook, 'begin' prints 1 MiB on stdout, then 1 MiB on stderr:
# libvirt reads both while it waits, so the hook does not block, and keeps
# only the last 64 KiB of each. Exiting 1 after that, it fails the
# migration with a hook error that ends with the hook's message and stays
# small ('abort' runs, the guest goes on on the source); exiting 0, the
# migration succeeds.
#
# Shown to catch: libvirt no longer reading a hook's output past 64 KiB
# (mutant output-cap; the hook blocks on the full pipe): FAIL "the error ...
# lacks 'refused on purpose by the test hook': ... Timed out during
# operation". Without virCommandSetOutputLimit (patch 02) the error of the
# failing case measured 1 049 123 bytes, over the 96 KiB this scenario
# allows (an error of 6 MiB no longer reached virsh at all).
bytes=$((1024 * 1024))
lab_define_guest hosta fou1

install_switchover_hook hosta qemu "output=$bytes" fail=begin
mark=$(lab_log_mark hosta)
migrate_fails hosta hostb fou1
note "error: ${#MIGRATE_ERROR} bytes; hosta's log grew by $(($(lab_log_mark hosta) - mark)) bytes"
assert_migrate_error "$SWITCHOVER_HOOK_ERROR"
assert_migrate_error "$SWITCHOVER_TEST_REFUSAL"
# 64 KiB of stderr, and the command line with its environment.
[ "${#MIGRATE_ERROR}" -lt $((96 * 1024)) ] ||
    fail "the hook error is ${#MIGRATE_ERROR} bytes long, more than libvirt's 64 KiB of the hook's stderr"
assert_begin_failed hosta hostb fou1 qemu "$mark"

install_switchover_hook hosta qemu "output=$bytes"
switchover_records_mark hosta
mark=$(lab_log_mark hosta)
migrate_and_check hosta hostb fou1
note "hosta's log grew by $(($(lab_log_mark hosta) - mark)) bytes"
assert_switchover_calls hosta fou1 qemu "prepare begin end"
