#!/usr/bin/python3
"""One source/destination QEMU pair on loopback, driven over QMP, for
lab/storage/measure-source-writes.sh (which calls this, one case at a time).

  qmp_case.py CASE --qemu BIN [--datadir DIR] --fmt raw|qcow2 --img PATH
              --out DIR [--strace] [--port N]

CASE:
  writes     baseline: pause at pre-switchover, hold, migrate-continue,
             wait for completed, quit: what the source writes, and when
  a          blockdev-set-active active=false (all nodes) at pre-switchover,
             then migrate-continue
  b          inactivate at pre-switchover, then migrate_cancel; then a write
             through the guest's disk (HMP qemu-io -d on the virtio-blk)
  c          inactivate, blockdev-set-active active=true, migrate_cancel
  d          inactivate, SIGKILL the destination, migrate-continue
  d2         inactivate, migrate-continue, SIGKILL the destination at once
  d0         no inactivation; SIGKILL the destination, migrate-continue
  time       like a, no strace: the blockdev-set-active round trip
  bl         like b, but a third process holds the image open read-write
             (write lock) when migrate_cancel re-activates: activation fails
  iw         no migration: inactivate the nodes of a running VM, then a
             write through the guest's disk (what a guest write meets)

Everything the case saw goes to OUT/result.json (and OUT/timeline.txt for the
write-tracing cases); one summary line goes to stdout.

Clocks: QMP event timestamps, QEMU's trace log (-msg timestamp=on), strace -ttt
and this script's time.time() are all the host's wall clock.
"""

import argparse
import json
import os
import re
import signal
import socket
import struct
import subprocess
import sys
import threading
import time
import queue

NODE_FILE = "libvirt-1-storage"
NODE_FMT = "libvirt-1-format"
DEVICE = "virtio-disk0"
HOLD = 0.5            # seconds spent "in the hook" at pre-switchover

# QEMU trace events worth a line in the timeline (not all exist in both).
TRACE_EVENTS = ["migrate_set_state", "runstate_set", "migration_block_activation",
                "savevm_state_complete_precopy", "savevm_section_start",
                "qcow2_cache_flush", "migration_completion_vm_stop",
                "vmstate_downtime_checkpoint"]


# --------------------------------------------------------------------------
# QMP
class QMP:
    def __init__(self, path, timeout=30):
        deadline = time.time() + timeout
        while True:
            try:
                self.sock = socket.socket(socket.AF_UNIX, socket.SOCK_STREAM)
                self.sock.connect(path)
                break
            except OSError:
                self.sock.close()
                if time.time() > deadline:
                    raise
                time.sleep(0.02)
        self.file = self.sock.makefile("rb")
        self.replies = queue.Queue()
        self.events = []              # (local time, event dict)
        self.ev_cond = threading.Condition()
        self.next_id = 0
        json.loads(self.file.readline())           # greeting
        threading.Thread(target=self._reader, daemon=True).start()
        self.cmd("qmp_capabilities")

    def _reader(self):
        try:
            self._read_loop()
        except OSError:
            pass
        self.replies.put((time.time(), None))     # EOF
        with self.ev_cond:
            self.ev_cond.notify_all()

    def _read_loop(self):
        for line in self.file:
            msg = json.loads(line)
            if "event" in msg:
                with self.ev_cond:
                    self.events.append((time.time(), msg))
                    self.ev_cond.notify_all()
            else:
                self.replies.put((time.time(), msg))

    def cmd_timed(self, _cmd, timeout=60, **args):
        """Returns (sent, replied, reply dict)."""
        self.next_id += 1
        req = {"execute": _cmd, "id": self.next_id}
        if args:
            req["arguments"] = args
        sent = time.time()
        self.sock.sendall(json.dumps(req).encode() + b"\n")
        got, reply = self.replies.get(timeout=timeout)
        if reply is None:
            raise EOFError("QMP closed during %s" % _cmd)
        return sent, got, reply

    def cmd(self, _cmd, **args):
        _, _, reply = self.cmd_timed(_cmd, **args)
        if "error" in reply:
            raise RuntimeError("%s: %s" % (_cmd, reply["error"]))
        return reply["return"]

    def hmp(self, line):
        return self.cmd("human-monitor-command", **{"command-line": line})

    def wait_event(self, pred, timeout=60):
        """First event (seen so far or coming) matching pred."""
        deadline = time.time() + timeout
        with self.ev_cond:
            while True:
                for t, ev in self.events:
                    if pred(ev):
                        return t, ev
                left = deadline - time.time()
                if left <= 0:
                    raise TimeoutError("no matching event")
                self.ev_cond.wait(left)


def mig_status(status):
    return lambda ev: ev["event"] == "MIGRATION" and ev["data"]["status"] == status


def mig_final(ev):
    return ev["event"] == "MIGRATION" and ev["data"]["status"] in (
        "completed", "failed", "cancelled")


def ev_time(ev):
    return ev["timestamp"]["seconds"] + ev["timestamp"]["microseconds"] / 1e6


# --------------------------------------------------------------------------
# QEMU processes
def blockdev_args(img, fmt, direct):
    cache = {"direct": direct, "no-flush": False}
    filenode = {"driver": "file", "filename": img, "node-name": NODE_FILE,
                "auto-read-only": True, "discard": "unmap", "cache": cache}
    fmtnode = {"node-name": NODE_FMT, "read-only": False, "driver": fmt,
               "file": NODE_FILE, "cache": cache}
    return ["-blockdev", json.dumps(filenode), "-blockdev", json.dumps(fmtnode),
            "-device", "virtio-blk-pci,drive=%s,id=%s,write-cache=on"
            % (NODE_FMT, DEVICE)]


def qemu_argv(a, role, qmp_path):
    argv = [a.qemu]
    if a.datadir:
        argv += ["-L", a.datadir]
    argv += ["-name", "measure-" + role, "-machine", "pc,accel=tcg",
             "-m", "64", "-smp", "1", "-nodefaults", "-display", "none",
             "-no-user-config", "-qmp", "unix:%s,server=on,wait=off" % qmp_path,
             "-msg", "timestamp=on"]
    argv += blockdev_args(a.img, a.fmt, a.direct)
    if role == "dst":
        argv += ["-S", "-incoming", "tcp:127.0.0.1:%d" % a.port]
    else:
        for ev in TRACE_EVENTS:
            argv += ["-trace", ev]
    return argv


class Pair:
    def __init__(self, a):
        self.a = a
        out = a.out
        self.dst_qmp = os.path.join(out, "dst.qmp")
        self.src_qmp = os.path.join(out, "src.qmp")
        for p in (self.dst_qmp, self.src_qmp):
            if os.path.exists(p):
                os.unlink(p)
        self.dst = subprocess.Popen(qemu_argv(a, "dst", self.dst_qmp),
                                    stdout=subprocess.DEVNULL,
                                    stderr=open(os.path.join(out, "dst.err"), "w"))
        # unbuffered stdout: HMP qemu-io prints its results there
        argv = ["stdbuf", "-o0"] + qemu_argv(a, "src", self.src_qmp)
        self.strace_out = os.path.join(out, "src.strace")
        if a.strace:
            argv = ["strace", "-f", "-ttt", "-yy", "-s", "0", "-o", self.strace_out,
                    "-e", "trace=pwrite64,pwritev,pwritev2,fdatasync,fsync,"
                    "fallocate,ftruncate,sendmsg,io_submit,io_uring_enter"] + argv
        self.src = subprocess.Popen(argv, stdout=open(os.path.join(out, "src.out"), "w"),
                                    stderr=open(os.path.join(out, "src.err"), "w"))
        self.d = QMP(self.dst_qmp)
        self.s = QMP(self.src_qmp)
        STDOUT[self.s] = os.path.join(out, "src.out")

    def close(self):
        for q, p in ((self.s, self.src), (self.d, self.dst)):
            if p.poll() is None:
                try:
                    q.cmd_timed("quit", timeout=10)
                except Exception:
                    pass
                try:
                    p.wait(timeout=10)
                except subprocess.TimeoutExpired:
                    p.kill()
                    p.wait()


# --------------------------------------------------------------------------
# qcow2 layout: name the structure a byte range belongs to
def qcow2_layout(path):
    with open(path, "rb") as f:
        data = f.read()
    (magic, version, _bfo, _bfs, cluster_bits, _size, _crypt, l1_size, l1_off,
     rt_off, rt_clusters, _nsnap, _snap_off) = struct.unpack(">IIQIIQIIQQIIQ", data[:72])
    assert magic == 0x514649FB
    cs = 1 << cluster_bits
    incompat, compat, _autoclear, _rorder, hlen = struct.unpack(">QQQII", data[72:104])
    regions = [(0, cs, "header")]
    regions.append((rt_off, rt_clusters * cs, "refcount table"))
    for i in range(rt_clusters * cs // 8):
        (e,) = struct.unpack(">Q", data[rt_off + 8 * i: rt_off + 8 * i + 8])
        if e:
            regions.append((e & ~(cs - 1), cs, "refcount block"))
    l1_bytes = max(l1_size * 8, 1)
    regions.append((l1_off, (l1_bytes + cs - 1) // cs * cs, "L1 table"))
    for i in range(l1_size):
        (e,) = struct.unpack(">Q", data[l1_off + 8 * i: l1_off + 8 * i + 8])
        e &= 0x00fffffffffffe00
        if e:
            regions.append((e, cs, "L2 table"))
    # header extensions
    off, bitmaps = hlen, None
    while off + 8 <= cs:
        etype, elen = struct.unpack(">II", data[off:off + 8])
        if etype == 0:
            break
        if etype == 0x23852875:
            nb, _res, dsize, doff = struct.unpack(">IIQQ", data[off + 8:off + 32])
            bitmaps = (nb, dsize, doff)
        off += 8 + (elen + 7) // 8 * 8
    bm_info = []
    if bitmaps:
        nb, dsize, doff = bitmaps
        regions.append((doff, (dsize + cs - 1) // cs * cs, "bitmap directory"))
        p = doff
        for _ in range(nb):
            tbl_off, tbl_size, flags, _t, gbits, nlen, extra = struct.unpack(
                ">QIIBBHI", data[p:p + 24])
            name = data[p + 24 + extra: p + 24 + extra + nlen].decode()
            bm_info.append({"name": name, "flags": flags, "granularity_bits": gbits,
                            "table_entries": tbl_size})
            regions.append((tbl_off, (tbl_size * 8 + cs - 1) // cs * cs,
                            "bitmap table (%s)" % name))
            for i in range(tbl_size):
                (e,) = struct.unpack(">Q", data[tbl_off + 8 * i: tbl_off + 8 * i + 8])
                e &= 0x00fffffffffffe00
                if e:
                    regions.append((e, cs, "bitmap data (%s)" % name))
            p += (24 + extra + nlen + 7) // 8 * 8
    return {"cluster_size": cs, "incompatible_features": incompat,
            "compatible_features": compat, "header_length": hlen,
            "bitmaps": bm_info, "regions": regions}


def name_at(t, off, size, final):
    """Name a write by the first layout read after it that knows the range
    (clusters are freed and reused: the bitmap is stored anew each time)."""
    if final is None:
        return "raw data"
    for ts, lay in sorted(SNAPS, key=lambda x: x[0]):
        if ts >= t:
            n = name_range(lay, off, size)
            if n != "guest data / unallocated":
                return n
    return name_range(final, off, size)


def name_range(layout, off, size):
    if layout is None:
        return "raw data"
    names = []
    for start, length, what in layout["regions"]:
        if off < start + length and start < off + size:
            names.append(what)
    if not names:
        names = ["guest data / unallocated"]
    return "+".join(sorted(set(names)))


# --------------------------------------------------------------------------
# strace and trace-log parsing
STRACE_RE = re.compile(r"^(\d+)\s+(\d+\.\d+)\s+(.*)$")
CALL_RE = re.compile(r"^(\w+)\((\d+)<(TCP:\[[^\]]*\]|[^>]*)>(.*)$")


def parse_strace(path, img, port):
    """Image syscalls and migration-socket sends, with times."""
    if not os.path.exists(path):
        return [], []
    img_ops, sends = [], []
    pending = {}      # pid -> (time, name, fdpath, rest)
    with open(path, errors="replace") as f:
        for line in f:
            m = STRACE_RE.match(line)
            if not m:
                continue
            pid, t, body = m.group(1), float(m.group(2)), m.group(3)
            if body.startswith("<..."):                     # resumed
                if pid not in pending:
                    continue
                t0, name, fdpath, rest = pending.pop(pid)
                rest = rest + body.split("resumed>", 1)[1]
                t = t0
            else:
                cm = CALL_RE.match(body)
                if not cm:
                    continue
                name, fdpath, rest = cm.group(1), cm.group(3), cm.group(4)
                if rest.endswith("<unfinished ...>"):
                    pending[pid] = (t, name, fdpath, rest[:-len("<unfinished ...>")])
                    continue
            rm = re.search(r"\)\s+=\s+(-?\d+)(.*)$", rest)
            ret = int(rm.group(1)) if rm else None
            err = rm.group(2).strip() if rm and ret is not None and ret < 0 else ""
            if fdpath == img:
                args = rest.split(")", 1)[0] if name.startswith("f") else rest
                off = size = None
                if name in ("pwrite64", "pwritev", "pwritev2"):
                    nums = re.findall(r",\s*(-?\d+)", rest.rsplit(")", 1)[0].split("]")[-1])
                    if name == "pwrite64":
                        nums = re.findall(r",\s*(\d+)", rest.rsplit(")", 1)[0])
                        size, off = int(nums[-2]), int(nums[-1])
                    else:
                        off = int(nums[1]) if len(nums) > 1 else None
                        size = ret
                elif name == "fallocate":
                    nums = re.findall(r"(\d+)", args)
                    off, size = int(nums[-2]), int(nums[-1])
                img_ops.append({"t": t, "pid": int(pid), "call": name, "off": off,
                                "size": size, "ret": ret, "err": err})
            elif name == "sendmsg" and (":%d]" % port) in fdpath and ret and ret > 0:
                sends.append((t, ret))
    return img_ops, sends


TRACE_RE = re.compile(r"^(\d+)@(\d+\.\d+):(\w+) ?(.*)$")


def parse_trace(path):
    out = []
    if not os.path.exists(path):
        return out
    with open(path, errors="replace") as f:
        for line in f:
            m = TRACE_RE.match(line.strip())
            if m:
                out.append((float(m.group(2)), m.group(3), m.group(4)))
    return out


# --------------------------------------------------------------------------
# helpers for the cases
def node_activity(q):
    nodes = q.cmd("query-named-block-nodes")
    return {n["node-name"]: n.get("active", "n/a") for n in nodes}


def runstate(q):
    return q.cmd("query-status")["status"]


STDOUT = {}   # QMP -> path of that QEMU's stdout (where HMP qemu-io prints)
STEPS = []    # the current case's steps: (label, wall-clock time, detail)
SNAPS = []    # qcow2 layouts read at quiet points: (time, layout)


def guest_write(q, pattern, offset):
    """A write through the guest's disk (the virtio-blk device's own
    BlockBackend, as a guest write would), no guest needed. HMP returns
    qemu-io's errors; its normal output goes to QEMU's stdout."""
    path = STDOUT[q]
    before = os.path.getsize(path)
    t0 = time.time()
    STEPS.append(("guest write (qemu-io)", t0, "0x%x" % offset))
    err = q.hmp("qemu-io -d %s/virtio-backend \"write -P 0x%x %d 4k\""
                % (DEVICE, pattern, offset))
    secs = round(time.time() - t0, 4)
    time.sleep(0.05)
    with open(path, errors="replace") as f:
        f.seek(before)
        out = f.read()
    return {"output": " ".join((err + out).split())[:200], "seconds": secs}


def guest_write_or_closed(q):
    """A guest write after which QEMU may have died (an assertion on an
    inactive node): its result, or how QMP closed."""
    try:
        return guest_write(q, 0xcd, 2 << 20)
    except EOFError as e:
        return {"output": "QMP closed: " + str(e)}


def start_migration(p, a, steps):
    caps = [{"capability": "events", "state": True},
            {"capability": "late-block-activate", "state": True}]
    p.d.cmd("migrate-set-capabilities", capabilities=caps)
    p.s.cmd("migrate-set-capabilities", capabilities=[
        {"capability": "events", "state": True},
        {"capability": "pause-before-switchover", "state": True}])
    if a.fmt == "qcow2":
        p.s.cmd("block-dirty-bitmap-add", node=NODE_FMT, name="bm0", persistent=True)
    for i, off in enumerate((1 << 20, 5 << 20, 33 << 20)):
        guest_write(p.s, 0xa0 + i, off)
    time.sleep(0.2)
    steps.append(("migrate sent", time.time(), ""))
    p.s.cmd("migrate", uri="tcp:127.0.0.1:%d" % a.port)
    t, ev = p.s.wait_event(mig_status("pre-switchover"))
    steps.append(("pre-switchover event", ev_time(ev), ""))


def snap():
    """Read the qcow2 layout now (to name what earlier writes hit)."""
    if ARGS.fmt == "qcow2":
        try:
            SNAPS.append((time.time(), qcow2_layout(ARGS.img)))
        except Exception:
            pass


def timed(steps, q, label, cmd, **args):
    sent, got, reply = q.cmd_timed(cmd, **args)
    snap()
    steps.append((label + " sent", sent, ""))
    steps.append((label + " returned", got, json.dumps(reply.get("error", reply.get("return")))))
    return reply, round((got - sent) * 1000, 3)


def wait_final(q, timeout=60):
    t, ev = q.wait_event(mig_final, timeout)
    time.sleep(0.1)
    snap()
    return ev["data"]["status"], ev_time(ev)


def poll_runstate(q, want_not="finish-migrate", seconds=3):
    deadline = time.time() + seconds
    st = runstate(q)
    while st == want_not and time.time() < deadline:
        time.sleep(0.05)
        st = runstate(q)
    return st


def sha(path):
    return subprocess.run(["sha256sum", path], capture_output=True,
                          text=True).stdout.split()[0][:16]


# --------------------------------------------------------------------------
ARGS = None


def run(a):
    global ARGS
    ARGS = a
    os.makedirs(a.out, exist_ok=True)
    res = {"case": a.case, "qemu": a.qemu, "fmt": a.fmt, "img": a.img,
           "cache.direct": a.direct, "strace": a.strace}
    steps = STEPS
    p = Pair(a)
    try:
        res["version"] = p.s.cmd("query-version")["qemu"]
        if a.case == "iw":
            return run_iw(a, p, res, steps)
        start_migration(p, a, steps)
        res["sha_at_pre_switchover"] = sha(a.img)
        snap()
        time.sleep(HOLD)
        s = p.s
        if a.case == "writes":
            timed(steps, s, "migrate-continue", "migrate-continue", state="pre-switchover")
            res["final"], t = wait_final(s)
            steps.append(("migration " + res["final"], t, ""))
        elif a.case in ("a", "time"):
            reply, ms = timed(steps, s, "blockdev-set-active false",
                              "blockdev-set-active", active=False)
            res["set_active_ms"] = ms
            res["set_active_reply"] = reply
            res["nodes_after_inactivate"] = node_activity(s)
            timed(steps, s, "migrate-continue", "migrate-continue", state="pre-switchover")
            res["final"], t = wait_final(s)
            steps.append(("migration " + res["final"], t, ""))
            res["runstate_after"] = poll_runstate(s)
            res["nodes_after"] = node_activity(s)
        elif a.case in ("b", "c", "bl"):
            timed(steps, s, "blockdev-set-active false", "blockdev-set-active", active=False)
            res["nodes_after_inactivate"] = node_activity(s)
            locker = None
            if a.case == "bl":
                # another owner of the image (as a destination that took over
                # would be): qemu-io holds it open read-write, with its locks
                locker = subprocess.Popen(
                    [os.path.join(os.path.dirname(a.qemu), "qemu-io"), "-f", a.fmt,
                     "-c", "sleep 600000", a.img],
                    stdout=subprocess.DEVNULL, stderr=subprocess.DEVNULL)
                time.sleep(0.5)
                steps.append(("third process holds the image rw", time.time(), ""))
            if a.case == "c":
                timed(steps, s, "blockdev-set-active true", "blockdev-set-active", active=True)
                res["nodes_after_reactivate"] = node_activity(s)
            timed(steps, s, "migrate_cancel", "migrate_cancel")
            res["final"], t = wait_final(s)
            steps.append(("migration " + res["final"], t, ""))
            res["runstate_after"] = poll_runstate(s)
            res["nodes_after"] = node_activity(s)
            res["guest_write_after"] = guest_write_or_closed(s)
            time.sleep(0.3)
            if locker:
                locker.kill()
                locker.wait()
            res["src_alive_after_write"] = p.src.poll() is None
            if not res["src_alive_after_write"]:
                res["src_rc"] = p.src.returncode
            if res["src_alive_after_write"]:
                res["runstate_after_write"] = runstate(s)
                res["block_io_status"] = [
                    b.get("io-status") for b in s.cmd("query-block")]
                if a.case == "b":
                    timed(steps, s, "blockdev-set-active true", "blockdev-set-active",
                          active=True)
                    res["nodes_after_manual_activate"] = node_activity(s)
                    res["guest_write_after_manual_activate"] = guest_write(s, 0xce, 3 << 20)
                    res["runstate_end"] = runstate(s)
        elif a.case in ("d", "d2", "d0"):
            if a.case != "d0":
                timed(steps, s, "blockdev-set-active false", "blockdev-set-active",
                      active=False)
            if a.case in ("d", "d0"):
                p.dst.kill()
                p.dst.wait()
                steps.append(("destination SIGKILLed", time.time(), ""))
                time.sleep(0.1)
                timed(steps, s, "migrate-continue", "migrate-continue", state="pre-switchover")
            else:
                timed(steps, s, "migrate-continue", "migrate-continue", state="pre-switchover")
                p.dst.kill()
                p.dst.wait()
                steps.append(("destination SIGKILLed", time.time(), ""))
            res["final"], t = wait_final(s)
            steps.append(("migration " + res["final"], t, ""))
            res["migration_error"] = s.cmd("query-migrate").get("error-desc")
            res["runstate_after"] = poll_runstate(s)
            res["nodes_after"] = node_activity(s)
            if res["runstate_after"] != "running":
                timed(steps, s, "cont", "cont")
                time.sleep(0.2)
                res["runstate_after_cont"] = runstate(s)
                res["nodes_after_cont"] = node_activity(s)
            res["guest_write_after"] = guest_write(s, 0xcd, 2 << 20)
            time.sleep(0.3)
            res["src_alive_after_write"] = p.src.poll() is None
        res["sha_after_migration"] = sha(a.img)
        time.sleep(0.3)
        if p.src.poll() is None:
            steps.append(("quit sent", time.time(), ""))
            try:
                s.cmd_timed("quit", timeout=10)
            except Exception:
                pass
        p.src.wait(timeout=30)
        steps.append(("source exited", time.time(), "rc=%s" % p.src.returncode))
        res["src_rc"] = p.src.returncode
        res["sha_after_quit"] = sha(a.img)
    finally:
        p.close()
    res["src_stderr_tail"] = [l for l in open(os.path.join(a.out, "src.err"),
                                             errors="replace").read().splitlines()
                              if not TRACE_RE.match(l)][-5:]
    res["steps"] = steps
    analyse(a, res, steps)
    with open(os.path.join(a.out, "result.json"), "w") as f:
        json.dump(res, f, indent=1, default=str)
    print(summary(res))


def run_iw(a, p, res, steps):
    s = p.s
    res["runstate_before"] = runstate(s)
    timed(steps, s, "blockdev-set-active false", "blockdev-set-active", active=False)
    res["nodes_after_inactivate"] = node_activity(s)
    res["guest_write_inactive"] = guest_write_or_closed(s)
    time.sleep(0.3)
    res["src_alive_after_write"] = p.src.poll() is None
    if res["src_alive_after_write"]:
        res["runstate_after_write"] = runstate(s)
        res["block_io_status"] = [b.get("io-status") for b in s.cmd("query-block")]
        res["guest_read_inactive"] = {"output": " ".join(s.hmp(
            "qemu-io -d %s/virtio-backend \"read 0 4k\"" % DEVICE).split())}
        time.sleep(0.1)
        res["src_alive_after_read"] = p.src.poll() is None
    else:
        p.src.wait()
        res["src_rc"] = p.src.returncode
    p.close()
    res["src_stderr_tail"] = [l for l in open(os.path.join(a.out, "src.err"),
                                             errors="replace").read().splitlines()
                              if not TRACE_RE.match(l)][-5:]
    res["src_stdout_tail"] = open(os.path.join(a.out, "src.out"),
                                  errors="replace").read().splitlines()[-3:]
    res["steps"] = steps
    with open(os.path.join(a.out, "result.json"), "w") as f:
        json.dump(res, f, indent=1, default=str)
    print(summary(res))


def window_of(t, steps):
    """The last step before t: writes are attributed to it."""
    label = "before migration"
    for name, ts, _ in sorted(steps, key=lambda s: s[1]):
        if ts <= t:
            label = name
    return label


def analyse(a, res, steps):
    layout = qcow2_layout(a.img) if a.fmt == "qcow2" else None
    if layout:
        SNAPS.append((time.time(), layout))
        res["qcow2_after"] = {k: v for k, v in layout.items() if k != "regions"}
        res["qcow2_regions"] = [(o, l, w) for o, l, w in layout["regions"]]
    pre = [t for n, t, _ in steps if n == "pre-switchover event"]
    if not pre:
        return
    t_pre = pre[0]
    ops, sends = parse_strace(os.path.join(a.out, "src.strace"), a.img, a.port)
    trace = parse_trace(os.path.join(a.out, "src.err"))
    timeline = []
    for n, t, extra in steps:
        timeline.append((t, "STEP  %s %s" % (n, extra)))
    for t, ev, args in trace:
        if t >= t_pre - 0.001 and ev != "savevm_section_start":
            timeline.append((t, "TRACE %s %s" % (ev, args)))
    sec = [t for t, ev, _ in trace if ev == "savevm_section_start" and t >= t_pre]
    if sec:
        timeline.append((sec[0], "TRACE savevm_section_start (first device section)"))
        timeline.append((sec[-1], "TRACE savevm_section_start (last device section)"))
    after = []
    for op in ops:
        if op["t"] < t_pre:
            continue
        what = ""
        if op["off"] is not None and op["size"]:
            what = name_at(op["t"], op["off"], op["size"], layout)
        op["what"] = what
        op["step"] = window_of(op["t"], steps)
        after.append(op)
        timeline.append((op["t"], "IMAGE %s off=%s size=%s %s%s" % (
            op["call"], op["off"], op["size"], what, (" " + op["err"]) if op["err"] else "")))
    burst = [(t, n) for t, n in sends if t >= t_pre]
    if burst:
        timeline.append((burst[0][0], "SOCK  first migration-stream send after pre-switchover"))
        timeline.append((burst[-1][0], "SOCK  last migration-stream send (%d sends, %d bytes after pre-switchover)"
                         % (len(burst), sum(n for _, n in burst))))
    res["image_ops_after_pre_switchover"] = after
    w = [o["t"] for o in after if o["call"].startswith("pwrite")]
    if w and sec:
        if w[-1] < sec[0]:
            res["order"] = "all image writes before the device state (first section +%.1f ms later)" % (
                (sec[0] - w[-1]) * 1000)
        elif w[0] > sec[-1]:
            res["order"] = "all image writes after the device state sections (%.1f ms after the last)" % (
                (w[0] - sec[-1]) * 1000)
        else:
            res["order"] = "image writes interleaved with the device state"
    if w and burst:
        res["stream_after_last_image_write"] = sum(n for t, n in burst if t > w[-1])
    res["image_ops_total"] = len(ops)
    timeline.sort()
    with open(os.path.join(a.out, "timeline.txt"), "w") as f:
        for t, line in timeline:
            f.write("%+10.3f ms  %s\n" % ((t - t_pre) * 1000, line))


def summary(res):
    parts = ["case=%s" % res["case"], "qemu=%s.%s.%s" % (
        res["version"]["major"], res["version"]["minor"], res["version"]["micro"]),
        "fmt=%s" % res["fmt"], "final=%s" % res.get("final")]
    if "image_ops_after_pre_switchover" in res:
        ops = res["image_ops_after_pre_switchover"]
        w = [o for o in ops if o["call"].startswith("pwrite")]
        parts.append("writes_after_pre_switchover=%d flushes=%d" % (
            len(w), len([o for o in ops if o["call"] in ("fdatasync", "fsync")])))
    for k in ("set_active_ms", "runstate_after", "runstate_after_cont",
              "src_alive_after_write", "src_rc"):
        if k in res:
            parts.append("%s=%s" % (k, res[k]))
    return " ".join(parts)


# --------------------------------------------------------------------------
# the table printed by measure-source-writes.sh
BUCKETS = {"pre-switchover event": "at pause, before any command",
           "blockdev-set-active false sent": "during blockdev-set-active(false)",
           "blockdev-set-active false returned": "after set-active(false) returned, before continue",
           "migrate-continue sent": "after migrate-continue (completion)",
           "migrate-continue returned": "after migrate-continue (completion)",
           "migration completed": "after completed, before quit",
           "quit sent": "at quit"}


def human(n):
    return "%dK" % (n // 1024) if n and n >= 1024 and n % 1024 == 0 else str(n)


def describe_ops(ops):
    """'N writes (what size, ...) + M flushes' grouped by step bucket."""
    groups = {}
    for o in ops:
        b = BUCKETS.get(o["step"], "after " + o["step"])
        groups.setdefault(b, []).append(o)
    out = []
    for b, lst in groups.items():
        w = [o for o in lst if o["call"].startswith("pwrite") or o["call"] == "fallocate"]
        f = [o for o in lst if o["call"] in ("fdatasync", "fsync")]
        errs = [o for o in lst if o["err"]]
        items = ", ".join("%s %s@%d" % (o["what"], human(o["size"]), o["off"]) for o in w)
        txt = "%s: %d write%s" % (b, len(w), "" if len(w) == 1 else "s")
        if items:
            txt += " (" + items + ")"
        if f:
            txt += " + %d flush%s" % (len(f), "" if len(f) == 1 else "es")
        if errs:
            txt += " [%d failed: %s]" % (len(errs), errs[0]["err"])
        out.append(txt)
    return out or ["nothing written or flushed"]


def report(top):
    runs = sorted(d for d in os.listdir(top) if os.path.exists(os.path.join(top, d, "result.json")))
    rows = [json.load(open(os.path.join(top, d, "result.json"))) for d in runs]
    print("\n== What the source QEMU does to the image after pre-switchover "
          "(strace of the source, image fd only)")
    for d, r in zip(runs, rows):
        if r["case"] not in ("writes", "a") or "image_ops_after_pre_switchover" not in r:
            continue
        v = r["version"]
        head = "%-6s %-5s %-6s %-9s" % ("%d.%d" % (v["major"], v["minor"]), r["fmt"],
                                       r["case"], r.get("final"))
        lines = describe_ops(r["image_ops_after_pre_switchover"])
        if r["case"] == "a":
            lines.append("blockdev-set-active(false) %.1f ms (under strace)" % r["set_active_ms"])
        if r.get("order"):
            lines.append("%s; %s migration-stream bytes sent after the last image write"
                         % (r["order"], r.get("stream_after_last_image_write")))
        if r.get("qcow2_after"):
            q = r["qcow2_after"]
            lines.append("image after quit: incompatible_features=%d, bitmaps %s" % (
                q["incompatible_features"],
                [(b["name"], "in-use" if b["flags"] & 1 else "not in-use") for b in q["bitmaps"]]))
        print("%s  %s" % (head, lines[0]))
        for l in lines[1:]:
            print("%s  %s" % (" " * len(head), l))
    print("\n== QEMU 10.0 facts (one run each unless repeated)")
    keys = ["final", "migration_error", "nodes_after_inactivate", "nodes_after_reactivate",
            "runstate_after", "nodes_after", "runstate_after_cont", "nodes_after_cont",
            "guest_write_inactive", "guest_write_after", "src_alive_after_write", "src_rc",
            "runstate_after_write", "nodes_after_manual_activate",
            "guest_write_after_manual_activate"]
    for d, r in zip(runs, rows):
        if r["case"] in ("writes", "a", "time"):
            continue
        print("%-5s %-5s" % (r["case"], r["fmt"]))
        for k in keys:
            if k in r:
                val = r[k]
                if isinstance(val, dict) and "output" in val:
                    val = val["output"][:90]
                print("        %-34s %s" % (k, val))
        if "image_ops_after_pre_switchover" in r:
            for l in describe_ops(r["image_ops_after_pre_switchover"]):
                print("        image: %s" % l)
        errs = [l for l in r.get("src_stderr_tail", [])
                if "Assertion" in l or "lock" in l or "rror" in l]
        for l in errs[-2:]:
            print("        stderr: %s" % l[-110:])
    print("\n== blockdev-set-active(false) at pre-switchover, QMP round trip, no strace (QEMU 10.0)")
    for fmt in ("raw", "qcow2"):
        ms = [r["set_active_ms"] for r in rows if r["case"] == "time" and r["fmt"] == fmt]
        if ms:
            ms.sort()
            print("  %-5s n=%d  min %.2f  median %.2f  max %.2f ms   (%s)" % (
                fmt, len(ms), ms[0], ms[len(ms) // 2], ms[-1],
                " ".join("%.2f" % m for m in ms)))


def main():
    if len(sys.argv) == 3 and sys.argv[1] == "report":
        return report(sys.argv[2])
    ap = argparse.ArgumentParser()
    ap.add_argument("case", choices=["writes", "a", "b", "c", "d", "d2", "d0", "time", "iw", "bl"])
    ap.add_argument("--qemu", required=True)
    ap.add_argument("--datadir")
    ap.add_argument("--fmt", choices=["raw", "qcow2"], required=True)
    ap.add_argument("--img", required=True)
    ap.add_argument("--out", required=True)
    ap.add_argument("--strace", action="store_true")
    ap.add_argument("--no-direct", dest="direct", action="store_false")
    ap.add_argument("--port", type=int, default=0,
                    help="destination's migration port (default: a free one)")
    a = ap.parse_args()
    if not a.port:
        with socket.socket() as so:
            so.bind(("127.0.0.1", 0))
            a.port = so.getsockname()[1]
    a.img = os.path.abspath(a.img)
    run(a)


if __name__ == "__main__":
    main()
