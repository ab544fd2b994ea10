#!/usr/bin/env bash
# Sanitizers on the series: libvirt's whole `meson test` suite built with
# AddressSanitizer + UndefinedBehaviorSanitizer, and qemuhooktest (the
# switchover hook's own test) under valgrind's memcheck. Ends with a summary
# and "N passed, N failed, N skipped": the suite's tests, plus one check that
# no test's output has a sanitizer report, plus the valgrind run.
#
#   sanitize.sh [REV]   REV: a commit of work/libvirt, default its HEAD (only
#                       what is committed); `sanitize.sh upstream-11.3.0` tells
#                       a finding of ours from one of upstream's
#
# Two more builds of libvirt, so not part of `make test`: `make sanitize`. Here
# (2 cores) the first run takes about 15 min, a run with nothing to rebuild 2.
# work/libvirt is only read, never built in or checked out (its developer may
# be working in it): REV is checked out in a clone, work/libvirt-sanitize, with
# one build directory per variant.
. "$(dirname "$0")/lib.sh"

SAN_SRC=$WORK/libvirt-sanitize
ASAN_BUILD=$SAN_SRC/build-asan
VALGRIND_BUILD=$SAN_SRC/build-valgrind

[ -d "$SRC/.git" ] || die "no work tree: run 'make build' first"
rev=$(git -C "$SRC" rev-parse --verify --quiet "${1:-HEAD}^{commit}") ||
    die "usage: $0 [REV]   (REV: a commit of work/libvirt)"
start=$SECONDS

# A failure before the tests could run counts as one failed test.
give_up() {
    printf 'error: %s\n' "$*" >&2
    echo "0 passed, 1 failed"
    exit 1
}

"$TOP/scripts/deps.sh" sanitize || give_up "could not install the packages"

# The copy. Its build directories are inside it, as work/libvirt/build is, so
# that ccache sees the same relative paths from one run to the next.
if [ ! -d "$SAN_SRC/.git" ]; then
    log "cloning work/libvirt into work/libvirt-sanitize"
    git clone --quiet --no-checkout "$SRC" "$SAN_SRC" || give_up "git clone failed"
    printf '/subprojects/keycodemapdb/\n/build-*/\n' >>"$SAN_SRC/.git/info/exclude"
fi
git -C "$SAN_SRC" fetch --quiet origin "$rev" || give_up "git fetch failed"
# Only files that differ change, so the builds stay incremental.
git -C "$SAN_SRC" checkout --quiet --force --detach "$rev" || give_up "git checkout failed"
# keycodemapdb comes with the tarball, not with git (upstream it is a
# submodule); it must stay untracked or the syntax-check suite fails.
if [ ! -d "$SAN_SRC/subprojects/keycodemapdb" ]; then
    mkdir -p "$SAN_SRC/subprojects"
    cp -a "$SRC/subprojects/keycodemapdb" "$SAN_SRC/subprojects/keycodemapdb"
fi
subject=$(git -C "$SAN_SRC" log -1 --format='%h %s')
log "testing $subject"

# setup DIR [MESON OPTIONS...]: configure DIR once with build.sh's lean
# options (and prefix: tests run as root create directories under it); on
# failure, show meson's output and fail.
setup() {
    local dir=$1
    shift
    [ -f "$dir/build.ninja" ] && return
    log "configuring ${dir#"$TOP"/}"
    quiet meson setup "$dir" "$SAN_SRC" "${LEAN_MESON_OPTIONS[@]}" \
        --prefix="$PREFIX" -Drunstatedir="$PREFIX/var/run" "$@"
}

# --- ASan + UBSan: the whole suite --------------------------------------------
# clang, as upstream's CI does for its sanitizer job (x86_64-ubuntu-2404-clang,
# same meson options). With gcc, ASan's runtime is a shared library that must
# come first in the process's library list, and most tests re-exec themselves
# with their mock libraries in LD_PRELOAD, ahead of it: ASan aborts them all.
# clang links the runtime into each program instead; the mock libraries then
# leave ASan's symbols undefined, hence b_lundef=false.
# Without -Werror: upstream 11.3.0 itself does not build with clang 14's
# warnings as errors (unused g_autofree variables in domain_conf.c,
# node_device_conf.c and qemu_dbus.c); the gcc build of `make test` is the one
# that enforces -Werror. clang's warnings (for the files compiled in this run)
# are shown instead.
log "ASan+UBSan build (clang, as upstream's CI): LD_PRELOADed test mocks and gcc's shared libasan cannot be combined"
CC=clang setup "$ASAN_BUILD" -Db_sanitize=address,undefined -Db_lundef=false \
    -Dgit_werror=disabled || give_up "meson setup of ${ASAN_BUILD#"$TOP"/} failed"
log "compiling ${ASAN_BUILD#"$TOP"/}"
compile_log=$ASAN_BUILD/compile.log
if ! ninja -C "$ASAN_BUILD" >"$compile_log" 2>&1; then
    grep -m 40 -E 'error|FAILED' "$compile_log" >&2
    give_up "ASan+UBSan build failed"
fi
grep -E '^\.\./.*: warning: ' "$compile_log" | sort -u >&2 || true

# UB halts the process, as in upstream's CI; leak detection is ASan's default,
# made explicit. Reports go to stderr, into meson's log: a log_path would have
# ASan create its directory with mkdir() before it is initialised, and the
# mocks that replace mkdir() (vircgroupmock) then crash every test using them.
log "meson test, ASan+UBSan"
asan_json=$ASAN_BUILD/meson-logs/testlog.json
rm -f "$asan_json"
asan_start=$SECONDS
asan_line=$(ASAN_OPTIONS=detect_leaks=1 UBSAN_OPTIONS=print_stacktrace=1:halt_on_error=1 \
    "$TOP/scripts/unit-tests.sh" "$ASAN_BUILD") || true
asan_secs=$((SECONDS - asan_start))
if ! read -r asan_passed asan_failed asan_skipped < <(
    echo "$asan_line" | sed -nE 's/^([0-9]+) passed, ([0-9]+) failed, ([0-9]+) skipped$/\1 \2 \3/p'); then
    asan_passed=0 asan_failed=1 asan_skipped=0 # the suite did not even run
fi

# From meson's log: every test whose output has a sanitizer report, passing
# ones included (a report from a child process does not always fail the test
# that ran it), shown here with the output of the failed tests; and the names
# of the failed and skipped tests for the summary.
findings=() failed_names=() skipped_names=()
if [ -f "$asan_json" ]; then
    while read -r kind name; do
        case $kind in
            report) findings+=("$name") ;;
            failed) failed_names+=("$name") ;;
            skipped) skipped_names+=("$name") ;;
        esac
    done < <(python3 - "$asan_json" <<'PY'
import json, re, sys
report = re.compile(r"^.*(ERROR: (Address|Leak)Sanitizer|runtime error:|Sanitizer:DEADLYSIGNAL)",
                    re.M)
for t in map(json.loads, open(sys.argv[1])):
    name = t["name"].split(" / ")[-1]
    out = (t.get("stdout") or "") + (t.get("stderr") or "")
    m = report.search(out)
    if m:
        print("report", name)
        excerpt = "\n".join(out[m.start():].splitlines()[:60])
        print(f"\n--- sanitizer report in {name}\n{excerpt}", file=sys.stderr)
    if t["result"] in ("FAIL", "TIMEOUT", "UNEXPECTEDPASS", "ERROR"):
        print("failed", name)
        if not m:
            excerpt = "\n".join(out.splitlines()[-20:])
            print(f"\n--- {name}: {t['result']}\n{excerpt}", file=sys.stderr)
    elif t["result"] == "SKIP":
        print("skipped", name)
PY
    )
fi

# --- valgrind: qemuhooktest ----------------------------------------------------
# A plain (gcc, no sanitizer) build; `meson test` builds only what the test
# needs. The test re-execs itself with its mocks preloaded, so valgrind follows
# exec; the hook scripts it runs (/tmp) and system programs are not ours.
# libvirt's own suppressions; not its `--setup valgrind`, whose --quiet hides
# the error and leak summaries.
# Sets vg_report to the summary's lines; fails on a test failure or any error.
valgrind_qemuhooktest() {
    local valgrind=(
        valgrind --leak-check=full --error-exitcode=1 --num-callers=40
        --trace-children=yes --trace-children-skip='/bin/*,/usr/bin/*,/tmp/*'
        --suppressions="$SAN_SRC/tests/.valgrind.supp"
    )
    local out vg_log=$VALGRIND_BUILD/meson-logs/testlog-valgrind.txt # named after the wrapper
    local t0=$SECONDS test=OK memcheck summary='' warnings=''

    if ! setup "$VALGRIND_BUILD"; then
        vg_report="  valgrind memcheck, qemuhooktest: meson setup of ${VALGRIND_BUILD#"$TOP"/} failed"
        return 1
    fi
    log "qemuhooktest under valgrind"
    out=$(mktemp)
    rm -f "$vg_log"
    # Valgrind makes the test about 6 times slower here (9 s instead of 1.6 s);
    # libvirt's own valgrind setup multiplies the 30 s timeout by 4.
    meson test -C "$VALGRIND_BUILD" --print-errorlogs --timeout-multiplier 10 \
        --wrapper "$(printf '%q ' "${valgrind[@]}")" qemuhooktest >"$out" 2>&1 ||
        test=FAILED
    # The test's own output (valgrind's is summarised below), or meson's
    # when the test did not even start.
    if [ "$test" != OK ]; then
        if [ -f "$vg_log" ]; then
            grep -vE '^(==|--)[0-9]+(==|--)' "$vg_log" |
                sed -n '/^-\+ std\(out\|err\) -\+$/,/^=\+$/p' >&2
        else
            tail -n 30 "$out" >&2
        fi
    fi
    rm -f "$out"

    # One line per process that valgrind followed to its end: its leak
    # summary and ERROR SUMMARY. All of them must say 0 errors, not only the
    # one whose exit status meson sees.
    if [ -f "$vg_log" ]; then
        summary=$(sed -nE 's/^==([0-9]+)== +(ERROR SUMMARY: [0-9]+ errors|(definitely|indirectly|possibly) lost: [0-9,]+ bytes|still reachable: [0-9,]+ bytes|All heap blocks were freed).*/\1 \2/p' "$vg_log" |
            awk '{ pid = $1; sub(/^[0-9]+ /, "")
                   if (!(pid in line)) order[++n] = pid
                   line[pid] = line[pid] (line[pid] == "" ? "" : "; ") $0 }
                 END { for (i = 1; i <= n; i++) print "    pid " order[i] ": " line[order[i]] }')
        # What valgrind itself could not emulate, e.g. a syscall it does not know.
        warnings=$(sed -nE 's/^--[0-9]+-- (WARNING: .*)/    valgrind \1/p' "$vg_log" | sort -u)
    fi
    if [ ! -f "$vg_log" ]; then
        memcheck="did not run"
    elif grep -q 'ERROR SUMMARY: 0 errors' <<<"$summary" &&
        ! grep -q 'ERROR SUMMARY: [1-9]' <<<"$summary"; then
        memcheck="0 errors"
    else
        memcheck=ERRORS
        grep -m 200 -E '^==[0-9]+==' "$vg_log" >&2
    fi

    vg_report="  valgrind memcheck, qemuhooktest: test $test, memcheck $memcheck ($((SECONDS - t0)) s; ${vg_log#"$TOP"/})"
    [ -z "$summary" ] || vg_report+=$'\n'$summary
    [ -z "$warnings" ] || vg_report+=$'\n'$warnings
    [ "$test" = OK ] && [ "$memcheck" = "0 errors" ]
}

passed=$asan_passed failed=$asan_failed
if [ ! -f "$SAN_SRC/tests/qemuhooktest.c" ]; then
    vg_report="  valgrind memcheck, qemuhooktest: not in this commit"
elif valgrind_qemuhooktest; then
    passed=$((passed + 1))
else
    failed=$((failed + 1))
fi

# --- summary -------------------------------------------------------------------
echo
echo "sanitize: $subject ($((SECONDS - start)) s)"
echo "  ASan+UBSan (clang), meson test: $asan_line ($asan_secs s)"
[ ${#failed_names[@]} -eq 0 ] || echo "    failed: ${failed_names[*]}"
[ ${#skipped_names[@]} -eq 0 ] || echo "    skipped: ${skipped_names[*]}"
echo "    not run: upstream defines the check-*_protocol tests (pdwtags) for gcc only; make test runs them"
if [ ${#findings[@]} -eq 0 ]; then
    echo "  sanitizer reports: none"
    passed=$((passed + 1))
else
    echo "  sanitizer reports (shown above) in: ${findings[*]}"
    failed=$((failed + 1))
fi
echo "$vg_report"
echo "$passed passed, $failed failed, $asan_skipped skipped"
[ "$failed" -eq 0 ]
