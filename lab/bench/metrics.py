#!/usr/bin/python3
"""The figures of one lab migration, from the two daemons' debug logs.

    metrics.py SRC_LOG SRC_OFFSET DST_LOG DST_OFFSET JOBINFO_FILE [SRC_TRACE DST_TRACE]

reads the source's and the destination's libvirtd.log from the given byte
offsets (taken just before the migration) and the destination's
`virsh domjobinfo --completed` output, and prints one "name=value" a line
(empty value: not found); with SRC_TRACE and DST_TRACE, also the figures
of QEMU's own trace (run.sh's bench guest: `-trace migrate_set_state`,
`-trace vm_state_notify`, `-msg timestamp=on`), which need no libvirt log:

  trace_gap_ms         the source QEMU's last "new state pre-switchover" to
                       its next migrate_set_state: the switchover gap, from
                       QEMU's trace (gettimeofday, microseconds)
  trace_stop_to_resume_ms  the source QEMU's last vm_state_notify running 0
                       before that pre-switchover to the destination QEMU's
                       last vm_state_notify running 1

The rest come from the daemons' debug logs. What each figure is:

  gap_ms               QEMU's MIGRATION "pre-switchover" event to its next
                       MIGRATION status ("device", or "completed" /
                       "postcopy-active"): how long QEMU waited for
                       migrate-continue. Both stamped by QEMU in
                       microseconds (source).
  next_status          that next status
  stop_to_resume_ms    QEMU's STOP event on the source to QEMU's RESUME event
                       on the destination (both QEMU's microsecond stamps,
                       same machine clock): how long the guest did not run.
  qemu_downtime_ms     "downtime" of the source QEMU's final query-migrate
                       (QEMU's own figure, ms: its stop to the end of sending)
  qemu_total_ms        "total-time" of that reply (ms)
  qemu_setup_ms        "setup-time" of that reply (ms)
  libvirt_downtime_ms  destination's completed job "Total downtime": from the
                       source daemon stopping the guest to the destination
                       daemon about to resume it (libvirt, ms)
  libvirt_downtime_net_ms  "Downtime w/o network" (the same minus libvirt's
                       estimate of the hosts' clock delta and transfer time)
  libvirt_total_ms     destination's "Time elapsed": the whole migration job
                       as libvirt counts it (ms)
  switchover_calls     the switchover hook calls the source made ("prepare",
                       "begin", ...), joined with "+"
  hook_prepare_ms      source log: 'switchover prepare' call to its result
  hook_begin_ms        source log: 'switchover begin' call to its result
  hook_start_ms        source log: 'switchover begin' call to the hook's
                       process started (virCommandRunAsync returned)
  recv_delay_ms        QEMU's pre-switchover stamp to libvirt logging that it
                       read the event
  presw_to_continue_ms source log: pre-switchover event read to
                       migrate-continue sent
  continue_to_next_ms  migrate-continue sent to QEMU's stamp of the next
                       status
                       (the last six use libvirt's log timestamps, which
                       have millisecond resolution and are truncated:
                       recv_delay + presw_to_continue + continue_to_next
                       is the gap, each part within -1..+1 ms)
"""
import json
import re
import sys
from datetime import datetime

LINE = re.compile(r'^(\d{4}-\d\d-\d\d \d\d:\d\d:\d\d\.\d{3})[+-]\d{4}: (\d+): \w+ : (.*)$')


def read_from(path, offset):
    with open(path, 'rb') as f:
        f.seek(int(offset))
        return f.read().decode('utf-8', 'replace').splitlines()


def log_time(stamp):
    """libvirt's log timestamp, in seconds (millisecond resolution)."""
    return datetime.strptime(stamp, '%Y-%m-%d %H:%M:%S.%f').timestamp()


def parse(lines):
    """(log time, thread, message) of each log line."""
    out = []
    for line in lines:
        m = LINE.match(line)
        if m:
            out.append((log_time(m.group(1)), m.group(2), m.group(3)))
    return out


def qemu_events(entries):
    """(QEMU time in s, libvirt log time, event, data) of each QMP event."""
    events = []
    for t, _thread, msg in entries:
        i = msg.find('QEMU_MONITOR_RECV_EVENT: ')
        if i < 0:
            continue
        j = msg.find('event=', i)
        try:
            ev = json.loads(msg[j + len('event='):])
        except ValueError:
            continue
        ts = ev.get('timestamp', {})
        qt = ts.get('seconds', 0) + ts.get('microseconds', 0) / 1e6
        events.append((qt, t, ev.get('event'), ev.get('data') or {}))
    return events


def first(events, name, status=None, after=None):
    for ev in events:
        if ev[2] != name:
            continue
        if status is not None and ev[3].get('status') not in status:
            continue
        if after is not None and ev[0] <= after:
            continue
        return ev
    return None


def ms(a, b, digits=3):
    if a is None or b is None:
        return ''
    return f'{(b - a) * 1000:.{digits}f}'


def hook_times(entries):
    """Per switchover sub-operation: (call time, started time, result time) of
    its first call, from the 'Calling hook ... op=switchover subop=X' line,
    the next 'Command result ... with PID' line of virCommandRunAsync and
    'Result' line of virCommandRun in the same thread."""
    calls = []
    times = {}
    for k, (t, thread, msg) in enumerate(entries):
        m = re.search(r'Calling hook .* op=switchover subop=(\w+)', msg)
        if not m:
            continue
        subop = m.group(1)
        calls.append(subop)
        if subop in times:
            continue
        done = started = None
        for t2, thread2, msg2 in entries[k + 1:]:
            if thread2 != thread:
                continue
            if started is None and msg2.startswith('virCommandRunAsync') and 'with PID' in msg2:
                started = t2
            if msg2.startswith('virCommandRun:') and 'Result' in msg2:
                done = t2
                break
        times[subop] = (t, started, done)
    return calls, times


def final_stats(entries):
    """QEMU's last query-migrate reply with status "completed"."""
    stats = None
    for _t, _thread, msg in entries:
        if 'QEMU_MONITOR_RECV_REPLY' not in msg or '"status": "completed"' not in msg:
            continue
        try:
            reply = json.loads(msg[msg.find('reply=') + len('reply='):])
        except ValueError:
            continue
        ret = reply.get('return')
        if isinstance(ret, dict) and 'downtime' in ret:
            stats = ret
    return stats or {}


def jobinfo(path):
    fields = {}
    with open(path, encoding='utf-8', errors='replace') as f:
        for line in f:
            key, sep, value = line.partition(':')
            if sep:
                fields[key.strip()] = value.strip()

    def number(key):
        m = re.match(r'(\d+)\s*ms', fields.get(key, ''))
        return m.group(1) if m else ''
    return {
        'libvirt_downtime_ms': number('Total downtime'),
        'libvirt_downtime_net_ms': number('Downtime w/o network'),
        'libvirt_total_ms': number('Time elapsed'),
    }


TRACE = re.compile(r'^\d+@(\d+)\.(\d{6}):(\w+) (.*)$')


def trace_lines(path):
    """(time in s, event, arguments) of each timestamped line of a QEMU log
    trace file; nothing if the file is missing."""
    out = []
    try:
        with open(path, encoding='utf-8', errors='replace') as f:
            for line in f:
                m = TRACE.match(line.rstrip('\n'))
                if m:
                    out.append((int(m.group(1)) + int(m.group(2)) / 1e6, m.group(3), m.group(4)))
    except OSError:
        pass
    return out


def trace_figures(src_trace, dst_trace):
    src = trace_lines(src_trace)
    dst = trace_lines(dst_trace)
    pre = None
    for k, (_t, ev, args) in enumerate(src):
        if ev == 'migrate_set_state' and args.strip() == 'new state pre-switchover':
            pre = k
    gap = stop = resume = None
    if pre is not None:
        for t, ev, _args in src[pre + 1:]:
            if ev == 'migrate_set_state':
                gap = (t - src[pre][0]) * 1000
                break
        for t, ev, args in src[:pre]:
            if ev == 'vm_state_notify' and args.startswith('running 0'):
                stop = t
    for t, ev, args in dst:
        if ev == 'vm_state_notify' and args.startswith('running 1'):
            resume = t
    return {
        'trace_gap_ms': f'{gap:.3f}' if gap is not None else '',
        'trace_stop_to_resume_ms': f'{(resume - stop) * 1000:.3f}' if stop and resume and resume > stop else '',
    }


def main(src_log, src_offset, dst_log, dst_offset, jobinfo_file, src_trace=None, dst_trace=None):
    src = parse(read_from(src_log, src_offset))
    dst = parse(read_from(dst_log, dst_offset))
    src_events = qemu_events(src)
    dst_events = qemu_events(dst)

    out = {}
    if src_trace and dst_trace:
        out.update(trace_figures(src_trace, dst_trace))
    stop = first(src_events, 'STOP')
    pre = first(src_events, 'MIGRATION', {'pre-switchover'})
    nxt = first(src_events, 'MIGRATION',
                {'device', 'completed', 'postcopy-active', 'failed', 'cancelling', 'cancelled'},
                after=pre[0] if pre else None) if pre else None
    resume = first(dst_events, 'RESUME')
    out['gap_ms'] = ms(pre and pre[0], nxt and nxt[0])
    out['next_status'] = nxt[3].get('status', '') if nxt else ''
    out['stop_to_resume_ms'] = ms(stop and stop[0], resume and resume[0])

    stats = final_stats(src)
    out['qemu_downtime_ms'] = stats.get('downtime', '')
    out['qemu_total_ms'] = stats.get('total-time', '')
    out['qemu_setup_ms'] = stats.get('setup-time', '')
    out.update(jobinfo(jobinfo_file))

    calls, times = hook_times(src)
    out['switchover_calls'] = '+'.join(calls)
    for subop in ('prepare', 'begin'):
        call, _started, done = times.get(subop, (None, None, None))
        out[f'hook_{subop}_ms'] = ms(call, done, 0)
    call, started, _done = times.get('begin', (None, None, None))
    out['hook_start_ms'] = ms(call, started, 0)

    cont = None
    for t, _thread, msg in src:
        if 'QEMU_MONITOR_SEND_MSG' in msg and '"migrate-continue"' in msg:
            cont = t
            break
    out['recv_delay_ms'] = ms(pre and pre[0], pre and pre[1], 1)
    out['presw_to_continue_ms'] = ms(pre and pre[1], cont, 0)
    out['continue_to_next_ms'] = ms(cont, nxt and nxt[0], 1)

    for key, value in out.items():
        print(f'{key}={value}')


if __name__ == '__main__':
    if len(sys.argv) not in (6, 8):
        sys.exit(__doc__)
    main(*sys.argv[1:])
