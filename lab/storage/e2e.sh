# Assertions of the storage scenarios (lab/e2e/t-storage-*.sh), on top of
# lab/e2e/lib.sh and lab/storage/lib.sh. Source it from a scenario.
# shellcheck shell=bash

# Ticks (of LAB_GUEST_TICK_MS) a guest must have checked its disk before it
# migrates, and checks it must pass on the destination afterwards.
STORAGE_TICKS_BEFORE=${STORAGE_TICKS_BEFORE:-20}
STORAGE_CHECKS_AFTER=${STORAGE_CHECKS_AFTER:-20}

# The example hook on both hosts (settings as for lab_storage_install_hook),
# then a fresh guest NAME on HOST with a disk of KIND (nbd-raw, nbd-qcow2)
# that has checked its disk for a while: every check sector written.
storage_guest() {
    local host=$1 name=$2 kind=$3 h
    shift 3
    for h in "${LAB_HOSTS[@]}"; do
        lab_storage_install_hook "$h" "$@"
    done
    lab_define_guest "$host" "$name" "$kind"
    lab_wait_for "$E2E_RUN_TIMEOUT" "$name to check its disk on $host" \
        lab_storage_ok_past "$host" "$name" "$STORAGE_TICKS_BEFORE" ||
        fail "$name does not check its disk on $host: $(lab_storage_disk_lines "$host" "$name" | tail -n 1)"
    [ -n "$(lab_storage_pids "$host" "$name")" ] || fail "no nbdkit serves $name on $host"
    assert_disk_clean "$host" "$name"
}

# Every disk check NAME made on HOST passed.
assert_disk_clean() {
    local bad
    bad=$(lab_storage_disk_lines "$1" "$2" | grep -v '^disk ok ' || true)
    [ -z "$bad" ] || fail "$2 on $1: $(wc -l <<<"$bad") failed disk checks, the first: $(head -n 1 <<<"$bad")"
}

# After NAME migrated from SRC to DST: its first disk check on DST read
# exactly what it wrote last on SRC ("disk ok M", M at least the last value
# SRC's checks saw), and its next STORAGE_CHECKS_AFTER checks passed too,
# its writes going on.
assert_disk_exact() {
    local src=$1 dst=$2 name=$3 first last_src m
    last_src=$(lab_storage_disk_ok "$src" "$name")
    lab_wait_for "$E2E_RUN_TIMEOUT" "$name to check its disk on $dst" lab_storage_checked "$dst" "$name" ||
        fail "$name made no disk check on $dst"
    first=$(lab_storage_first_check "$dst" "$name")
    note "disk: last check on $src 'disk ok $last_src', first on $dst '$first'"
    m=$(sed -n 's/^disk ok \([0-9]*\)$/\1/p' <<<"$first")
    [ -n "$m" ] || fail "$name's first disk check on $dst failed: $first (last on $src: disk ok $last_src)"
    [ "$m" -ge "$last_src" ] || fail "$name's first disk check on $dst saw value $m, older than $last_src checked on $src"
    lab_wait_for "$E2E_RUN_TIMEOUT" "$name's disk checks to go on on $dst" \
        lab_storage_ok_past "$dst" "$name" $((m + STORAGE_CHECKS_AFTER)) ||
        fail "$name's disk checks on $dst stop at $(lab_storage_disk_lines "$dst" "$name" | tail -n 1)"
    assert_disk_clean "$dst" "$name"
    note "disk: $((STORAGE_CHECKS_AFTER + 1)) checks on $dst passed, up to 'disk ok $(lab_storage_disk_ok "$dst" "$name")'"
}

# The hook's log on HOST has a line for NAME's volume matching the extended
# regular expression RE.
assert_storage_logged() {
    local host=$1 name=$2 re=$3
    grep -E -- " $name [a-z]+ [a-z]+: $name: $re" "$(lab_storage_log "$host")" >/dev/null 2>&1 ||
        fail "the storage hook on $host logged nothing like '$re' for $name (log: $(tail -n 3 "$(lab_storage_log "$host")" 2>&1 | tr '\n' '|'))"
}

# The storage hook's log on HOST for NAME, in the test's log.
note_storage_log() {
    local line
    while read -r line; do
        note "storage $1: $line"
    done < <(grep -F " $2 " "$(lab_storage_log "$1")" 2>/dev/null)
}

# Nothing serves NAME's volume on HOST any more.
storage_detached() { [ -z "$(lab_storage_pids "$1" "$2")" ]; }
assert_storage_detached() {
    lab_wait_for 10 "$2's storage to go on $1" storage_detached "$1" "$2" ||
        fail "nbdkit still serves $2 on $1: $(lab_storage_pids "$1" "$2")"
}

# Whether HOST is fenced from NAME's volume.
storage_fenced() { [ -e "$LAB_STORAGE_VOLUMES/$2.fenced-$(lab_fqdn "$1")" ]; }
