#!/usr/bin/env bash
# The reliability run behind RELIABILITY.md (make reliability; as root): the
# lab's fault scenarios (lab/e2e/t-fault-*.sh and the domjobabort scenario)
# TRIALS times each, the soak (lab/soak.sh, ROUNDS armed round trips) and,
# as its baseline, the same soak on unpatched 11.3.0 without a hook, both on
# every QEMU of RELIABILITY_QEMUS (7.2 and 10.0, lab/README.md "QEMU"), and
# the sanitizers (scripts/sanitize.sh), on the builds in work/install and
# work/install-upstream. The fault scenarios run on LAB_QEMU (default 7.2). Nothing is skipped when something fails: every
# figure goes into the report, and the exit status is non-zero if anything
# failed.
#
#   TRIALS=N ROUNDS=N lab/reliability.sh     (defaults 3 and 100)
#   lab/reliability.sh --report DIR          only write the report of DIR again
#
#   RELIABILITY_QEMUS   the QEMUs the soaks run on ("7.2 10.0")
#   RELIABILITY_SANITIZE  0: skip the sanitizers (the report says so) (1)
#
# Writes work/reliability/<timestamp>/ (meta.env; trial-N.txt: the PASS/FAIL
# lines; notes/: what each scenario measured; soak-QEMU.txt,
# soak-baseline-QEMU.txt; sanitize.txt) and regenerates RELIABILITY.md
# (RELIABILITY_PUBLISH=0 leaves it alone).
. "$(dirname "$0")/lib.sh"

RELIABILITY_PUBLISH=${RELIABILITY_PUBLISH:-1}
RELIABILITY_QEMUS=${RELIABILITY_QEMUS:-7.2 10.0}
RELIABILITY_SANITIZE=${RELIABILITY_SANITIZE:-1}
REPORT=$TOP/RELIABILITY.md

# The version of the lab's QEMU 7.2 or 10.0, e.g. "7.2.22 (Debian ...)".
lab_qemu_version_of() {
    local bin=qemu-system-x86_64
    [ "$1" != 10.0 ] || bin=$QEMU10_ROOT/usr/bin/qemu-system-x86_64
    "$bin" --version 2>/dev/null | sed -n '1s/^QEMU emulator version //p'
}

# The scenarios, by e2e name, in file order.
scenarios=()
for file in "$LAB_DIR"/e2e/t-fault-*.sh "$LAB_DIR"/e2e/t-switchover-control.sh; do
    name=$(basename "$file" .sh)
    scenarios+=("${name#t-}")
done

run_all() {
    local trial logs name failed=0
    mkdir -p "$OUT/notes"
    {
        echo "started='$(date -u '+%Y-%m-%d %H:%M UTC')'"
        echo "series='$(series_id)'"
        echo "trials=$TRIALS"
        echo "rounds=$ROUNDS"
        echo "soak_qemus='$RELIABILITY_QEMUS'"
        echo "fault_qemu='${LAB_QEMU:-7.2}'"
        echo "fault_qemu_version='$(lab_qemu_version_of "${LAB_QEMU:-7.2}")'"
        echo "sanitize=$RELIABILITY_SANITIZE"
    } >"$OUT/meta.env"
    for ((trial = 1; trial <= TRIALS; trial++)); do
        log "trial $trial of $TRIALS: ${scenarios[*]}"
        "$LAB_DIR/e2e/run.sh" "${scenarios[@]}" | tee "$OUT/trial-$trial.txt" || failed=1
        # What each scenario noted (its "--- " lines), from the run's logs.
        logs=$(sed -nE 's/.*\(log: (.*)\)$/\1/p' "$OUT/trial-$trial.txt" | head -n 1)
        logs=${logs:+$TOP/$(dirname "$logs")}
        [ -n "$logs" ] || logs=$(readlink -f "$LAB_LOGS/current")
        for name in "${scenarios[@]}"; do
            [ ! -f "$logs/e2e-$name.log" ] ||
                sed -n 's/^--- //p' "$logs/e2e-$name.log" >"$OUT/notes/$name.trial-$trial"
        done
    done

    local qemu
    for qemu in $RELIABILITY_QEMUS; do
        log "soak on QEMU $qemu: $ROUNDS round trips, armed"
        LAB_QEMU=$qemu ROUNDS=$ROUNDS "$LAB_DIR/soak.sh" >"$OUT/soak-$qemu.txt" 2>"$OUT/soak-$qemu.err" || failed=1
        tail -n 3 "$OUT/soak-$qemu.err" >&2
        log "soak baseline on QEMU $qemu: $ROUNDS round trips, unpatched 11.3.0, no hook"
        LAB_QEMU=$qemu SOAK_HOOK=none LAB_INSTALL_ROOT=$UPSTREAM_INSTALL_ROOT LAB_PREFIX=$UPSTREAM_PREFIX ROUNDS=$ROUNDS \
            "$LAB_DIR/soak.sh" >"$OUT/soak-baseline-$qemu.txt" 2>"$OUT/soak-baseline-$qemu.err" || failed=1
        tail -n 3 "$OUT/soak-baseline-$qemu.err" >&2
    done

    if [ "$RELIABILITY_SANITIZE" = 1 ]; then
        log "sanitizers"
        "$TOP/scripts/sanitize.sh" >"$OUT/sanitize.txt" 2>&1 || failed=1
        tail -n 1 "$OUT/sanitize.txt" >&2
    else
        log "sanitizers: skipped (RELIABILITY_SANITIZE=0)"
        echo "sanitize: not run in this run (RELIABILITY_SANITIZE=0)" >"$OUT/sanitize.txt"
    fi
    echo "finished='$(date -u '+%Y-%m-%d %H:%M UTC')'" >>"$OUT/meta.env"
    return "$failed"
}

# ---------------------------------------------------------------- the report

# The comment at the top of a scenario, as one paragraph.
scenario_text() {
    sed -n '/^#/!q; s/^# \{0,1\}//p' "$LAB_DIR/e2e/t-$1.sh" | sed '/^Shown to catch:/,$d' | tr '\n' ' ' | sed 's/ *$//'
}

# Its "Shown to catch:" paragraph: the bug it targets, and how it failed
# when that bug was put in.
scenario_catches() {
    sed -n '/^#/!q; s/^# \{0,1\}//p' "$LAB_DIR/e2e/t-$1.sh" | sed -n '/^Shown to catch:/,$p' |
        sed '1s/^Shown to catch: *//' | tr '\n' ' ' | sed 's/ *$//'
}

# "passed/trials" of a scenario.
# shellcheck disable=SC2154 # trials: meta.env
scenario_score() {
    local name=$1 pass
    pass=$(cat "$OUT"/trial-*.txt | grep -c "^PASS $name\$" || true)
    echo "$pass/$trials"
}

scenario_failures() {
    cat "$OUT"/trial-*.txt | sed -n "s/^FAIL $1: //p"
}

# A soak's summary, and the guest's console where it failed.
soak_report() {
    local title=$1 file=$2 logs host console
    echo
    echo "**Soak, $title:**"
    echo
    echo '```'
    cat "$file" 2>/dev/null || echo "(not run)"
    echo '```'
    grep -q '^first failure:' "$file" 2>/dev/null || return 0
    logs=$(sed -n 's/.*lab logs: //p' "$file")
    for host in "${LAB_HOSTS[@]}"; do
        console=$(grep -hE 'BUG:|Oops|invalid opcode|Kernel panic|RIP:' "$TOP/$logs/$host/serial/"*.log 2>/dev/null | head -n 4 || true)
        [ -z "$console" ] || printf '\nThe guest console on %s:\n\n```\n%s\n```\n' "$host" "$console"
    done
}

# shellcheck disable=SC2154 # started, finished, series, trials, rounds: meta.env
# shellcheck disable=SC2154 # started, finished, series, trials, rounds: meta.env
report() {
    local name failures
    echo "# Reliability: faults, load and bad hooks"
    echo
    echo "Generated by \`lab/reliability.sh\` (\`make reliability\`); do not edit by hand, run it again."
    echo
    echo "Every scenario is an end-to-end test of the lab (two libvirt hosts on this machine, real"
    echo "TCG QEMU guests migrating over TCP, \`lab/README.md\`) that asserts where the guest ends up and"
    echo "that it runs, that nothing is left on the other host, which hook calls were made in which"
    echo "order, and that no hook process is left. The quick ones run in \`make test\` too."
    echo
    echo "## This run"
    echo
    echo "- $started to $finished; $trials trial$([ "$trials" = 1 ] || echo s) of each scenario, the soaks with $rounds round trips."
    echo "- libvirt: 11.3.0 + \`patches/\` ($series), $(uname -sr), $(nproc) CPUs."
    echo "- Fault scenarios on QEMU ${fault_qemu:-7.2} (${fault_qemu_version:-$(lab_qemu_version_of 7.2)}); soaks on QEMU $(echo ${soak_qemus:-7.2} | sed 's/ /, /g; s/\(.*\), /\1 and /') (each soak's summary names the QEMU both daemons reported)."
    [ "$trials" -ge 3 ] || echo "- **$trials trial$([ "$trials" = 1 ] || echo s) of each fault scenario, fewer than the default 3** (\`TRIALS=$trials\`), to fit the time of this run: a scenario that fails now and then is less likely to show here."
    [ "${sanitize:-1}" = 1 ] || echo "- **The sanitizers were not run in this run** (\`RELIABILITY_SANITIZE=0\`): see \"Sanitizers\"."
    echo
    echo "## Scenarios"
    echo
    echo "| scenario | passed | what it checks |"
    echo "|---|---|---|"
    for name in "${scenarios[@]}"; do
        echo "| \`$name\` | $(scenario_score "$name") | $(scenario_text "$name") |"
    done
    echo
    for name in "${scenarios[@]}"; do
        failures=$(scenario_failures "$name")
        [ -n "$failures" ] || continue
        echo "**Failures of \`$name\`:**"
        echo
        sed 's/^/- /' <<<"$failures"
        echo
    done
    echo "## What the scenarios measured (trial 1)"
    echo
    for name in "${scenarios[@]}"; do
        [ -s "$OUT/notes/$name.trial-1" ] || continue
        echo "- \`$name\`:"
        grep -vE '^(switchover calls|events of|order:)' "$OUT/notes/$name.trial-1" | cut -c 1-200 |
            sed 's/^/  - /' || true
    done
    echo
    echo "## Each scenario catches the bug it targets"
    echo
    echo "Shown once, by running the scenario against a build with that bug put in (a copy of the"
    echo "work tree with the change reverted or the check disabled) or against unpatched 11.3.0:"
    echo
    for name in "${scenarios[@]}"; do
        echo "- \`$name\`: $(scenario_catches "$name")"
    done
    echo
    echo "## Soak"
    echo
    echo "On each QEMU, the patched build with the hook armed both ways, then the same soak on"
    echo "unpatched 11.3.0 without any hook (the baseline). Where a round trip failed because the"
    echo "guest crashed, the first lines of its console on the host it had just reached follow the"
    echo "summary."
    local qemu patched baseline
    for qemu in ${soak_qemus:-7.2}; do
        patched=$OUT/soak-$qemu.txt baseline=$OUT/soak-baseline-$qemu.txt
        # Runs from before RELIABILITY_QEMUS: soak.txt, soak-baseline.txt (7.2).
        [ -e "$patched" ] || [ "$qemu" != 7.2 ] || patched=$OUT/soak.txt
        [ -e "$baseline" ] || [ "$qemu" != 7.2 ] || baseline=$OUT/soak-baseline.txt
        echo
        echo "### QEMU $qemu"
        soak_report "QEMU $qemu, armed, patched" "$patched"
        soak_report "QEMU $qemu, baseline: unpatched 11.3.0, no hook" "$baseline"
    done
    echo
    echo
    echo "## Sanitizers"
    echo
    echo "A test that fails here also on pristine 11.3.0 (\`make sanitize REV=upstream-11.3.0\`) is"
    echo "upstream's, not the series'."
    echo
    echo '```'
    sed -n '/^sanitize: /,$p' "$OUT/sanitize.txt"
    echo '```'
}

require_root
failed=0
if [ "${1:-}" = --report ]; then
    OUT=$(cd "${2:?usage: $0 --report DIR}" && pwd)
else
    TRIALS=${TRIALS:-3}
    ROUNDS=${ROUNDS:-100}
    [[ $TRIALS =~ ^[1-9][0-9]*$ ]] || die "TRIALS must be a positive number, got '$TRIALS'"
    OUT=$WORK/reliability/$(date +%Y%m%d-%H%M%S)
    run_all || failed=1
fi
# shellcheck source=/dev/null
. "$OUT/meta.env"

report >"$OUT/RELIABILITY.md"
if [ "$RELIABILITY_PUBLISH" = 1 ]; then
    cp "$OUT/RELIABILITY.md" "$REPORT"
    log "wrote ${REPORT#"$TOP"/}"
fi
log "results: ${OUT#"$TOP"/}"
exit "$failed"
