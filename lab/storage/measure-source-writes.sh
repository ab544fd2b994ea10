#!/usr/bin/env bash
# What a source QEMU writes to its disk image after the pre-switchover pause,
# on QEMU 7.2 (the system's) and QEMU 10.0 (work/qemu-10.0), raw and qcow2
# (lazy_refcounts=on, a dirty persistent bitmap); and, on QEMU 10.0, what
# blockdev-set-active changes (issue 11, point 1).
#
#   lab/storage/measure-source-writes.sh        (as root; no lab needed)
#
# Every case starts a fresh image and a fresh QEMU pair on loopback, one pair
# at a time: a destination (-S -incoming tcp:127.0.0.1:PORT, late-block-activate,
# so it never touches the image) and a source (no guest kernel: SeaBIOS only;
# the "guest writes" are HMP qemu-io writes through the virtio-blk device's own
# BlockBackend). Disks are given as libvirt gives them with cache='none': a
# file node and a format node, cache.direct=on, no-flush=off. The source runs
# under strace -f -ttt -yy and with QEMU trace events on (-msg timestamp=on):
# both are on the host's wall clock, as QMP event timestamps are, so every
# write is placed between the QMP steps. The driver is lab/storage/qmp_case.py.
#
# Cases (qmp_case.py has the details):
#   writes   pre-switchover, hold 0.5 s (the hook), migrate-continue, quit
#   a        pre-switchover, blockdev-set-active false, migrate-continue
#   b / c    inactivate, [c: re-activate,] migrate_cancel, a guest write
#   bl       as b, but another process holds the image's write lock
#   d / d2   inactivate, SIGKILL the destination before / right after
#            migrate-continue; d0: the same as d without the inactivation
#   iw       no migration: inactivate a running VM's nodes, a guest write
#   time     as a, without strace: the blockdev-set-active round trip
#
# Environment: REPS (3) runs of writes and a per QEMU and format; TIME_REPS (10)
# runs of time per format, 3 of d2 (a race); MEASURE_DIR (work/measure). Output:
# MEASURE_DIR/<timestamp>/NN-<qemu>-<fmt>-<case>-<rep>/{result.json,timeline.txt,
# src.strace,src.err}, and the table on stdout (also in table.txt there).
set -euo pipefail

ROOT=$(cd "$(dirname "${BASH_SOURCE[0]}")/../.." && pwd)
HERE=$ROOT/lab/storage
REPS=${REPS:-3}
TIME_REPS=${TIME_REPS:-10}
OUT=${MEASURE_DIR:-$ROOT/work/measure}/$(date +%Y%m%d-%H%M%S)
. "$HERE/qemus.sh"

die() { echo "measure-source-writes: $*" >&2; exit 1; }

[ "$(id -u)" = 0 ] || die "run as root (strace of QEMU, image locks)"
for tool in strace stdbuf sha256sum "$PY" "$Q72_BIN" "$Q72_IMG" "$Q10_BIN" "$Q10_IMG"; do
    command -v "$tool" >/dev/null || die "missing $tool"
done
mkdir -p "$OUT"

# cache='none' means O_DIRECT: check the file system takes it
DIRECT=                      # qmp_case.py's default: cache.direct=on
if ! dd if=/dev/zero of="$OUT/.odirect" bs=4096 count=1 oflag=direct status=none 2>/dev/null; then
    DIRECT=--no-direct
    echo "note: O_DIRECT fails on $OUT: cache.direct=off used" >&2
fi
rm -f "$OUT/.odirect"

SEQ=0
# run_case VER FMT CASE REP [--strace]
run_case() {
    local ver=$1 fmt=$2 case=$3 rep=$4 trace=${5:-}
    local bin img data dir
    if [ "$ver" = 7.2 ]; then bin=$Q72_BIN img=$Q72_IMG data=$Q72_DATA
    else bin=$Q10_BIN img=$Q10_IMG data=$Q10_DATA; fi
    SEQ=$((SEQ + 1))
    dir=$OUT/$(printf %02d "$SEQ")-$ver-$fmt-$case-$rep
    mkdir -p "$dir"
    # a fresh image each time, made by that QEMU's own qemu-img
    if [ "$fmt" = qcow2 ]; then
        "$img" create -q -f qcow2 -o lazy_refcounts=on "$dir/disk.qcow2" 128M
    else
        "$img" create -q -f raw "$dir/disk.raw" 128M
    fi
    printf '%-32s ' "${dir##*/}"
    "$PY" "$HERE/qmp_case.py" "$case" --qemu "$bin" ${data:+--datadir "$data"} \
        --fmt "$fmt" --img "$dir/disk.$fmt" --out "$dir" $trace $DIRECT \
        2>"$dir/driver.err" || { echo "FAILED (see $dir/driver.err)"; tail -3 "$dir/driver.err"; }
    if [ "$fmt" = qcow2 ]; then
        "$img" check "$dir/disk.qcow2" >"$dir/check.txt" 2>&1 || true
        "$img" info "$dir/disk.qcow2" >"$dir/info.txt" 2>&1 || true
    fi
}

echo "results: $OUT"
# 1. what is written after pre-switchover, both QEMUs, both formats
for ver in 7.2 10.0; do
    for fmt in raw qcow2; do
        for rep in $(seq "$REPS"); do run_case "$ver" "$fmt" writes "$rep" --strace; done
    done
done
# 2. QEMU 10.0: blockdev-set-active at pre-switchover, and the failure paths
for fmt in raw qcow2; do
    for rep in $(seq "$REPS"); do run_case 10.0 "$fmt" a "$rep" --strace; done
done
for case in b c bl d d0 iw; do
    for fmt in raw qcow2; do run_case 10.0 "$fmt" "$case" 1 --strace; done
done
for fmt in raw qcow2; do        # d2 races the device-state send: 3 runs
    for rep in 1 2 3; do run_case 10.0 "$fmt" d2 "$rep" --strace; done
done
# 3. QEMU 10.0: how long blockdev-set-active false takes (no strace)
for fmt in raw qcow2; do
    for rep in $(seq "$TIME_REPS"); do run_case 10.0 "$fmt" time "$rep"; done
done

"$PY" "$HERE/qmp_case.py" report "$OUT" | tee "$OUT/table.txt"
echo
echo "qemu-img check of the qcow2 images after each run:"
grep -H -m1 -E 'No errors|errors? were found|leaked' "$OUT"/*-qcow2-*/check.txt | sed "s|$OUT/||"
