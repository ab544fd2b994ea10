# Switchover hook, four guests migrating from hosta to hostb at once (each
# with a virsh of its own), armed, 'begin' sleeping 100 ms: all four go, each
# with its own 'prepare begin end', and the 'begin' calls of different
# domains run side by side: at least two of them overlap in time (the hook's
# records of their start and exit), so nothing serializes switchovers
# across domains. The four migrations reach pre-switchover up to a second
# or more apart (on 2 cores; libvirt calls each 'begin' 10-40 ms after its
# own pre-switchover), so the first 'begin' waits for a second one to start
# (meet=2): they overlap unless libvirt holds the second back until the
# first returned.
#
# Shown to catch: switchover calls serialized across domains (mutant
# serialize: one hook call at a time): FAIL "no two begin calls overlapped
# (ms from the first one's start: fcc4 0-9860, fcc3 9867-9995, fcc2
# 10009-10149, fcc1 10158-10333)".
vms=(fcc1 fcc2 fcc3 fcc4)
install_switchover_hook hosta qemu sleep=0.1 meet=2
for vm in "${vms[@]}"; do
    lab_define_guest hosta "$vm"
done
migrate_all hosta hostb "${vms[@]}"

intervals=
for vm in "${vms[@]}"; do
    assert_switchover_calls hosta "$vm" qemu "prepare begin end"
    intervals+="$(switchover_time hosta "$vm" qemu begin call) $(switchover_time hosta "$vm" qemu begin exit) $vm"$'\n'
done
intervals=$(sort -n <<<"$intervals" | sed '/^$/d')
shown=$(awk 'NR == 1 { t0 = $1 } { printf "%s%s %d-%d", sep, $3, ($1 - t0) * 1000, ($2 - t0) * 1000; sep = ", " }' <<<"$intervals")
note "begin calls (ms from the first one's start): $shown"
# By start time: a call that starts before an earlier one ended overlaps it.
overlap=$(awk 'NR > 1 && $1 < end { print vm " and " $3; exit } $2 > end { end = $2; vm = $3 }' <<<"$intervals")
[ -n "$overlap" ] || fail "no two begin calls overlapped (ms from the first one's start: $shown)"
note "overlapping begin calls: $overlap"
