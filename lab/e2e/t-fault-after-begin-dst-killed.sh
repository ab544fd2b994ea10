# The destination's libvirtd is SIGKILLed after the hook's 'begin' returned
# on the source, in a peer-to-peer migration, then started again: 0, 50 and
# 100 ms after the source's libvirtd reaped 'begin', and as soon as the
# destination's QEMU resumed the guest (inside the destination's Finish,
# before it answered the source), a fresh guest each time. Once the
# destination's daemon is back, the guarantees hold
# (assert_switchover_outcome): the guest runs on exactly one host; on the
# destination, 'prepare begin end' on the source; on the source, 'prepare
# begin abort' with 'abort' before the guest resumed, and the destination
# never ran it. Each trial notes where the kill hit and what came of it.
#
# The source asks a destination it lost during Finish again for as long as
# keepalive takes to give a peer up; the lab's daemon takes up to 30 s to be
# restarted after SIGKILL, so that is 60 s here.
#
# Shown to catch: on the pre-fix series (patches/ at 83e5b7b, i.e.
# work/libvirt b2e4f77, built in a clean clone),
# the source saw its connection to the destination die while QEMU sent
# the device state and cancelled the migration before calling 'abort'
# (0, 50 and 100 ms): FAIL "'abort returned' is not before 'libvirt's cont
# or migrate_cancel (+1 ms)': begin returned +0.000 ms, abort returned
# +162.402 ms, libvirt's cont or migrate_cancel (+1 ms) +4.598 ms, guest
# resumed on the source (QEMU RESUME) +145.463 ms"; killed at the
# destination's RESUME, the source took the broken Finish for a failure and
# resumed the guest, which also ran on the destination: FAIL "S1:
# fdb-dst-resumed is 'running (migration canceled)' on hosta and 'running
# (unpaused)' on hostb (calls: 'prepare begin abort')".
lab_set_config hosta qemu.conf 'keepalive_interval = 5' 'keepalive_count = 11'
for delay in 0 50 100; do
    after_begin_trial hosta hostb "fdb$delay" --p2p "lab_restart_host hostb KILL" \
        after="$(fault_kill_daemon hostb)" after_ms="$delay"
done
after_begin_trial hosta hostb fdb-dst-resumed --p2p "lab_restart_host hostb KILL" \
    after="$(fault_kill_daemon hostb)" after_event="hostb:$(qemu_event_text RESUME)"
note_trial_outcomes
