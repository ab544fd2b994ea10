#!/usr/bin/python3
"""Where the switchover gap goes, migration by migration.

    breakdown.py LIBVIRTD_LOG...

For every outgoing migration in the given source daemon logs, prints the
steps between QEMU's "pre-switchover" event and its next status, in ms
relative to QEMU's pre-switchover stamp (microseconds). QEMU's own stamps
are exact; the steps in between come from libvirt's log timestamps
(millisecond resolution, truncated: -1..0 ms).

  recv      libvirt read the pre-switchover event from the monitor
  woken     the migration thread saw it ("Migration paused before switchover")
  hook      'switchover begin' called (patched, armed)
  started   virCommandRunAsync returned (the hook's process exists)
  result    the hook's result read
  continue  migrate-continue sent
  next      QEMU's next MIGRATION status (device), QEMU's stamp
"""
import json
import re
import sys
from datetime import datetime

LINE = re.compile(r'^(\d{4}-\d\d-\d\d \d\d:\d\d:\d\d\.\d{3})[+-]\d{4}: (\d+): \w+ : (.*)$')


def t(stamp):
    return datetime.strptime(stamp, '%Y-%m-%d %H:%M:%S.%f').timestamp()


def qemu_time(msg):
    ev = json.loads(msg[msg.find('event=') + 6:])
    ts = ev['timestamp']
    return ev, ts['seconds'] + ts['microseconds'] / 1e6


def migrations(path):
    cur = None
    for line in open(path, errors='replace'):
        m = LINE.match(line)
        if not m:
            continue
        when, _thread, msg = t(m.group(1)), m.group(2), m.group(3)
        if 'QEMU_MONITOR_RECV_EVENT' in msg and '"MIGRATION"' in msg:
            ev, qt = qemu_time(msg)
            status = ev.get('data', {}).get('status')
            if status == 'pre-switchover':
                cur = {'pre': qt, 'recv': when}
            elif cur is not None and status in ('device', 'completed', 'postcopy-active', 'failed'):
                cur['next'] = qt
                yield cur
                cur = None
            continue
        if cur is None:
            continue
        if 'woken' not in cur and 'Migration paused before switchover' in msg:
            cur['woken'] = when
        elif 'hook' not in cur and 'op=switchover subop=begin' in msg:
            cur['hook'] = when
        elif 'hook' in cur and 'started' not in cur and msg.startswith('virCommandRunAsync') and 'with PID' in msg:
            cur['started'] = when
        elif 'hook' in cur and 'result' not in cur and msg.startswith('virCommandRun:') and 'Result' in msg:
            cur['result'] = when
        elif 'continue' not in cur and 'QEMU_MONITOR_SEND_MSG' in msg and 'migrate-continue' in msg:
            cur['continue'] = when


def main(paths):
    steps = ('recv', 'woken', 'hook', 'started', 'result', 'continue', 'next')
    print('log                      ' + ' '.join(f'{s:>8}' for s in steps))
    for path in paths:
        for mig in migrations(path):
            cells = []
            for s in steps:
                cells.append(f'{(mig[s] - mig["pre"]) * 1000:8.1f}' if s in mig else f'{"-":>8}')
            print(f'{path[-24:]:24} ' + ' '.join(cells))


if __name__ == '__main__':
    if len(sys.argv) < 2:
        sys.exit(__doc__)
    main(sys.argv[1:])
