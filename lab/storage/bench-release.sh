#!/usr/bin/env bash
# What inactivating the block nodes at pre-switchover costs the switchover,
# on QEMU 10.0 (work/qemu-10.0), raw and qcow2 (design/storage-handover.md,
# "Cost"):
#   A  "as today":  at pre-switchover, migrate-continue at once
#   B  "released":  at pre-switchover, blockdev-set-active {active:false}
#                   (no node-name: every node), then migrate-continue
#
#   lab/storage/bench-release.sh          (as root; no lab needed; N=20: ~40 s)
#
# One run, variants interleaved: for each round, raw A, raw B, qcow2 A,
# qcow2 B. Every migration gets a fresh image (qemu-img 10.0; qcow2 with
# lazy_refcounts=on) and a fresh QEMU pair on loopback, one pair at a time,
# set up by lab/storage/qmp_case.py (Pair, start_migration: the destination is
# -S -incoming with late-block-activate and is never continued; the source
# has events + pause-before-switchover, a persistent dirty bitmap on qcow2,
# three 4 KiB guest-path writes before the migration). Differences from
# measure-source-writes.sh: no strace, no QEMU trace events (-trace off), no
# 0.5 s hold at pre-switchover.
#
# Figures per migration, all from the source:
#   pre_to_completed_ms  MIGRATION pre-switchover -> completed, QEMU event
#                        timestamps (microseconds)
#   pre_to_device_ms     pre-switchover -> device (driver reaction + commands)
#   device_to_completed_ms  device -> completed (QEMU's completion: in A it
#                        contains the inactivation)
#   set_active_ms        B: blockdev-set-active send -> reply (driver clock,
#                        host wall clock as the event timestamps)
#   pre_event_rx_ms, pre_to_first_cmd_ms  pre-switchover event timestamp ->
#                        the driver's reader got it / first command sent
#   downtime_ms          query-migrate "downtime" on completion (integer ms)
#
# Environment: N (20) rounds; MEASURE_DIR (work/measure). Output:
# MEASURE_DIR/<timestamp>-bench-release/{runs.tsv,runs.jsonl,summary.txt} and
# NNN-<fmt>-<variant>/ (QEMU logs) per migration; the summary on stdout.
set -euo pipefail

ROOT=$(cd "$(dirname "${BASH_SOURCE[0]}")/../.." && pwd)
HERE=$ROOT/lab/storage
N=${N:-20}
OUT=${MEASURE_DIR:-$ROOT/work/measure}/$(date +%Y%m%d-%H%M%S)-bench-release
. "$HERE/qemus.sh"

die() { echo "bench-release: $*" >&2; exit 1; }
[ "$(id -u)" = 0 ] || die "run as root (as measure-source-writes.sh)"
for tool in stdbuf "$PY" "$Q10_BIN" "$Q10_IMG"; do
    command -v "$tool" >/dev/null || die "missing $tool"
done
if pgrep -f qemu-system >/dev/null; then
    echo "warning: another QEMU is running: figures will be noisier (counted per run)" >&2
fi
mkdir -p "$OUT"

DIRECT=1                     # cache.direct=on, as measure-source-writes.sh
if ! dd if=/dev/zero of="$OUT/.odirect" bs=4096 count=1 oflag=direct status=none 2>/dev/null; then
    DIRECT=0
    echo "note: O_DIRECT fails on $OUT: cache.direct=off used" >&2
fi
rm -f "$OUT/.odirect"

echo "results: $OUT"
echo "command: $0 (N=$N)" >"$OUT/command.txt"
HERE=$HERE OUT=$OUT N=$N QEMU=$Q10_BIN QIMG=$Q10_IMG DATADIR=$Q10_DATA DIRECT=$DIRECT \
    "$PY" - <<'EOF' 2>&1 | tee "$OUT/summary.txt"
import argparse, json, os, socket, statistics, subprocess, sys, time
sys.path.insert(0, os.environ["HERE"])
import qmp_case as qc

qc.TRACE_EVENTS[:] = []      # no QEMU trace events on the source while timing
OUT, N = os.environ["OUT"], int(os.environ["N"])
QIMG = os.environ["QIMG"]


def free_port():
    with socket.socket() as so:
        so.bind(("127.0.0.1", 0))
        return so.getsockname()[1]


def foreign_qemus():
    """QEMUs not started by this benchmark (noise on 2 cores)."""
    out = subprocess.run(["pgrep", "-af", "qemu-system"], capture_output=True, text=True).stdout
    return len([l for l in out.splitlines() if "measure-src" not in l and "measure-dst" not in l])


def ev_at(q, status):
    return qc.ev_time(q.wait_event(qc.mig_status(status), timeout=5)[1])


def one(seq, fmt, variant):
    d = os.path.join(OUT, "%03d-%s-%s" % (seq, fmt, variant))
    os.makedirs(d)
    img = os.path.join(d, "disk." + fmt)
    if fmt == "qcow2":
        subprocess.run([QIMG, "create", "-q", "-f", "qcow2", "-o", "lazy_refcounts=on",
                        img, "128M"], check=True)
    else:
        subprocess.run([QIMG, "create", "-q", "-f", "raw", img, "128M"], check=True)
    a = argparse.Namespace(qemu=os.environ["QEMU"], datadir=os.environ["DATADIR"],
                           fmt=fmt, img=img, out=d, strace=False,
                           direct=os.environ["DIRECT"] == "1", port=free_port(),
                           case="bench-" + variant)
    qc.ARGS = a
    r = {"seq": seq, "fmt": fmt, "variant": variant, "loadavg1": os.getloadavg()[0],
         "other_qemus": foreign_qemus()}
    steps = []
    p = qc.Pair(a)
    try:
        v = p.s.cmd("query-version")["qemu"]
        r["qemu"] = "%d.%d.%d" % (v["major"], v["minor"], v["micro"])
        qc.start_migration(p, a, steps)        # returns at the pre-switchover event
        s = p.s
        if variant == "B":
            sent, got, rep = s.cmd_timed("blockdev-set-active", active=False)
            if "error" in rep:
                raise RuntimeError("blockdev-set-active: %s" % rep["error"])
            r["set_active_sent"], r["set_active_ms"] = sent, (got - sent) * 1000
        sent, got, rep = s.cmd_timed("migrate-continue", state="pre-switchover")
        if "error" in rep:
            raise RuntimeError("migrate-continue: %s" % rep["error"])
        r["continue_sent"], r["continue_ms"] = sent, (got - sent) * 1000
        _, fin = s.wait_event(qc.mig_final)
        r["final"] = fin["data"]["status"]
        t_pre, t_dev, t_end = ev_at(s, "pre-switchover"), ev_at(s, "device"), qc.ev_time(fin)
        qm = s.cmd("query-migrate")
        r["downtime_ms"] = qm.get("downtime")
        r["total_time_ms"] = qm.get("total-time")
        r["ram_total"] = qm.get("ram", {}).get("total")
        r["pre_to_completed_ms"] = (t_end - t_pre) * 1000
        r["pre_to_device_ms"] = (t_dev - t_pre) * 1000
        r["device_to_completed_ms"] = (t_end - t_dev) * 1000
        first = r.get("set_active_sent", r["continue_sent"])
        r["pre_to_first_cmd_ms"] = (first - t_pre) * 1000
        rx = [t for t, ev in s.events if qc.mig_status("pre-switchover")(ev)][0]
        r["pre_event_rx_ms"] = (rx - t_pre) * 1000     # QEMU emit -> driver's reader
        r["nodes_after"] = qc.node_activity(s)
        r["t_pre"] = t_pre
    finally:
        p.close()
    r["src_rc"] = p.src.returncode
    if fmt == "qcow2":
        chk = subprocess.run([QIMG, "check", img], capture_output=True, text=True)
        r["check"] = "clean" if chk.returncode == 0 and "No errors" in chk.stdout else \
            " ".join(chk.stdout.split())[:120]
    os.unlink(img)
    return r


COLS = ["seq", "fmt", "variant", "final", "pre_to_completed_ms", "pre_to_device_ms",
        "device_to_completed_ms", "set_active_ms", "pre_event_rx_ms", "pre_to_first_cmd_ms", "continue_ms",
        "downtime_ms", "total_time_ms", "src_rc", "check", "loadavg1", "other_qemus"]
rows, seq = [], 0
tsv = open(os.path.join(OUT, "runs.tsv"), "w")
jsl = open(os.path.join(OUT, "runs.jsonl"), "w")
tsv.write("\t".join(COLS) + "\n")
t0 = time.time()
for rnd in range(1, N + 1):
    for fmt in ("raw", "qcow2"):
        for variant in ("A", "B"):
            seq += 1
            try:
                r = one(seq, fmt, variant)
            except Exception as e:
                r = {"seq": seq, "fmt": fmt, "variant": variant, "final": "ERROR: %s" % e}
            rows.append(r)
            jsl.write(json.dumps(r, default=str) + "\n"); jsl.flush()
            tsv.write("\t".join(("%.3f" % r[c]) if isinstance(r.get(c), float) else str(r.get(c, ""))
                                for c in COLS) + "\n"); tsv.flush()
    print("round %d/%d done (%.0f s)" % (rnd, N, time.time() - t0), file=sys.stderr)

ok = [r for r in rows if r.get("final") == "completed"]
bad = [r for r in rows if r.get("final") != "completed"]
print("QEMU %s, N=%d rounds (raw A, raw B, qcow2 A, qcow2 B per round), %d migrations, "
      "%d not completed" % (ok[0]["qemu"] if ok else "?", N, len(rows), len(bad)))
for r in bad:
    print("  not completed: seq %s %s %s: %s" % (r["seq"], r["fmt"], r["variant"], r.get("final")))
dirty = [r for r in ok if r["fmt"] == "qcow2" and r.get("check") != "clean"]
print("qcow2 images after quit: %d/%d clean (qemu-img check)" % (
    len([r for r in ok if r["fmt"] == "qcow2"]) - len(dirty), len([r for r in ok if r["fmt"] == "qcow2"])))
busy = [r for r in rows if r.get("other_qemus")]
print("migrations with another (foreign) QEMU running at their start: %d/%d; "
      "1-min load average %.2f-%.2f" % (len(busy), len(rows),
      min(r.get("loadavg1", 0) for r in rows), max(r.get("loadavg1", 0) for r in rows)))
inactive_b = [r for r in ok if r["variant"] == "B"
              and all(v is False for v in r.get("nodes_after", {}).values())]
print("B runs with both nodes inactive after completion: %d/%d" % (
    len(inactive_b), len([r for r in ok if r["variant"] == "B"])))


def st(vals):
    vals = sorted(vals)
    if not vals:
        return None
    return {"n": len(vals), "min": vals[0], "med": statistics.median(vals), "max": vals[-1]}


def fmt_st(x):
    return "n=%-3d median %8.3f  (min %8.3f, max %8.3f)" % (x["n"], x["med"], x["min"], x["max"]) \
        if x else "-"


summary = {}
for fmt in ("raw", "qcow2"):
    print("\n== %s" % fmt)
    for key, label in (("pre_to_completed_ms", "(1) pre-switchover -> completed, ms"),
                       ("device_to_completed_ms", "    of which device -> completed, ms"),
                       ("pre_to_device_ms", "    of which pre-switchover -> device, ms"),
                       ("set_active_ms", "(2) blockdev-set-active round trip, ms"),
                       ("downtime_ms", "(3) query-migrate downtime, ms")):
        sa = st([r[key] for r in ok if r["fmt"] == fmt and r["variant"] == "A" and r.get(key) is not None])
        sb = st([r[key] for r in ok if r["fmt"] == fmt and r["variant"] == "B" and r.get(key) is not None])
        summary["%s.%s" % (fmt, key)] = {"A": sa, "B": sb}
        print(label)
        if sa:
            print("   A %s" % fmt_st(sa))
        print("   B %s" % fmt_st(sb))
        if sa and sb and sa["med"]:
            print("   B/A (medians) %.2f   B-A %+.3f ms" % (sb["med"] / sa["med"], sb["med"] - sa["med"]))
json.dump(summary, open(os.path.join(OUT, "summary.json"), "w"), indent=1)
EOF
