# Switchover hook, control while 'begin' runs (the hook sleeps 60 s):
# virsh domjobinfo answers, virsh domjobabort kills the hook and cancels the
# migration ('abort' runs, the guest goes on on the source). A hook left
# alone until switchover_hook_timeout: t-fault-begin-timeout.sh.
#
# Shown to catch: the hook killed but not its process group (mutant
# no-group-kill): FAIL "hook processes are left on hosta"; unpatched 11.3.0
# (no 'begin' at all): FAIL.
install_switchover_hook hosta qemu sleep=60
lab_define_guest hosta swc1

mark_a=$(lab_log_mark hosta)
migrate_start hosta hostb swc1
wait_for_begin hosta swc1 qemu
t0=$(date +%s%N)
info=$(lab_exec hosta timeout 10 virsh -c qemu:///system domjobinfo swc1 2>&1) ||
    fail "domjobinfo failed while begin ran: $info"
note "domjobinfo answered in $((($(date +%s%N) - t0) / 1000000)) ms while begin ran"
grep -E '^Job type: +Unbounded' <<<"$info" >/dev/null || fail "domjobinfo while begin ran: $info"
t0=$(date +%s%N)
out=$(lab_exec hosta timeout 10 virsh -c qemu:///system domjobabort swc1 2>&1) ||
    fail "domjobabort failed while begin ran: $out"
migrate_wait_fails
note "migrate ended $((($(date +%s%N) - t0) / 1000000)) ms after domjobabort"
assert_begin_failed hosta hostb swc1 qemu "$mark_a"
assert_switchover_killed hosta swc1 qemu begin
