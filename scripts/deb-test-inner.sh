#!/bin/bash
# Runs INSIDE the trixie test root made by scripts/deb-test.sh (as PID 1's
# child under tini, in namespaces of its own, loopback only): Debian's
# packages are installed, a guest runs on Debian's daemons, our packages are
# installed over them, the daemons restart, and the checks run.
# Usage: deb-test-inner.sh PKG_VERSION DEBIAN_VERSION   (debs in /debs, guest in /guest)
# Prints PASS:/FAIL: lines and ends with "N passed, N failed".
set -uo pipefail
pkg_version=$1 debian_version=$2
export LANG=C.UTF-8 PATH=/usr/sbin:/usr/bin:/sbin:/bin

passed=0 failed=0
ok() { passed=$((passed + 1)); echo "PASS: $*"; }
ko() { failed=$((failed + 1)); echo "FAIL: $*"; }
check() { # check DESCRIPTION COMMAND...
    local d=$1
    shift
    if "$@"; then ok "$d"; else ko "$d"; fi
}
finish() {
    stop_daemons
    stop_pid "${VIRTLOGD_PID:-}"
    echo "$passed passed, $failed failed"
    exit 0
}
wait_for() { # wait_for SECONDS COMMAND...
    local end=$((SECONDS + $1))
    shift
    until "$@" >/dev/null 2>&1; do
        [ "$SECONDS" -lt "$end" ] || return 1
        sleep 0.2
    done
}
V() { virsh -c qemu:///system "$@"; }

logs=/var/log/deb-test
mkdir -p "$logs"

# As Debian 13 runs them: the monolithic libvirtd, and virtlogd for QEMU's
# logs. In the background rather than --daemon, to keep their stderr and PIDs;
# tini (PID 1) reaps what they leave behind.
start_virtlogd() {
    virtlogd >>"$logs/virtlogd.out" 2>&1 &
    VIRTLOGD_PID=$!
}
# What systemd's reload of virtlogd.service does on an upgrade: re-exec,
# keeping QEMU's log pipes.
reexec_virtlogd() { kill -USR1 "$VIRTLOGD_PID"; sleep 1; }
start_daemons() { # start_daemons TAG: libvirtd, its output in libvirtd-TAG.out
    libvirtd --pid-file=/run/libvirtd.pid >>"$logs/libvirtd-$1.out" 2>&1 &
    LIBVIRTD_PID=$!
    wait_for 90 up_or_dead "$LIBVIRTD_PID" && alive "$LIBVIRTD_PID"
}
alive() { [ -r "/proc/$1/stat" ] && ! grep -q '^[0-9]* (.*) Z' "/proc/$1/stat"; }
up_or_dead() { V version || ! alive "$1"; }
stop_pid() { # SIGTERM, wait (up to 90 s, then SIGKILL)
    local pid=$1 guard
    [ -n "$pid" ] || return 0
    kill "$pid" 2>/dev/null || return 0
    (sleep 90; kill -9 "$pid" 2>/dev/null) &
    guard=$!
    wait "$pid" 2>/dev/null
    kill "$guard" 2>/dev/null
    wait "$guard" 2>/dev/null
    return 0
}
stop_daemons() { stop_pid "${LIBVIRTD_PID:-}"; LIBVIRTD_PID=; }
qemu_pid() { cat "/run/libvirt/qemu/$1.pid" 2>/dev/null; }
ticks() { grep -c '^tick' "/var/log/libvirt/qemu/serial-$1.log" 2>/dev/null || echo 0; }
ticking_beyond() { [ "$(ticks "$1")" -gt "$2" ]; }

guest_xml() {
    cat <<EOF
<domain type='qemu'>
  <name>$1</name>
  <memory unit='MiB'>128</memory>
  <vcpu>1</vcpu>
  <os>
    <type arch='x86_64' machine='pc'>hvm</type>
    <kernel>/guest/vmlinuz</kernel>
    <initrd>/guest/initrd.cpio</initrd>
    <cmdline>console=ttyS0 loglevel=1 panic=-1 tick_ms=50 dirty_mib=8</cmdline>
  </os>
  <features><acpi/></features>
  <clock offset='utc'/>
  <devices>
    <serial type='file'>
      <source path='/var/log/libvirt/qemu/serial-$1.log'/>
      <target port='0'/>
    </serial>
    <controller type='usb' model='none'/>
    <memballoon model='none'/>
  </devices>
</domain>
EOF
}

pkgs_version() { # the libvirt packages installed, "name version" a line
    dpkg-query -W -f='${db:Status-Abbrev} ${Package} ${Version}\n' 'libvirt*' |
        awk '$1 == "ii" {print $2, $3}'
}

# 1. Debian's own packages, a guest running on them.
echo "== Debian's packages"
pkgs_version | tee "$logs/debian-versions.txt"
check "Debian's libvirt-daemon-driver-qemu is $debian_version" \
    test "$(dpkg-query -W -f='${Version}' libvirt-daemon-driver-qemu)" = "$debian_version"
qemu-system-x86_64 --version | head -n1
check "trixie's QEMU is 10.0" sh -c 'qemu-system-x86_64 --version | grep -q "version 10\.0\."'
start_virtlogd
if ! start_daemons debian; then
    ko "Debian's libvirtd starts (see $logs/libvirtd-debian.out)"
    tail -n 20 "$logs/libvirtd-debian.out"
    finish
fi
ok "Debian's libvirtd starts and answers"
V version | sed 's/^/  /'
guest_xml g1 >/tmp/g1.xml
if V create /tmp/g1.xml >/dev/null && wait_for 60 ticking_beyond g1 3; then
    ok "guest g1 runs on Debian's daemons (TCG, QEMU 10.0)"
else
    ko "guest g1 runs on Debian's daemons"
    tail -n 20 /var/log/libvirt/qemu/g1.log 2>/dev/null
    finish
fi
pid_before=$(qemu_pid g1)

# 2. The upgrade: our packages over Debian's, only those installed (as an
# admin's `apt install ./*.deb` of the same set would do), then the daemon
# restarted (what the packages' maintainer scripts have systemd do; no init
# here, so policy-rc.d forbids it and we do it by hand).
echo "== upgrade to $pkg_version"
printf '#!/bin/sh\nexit 101\n' >/usr/sbin/policy-rc.d
chmod +x /usr/sbin/policy-rc.d
debs=()
while read -r name _; do
    for f in /debs/"${name}"_*.deb; do
        [ -f "$f" ] && debs+=("$f")
    done
done < <(pkgs_version)
echo "installing ${#debs[@]} packages"
if DEBIAN_FRONTEND=noninteractive dpkg -i "${debs[@]}" >"$logs/upgrade.log" 2>&1; then
    ok "dpkg -i of our ${#debs[@]} packages over Debian's"
else
    ko "dpkg -i of our packages (see $logs/upgrade.log)"
    tail -n 30 "$logs/upgrade.log"
fi
check "dpkg --audit is clean" test -z "$(dpkg --audit)"
pkgs_version | tee "$logs/our-versions.txt"
check "every installed libvirt package is $pkg_version" \
    sh -c "! awk '\$2 != \"$pkg_version\"' $logs/our-versions.txt | grep -q ."
rm -f /usr/sbin/policy-rc.d

reexec_virtlogd
stop_daemons
if start_daemons ours; then
    ok "our libvirtd starts and answers"
else
    ko "our libvirtd starts (see $logs/libvirtd-ours.out)"
    tail -n 20 "$logs/libvirtd-ours.out"
    finish
fi
V version | sed 's/^/  /'
check "the guest survived the upgrade and the restart (same QEMU pid $pid_before, running)" \
    sh -c "[ \"\$(cat /run/libvirt/qemu/g1.pid)\" = '$pid_before' ] && virsh -c qemu:///system domstate g1 | grep -qx running"
n=$(ticks g1)
check "the guest still ticks after the restart" wait_for 60 ticking_beyond g1 "$n"

# 3. The new option in the installed configuration.
echo "== /etc/libvirt/qemu.conf"
grep -n -B2 -A1 'switchover_hook_timeout = ' /etc/libvirt/qemu.conf
check "qemu.conf has '#switchover_hook_timeout = 30', commented" \
    grep -qx '#switchover_hook_timeout = 30' /etc/libvirt/qemu.conf
check "qemu.conf: every option is commented, as Debian ships it" \
    sh -c "! grep -v '^#' /etc/libvirt/qemu.conf | grep -q '[^[:space:]]'"
sum=$(dpkg-query -W -f='${Conffiles}\n' libvirt-daemon-driver-qemu | awk '$1 == "/etc/libvirt/qemu.conf" {print $2}')
check "qemu.conf is the new package's conffile, as dpkg installed it (md5 $sum)" \
    sh -c "[ -n '$sum' ] && echo '$sum  /etc/libvirt/qemu.conf' | md5sum --check --status"
check "the packaged lens is installed" test -f /usr/share/augeas/lenses/libvirtd_qemu.aug
if [ -f /usr/share/augeas/lenses/tests/test_libvirtd_qemu.aug ]; then
    check "augparse: the packaged lens passes its packaged test (with switchover_hook_timeout)" \
        sh -c 'grep -q switchover_hook_timeout /usr/share/augeas/lenses/tests/test_libvirtd_qemu.aug &&
               augparse /usr/share/augeas/lenses/tests/test_libvirtd_qemu.aug'
fi
rm -rf /tmp/aug && mkdir -p /tmp/aug/etc/libvirt
sed 's/^#switchover_hook_timeout = 30$/switchover_hook_timeout = 45/' /etc/libvirt/qemu.conf >/tmp/aug/etc/libvirt/qemu.conf
got=$(augtool -r /tmp/aug get /files/etc/libvirt/qemu.conf/switchover_hook_timeout 2>&1)
errs=$(augtool -r /tmp/aug match '/augeas//error' 2>&1)
echo "  augtool: $got"
check "augtool reads switchover_hook_timeout with the packaged lens (uncommented: 45)" \
    test "$got" = "/files/etc/libvirt/qemu.conf/switchover_hook_timeout = 45"
check "augtool: no parse error in qemu.conf" sh -c "[ -z '$errs' ] || [ '$errs' = '  (no matches)' ]"
got=$(augtool -r / match /files/etc/libvirt/qemu.conf/switchover_hook_timeout 2>&1)
check "augtool: commented in the installed file, so not set ($got)" \
    test "$got" = "  (no matches)"

# 4. The daemon takes the option, and refuses 0, with the message of the series.
echo "== the daemon and switchover_hook_timeout"
cp /etc/libvirt/qemu.conf /tmp/qemu.conf.orig
stop_daemons
echo 'switchover_hook_timeout = 0' >>/etc/libvirt/qemu.conf
start_daemons zero >/dev/null 2>&1 || true
check "switchover_hook_timeout = 0 is refused" \
    grep -q 'switchover_hook_timeout: must be between 1 and' "$logs/libvirtd-zero.out"
stop_daemons
cp /tmp/qemu.conf.orig /etc/libvirt/qemu.conf
echo 'switchover_hook_timeout = 5' >>/etc/libvirt/qemu.conf
check "switchover_hook_timeout = 5 is taken (the daemon starts)" start_daemons five
check "the guest is still there" sh -c "virsh -c qemu:///system domstate g1 | grep -qx running"

# 5. A hook in /etc/libvirt/hooks/qemu.d/, found after a reload (SIGHUP).
echo "== hooks/qemu.d"
mkdir -p /etc/libvirt/hooks/qemu.d
cat >/etc/libvirt/hooks/qemu.d/50-log <<'EOF'
#!/bin/sh
cat >/dev/null
echo "$*" >>/var/log/deb-test/hook.log
EOF
chmod +x /etc/libvirt/hooks/qemu.d/50-log
kill -HUP "$LIBVIRTD_PID"
sleep 2
guest_xml g2 >/tmp/g2.xml
V create /tmp/g2.xml >/dev/null && wait_for 60 ticking_beyond g2 3
check "the qemu.d hook ran for g2's start (g2 prepare begin -)" grep -q '^g2 prepare begin -' "$logs/hook.log"
V destroy g2 >/dev/null 2>&1
check "the qemu.d hook ran for g2's release (g2 release end)" wait_for 10 grep -q '^g2 release end' "$logs/hook.log"

# 5b. Migrations between two packaged daemons: hosta is this root's libvirtd;
# hostb a second one in its own mount and UTS namespaces with its own
# /etc/libvirt, /var/lib/libvirt, /var/cache/libvirt, /var/log/libvirt and
# /run/libvirt, listening on TCP on loopback (the lab's layout, inside the
# trixie root). Migrations: virsh migrate --live --p2p over loopback.
echo "== migrations between two packaged daemons (hosta -> hostb)"
B=qemu+tcp://127.0.0.1:16510/system
HB=/srv/hostb
VB() { virsh -c "$B" "$@"; }
start_hostb() {
    rm -rf "$HB" && mkdir -p "$HB/run" "$HB/log/qemu"
    cp -a /etc/libvirt "$HB/etc"
    rm -rf "$HB/etc/hooks"
    cp -a /var/lib/libvirt "$HB/lib"
    mkdir -p /var/cache/libvirt && cp -a /var/cache/libvirt "$HB/cache"
    printf '%s\n' 'listen_tls = 0' 'listen_tcp = 1' 'listen_addr = "127.0.0.1"' \
        'tcp_port = "16510"' 'auth_tcp = "none"' \
        'host_uuid = "6e3b9d4a-0b1c-4c55-9a33-2f0a5b0c0b02"' >>"$HB/etc/libvirtd.conf"
    printf '%s\n' 'migration_port_min = 49216' 'migration_port_max = 49279' >>"$HB/etc/qemu.conf"
    unshare --mount --uts --propagation private /bin/sh -c '
        set -e
        hb=$1 logs=$2
        hostname hostb.test
        mount --bind "$hb/etc" /etc/libvirt
        mount --bind "$hb/lib" /var/lib/libvirt
        mount --bind "$hb/cache" /var/cache/libvirt
        mount --bind "$hb/log" /var/log/libvirt
        mount --bind "$hb/run" /run/libvirt
        virtlogd --pid-file=/run/libvirt/virtlogd.pid >>"$logs/virtlogd-hostb.out" 2>&1 &
        exec libvirtd --listen --pid-file=/run/libvirt/libvirtd.pid >>"$logs/libvirtd-hostb.out" 2>&1
    ' hostb "$HB" "$logs" &
    HOSTB_PID=$!
    wait_for 60 VB version
}
# migrate NAME [virsh args]: hosta -> hostb; sets MIG_RC and MIG_OUT.
migrate() {
    local name=$1
    shift
    MIG_RC=0
    MIG_OUT=$(V migrate --live --p2p "$@" "$name" "$B" --migrateuri tcp://127.0.0.1 2>&1) || MIG_RC=$?
    echo "  migrate $name $*: exit $MIG_RC $MIG_OUT"
}
calls() { # the switchover calls the hook saw for NAME, in order
    awk -v n="$1" '$1 == n {printf "%s%s", sep, $2; sep = " "}' "$logs/switchover.log" 2>/dev/null
}
ticks_b() { grep -c '^tick' "$HB/log/qemu/serial-$1.log" 2>/dev/null || echo 0; }
ticking_b_beyond() { [ "$(ticks_b "$1")" -gt "$2" ]; }
running_on_a() { [ "$(V domstate "$1" 2>&1 | sed '/^$/d')" = running ]; }
running_on_b() { [ "$(VB domstate "$1" 2>&1 | sed '/^$/d')" = running ]; }
gone_from_a() { ! V domstate "$1" >/dev/null 2>&1; }
arrived() { # NAME runs on hostb, ticks there, and is gone from hosta
    if [ "$MIG_RC" != 0 ]; then echo "  $1: virsh migrate failed"; return 1; fi
    local first t0=$SECONDS
    first=$(VB domstate --reason "$1" 2>&1 | sed '/^$/d')
    if [ "${first%% *}" != running ]; then
        # Seen now and then right after virsh migrate returned (see
        # work/deb/deb-test.log): note it, and give it 10 s.
        echo "  NOTE: $1 on hostb right after the migration: '$first'"
        if ! wait_for 10 running_on_b "$1"; then
            echo "  $1: not running on hostb ($(VB domstate "$1" 2>&1))"; return 1
        fi
        echo "  NOTE: $1 running on hostb after $((SECONDS - t0)) s more"
    fi
    if ! wait_for 30 gone_from_a "$1"; then
        echo "  $1: still on hosta after 30 s ($(V domstate "$1" 2>&1))"; return 1
    fi
    if ! wait_for 60 ticking_b_beyond "$1" "$(ticks_b "$1")"; then
        echo "  $1: does not tick on hostb (serial: $(ticks_b "$1") ticks)"; return 1
    fi
}
stays() { # NAME runs on hosta, ticks there, and is not on hostb
    local state t0=$SECONDS
    state=$(V domstate --reason "$1" 2>&1 | sed '/^$/d')
    if [ "$state" != "running (migration canceled)" ] && [ "${state%% *}" != running ]; then
        # Seen now and then right after virsh migrate failed: note it, and
        # give it 10 s.
        echo "  NOTE: $1 on hosta right after the failed migration: '$state'"
        if ! wait_for 10 running_on_a "$1"; then
            echo "  $1 on hosta: '$(V domstate --reason "$1" 2>&1 | sed '/^$/d')'"; return 1
        fi
        echo "  NOTE: $1 running on hosta after $((SECONDS - t0)) s more"
    fi
    if VB domstate "$1" >/dev/null 2>&1; then
        echo "  $1 is on hostb: '$(VB domstate "$1" 2>&1 | sed '/^$/d')'"; return 1
    fi
    if ! wait_for 60 ticking_beyond "$1" "$(ticks "$1")"; then
        echo "  $1 does not tick on hosta (serial: $(ticks "$1") ticks)"; return 1
    fi
}
boot() { guest_xml "$1" >"/tmp/$1.xml" && V create "/tmp/$1.xml" >/dev/null && wait_for 60 ticking_beyond "$1" 3; }
reload_a() { kill -HUP "$LIBVIRTD_PID"; sleep 2; }
moving() { V domjobinfo "$1" 2>/dev/null | awk '/^Memory processed:/ {found = ($3 > 0)} END {exit !found}'; }

hostname hosta.test
stop_daemons
start_daemons mig || ko "hosta restarts (as hosta.test)"
if ! start_hostb; then
    ko "hostb (a second packaged libvirtd) starts (see $logs/libvirtd-hostb.out)"
    tail -n 20 "$logs/libvirtd-hostb.out"
else
    ok "hostb (a second packaged libvirtd, its own etc, var and run) starts"
    VB version | sed 's/^/  hostb: /'
    rm -f /etc/libvirt/hooks/qemu.d/50-log
    reload_a

    # No hook at all: an ordinary live migration.
    if boot m-nohook; then
        migrate m-nohook
        check "no hook: m-nohook migrates, runs and ticks on hostb" arrived m-nohook
        VB destroy m-nohook >/dev/null 2>&1
    else
        ko "m-nohook boots"
    fi

    # The switchover hook: arms every migration, logs each call, fails
    # 'begin' while $logs/fail-begin exists.
    cat >/etc/libvirt/hooks/qemu.d/60-switchover <<'HOOK'
#!/bin/sh
vm=$1 op=$2 sub=$3 dst=$4
cat >/dev/null
[ "$op" = switchover ] || exit 0
echo "$vm $sub $dst" >>/var/log/deb-test/switchover.log
case $sub in
    prepare) echo enable ;;
    begin)
        if [ -e /var/log/deb-test/fail-begin ]; then
            echo "refused on purpose by the test hook" >&2
            exit 1
        fi ;;
esac
exit 0
HOOK
    chmod +x /etc/libvirt/hooks/qemu.d/60-switchover
    reload_a

    # Armed pre-copy.
    if boot m-armed; then
        migrate m-armed
        check "armed pre-copy: m-armed migrates, runs and ticks on hostb" arrived m-armed
        check "armed pre-copy: the hook's calls are 'prepare begin end' (got '$(calls m-armed)')" \
            test "$(calls m-armed)" = "prepare begin end"
        check "armed pre-copy: begin names the destination hostb.test" \
            grep -q '^m-armed begin hostb.test' "$logs/switchover.log"
        VB destroy m-armed >/dev/null 2>&1
    else
        ko "m-armed boots"
    fi

    # 'begin' fails: the migration fails with the hook's message, 'abort'
    # is called, the guest goes on on hosta, nothing is left on hostb.
    if boot m-fail; then
        touch "$logs/fail-begin"
        migrate m-fail
        rm -f "$logs/fail-begin"
        check "begin fails: virsh migrate fails with the hook's message" \
            sh -c '[ "$1" != 0 ] && echo "$2" | grep -q "refused on purpose by the test hook"' _ "$MIG_RC" "$MIG_OUT"
        check "begin fails: the hook's calls are 'prepare begin abort' (got '$(calls m-fail)')" \
            test "$(calls m-fail)" = "prepare begin abort"
        check "begin fails: m-fail goes on on hosta, nothing on hostb" stays m-fail
        V destroy m-fail >/dev/null 2>&1
    else
        ko "m-fail boots"
    fi

    # Armed post-copy (virsh migrate-postcopy once memory moves).
    if boot m-post; then
        MIG_RC=0
        V migrate --live --p2p --postcopy --bandwidth 40 m-post "$B" --migrateuri tcp://127.0.0.1 >/tmp/m-post.out 2>&1 &
        mpid=$!
        if wait_for 30 moving m-post; then
            V migrate-postcopy m-post >/dev/null 2>&1 || echo "  migrate-postcopy failed"
        fi
        wait "$mpid" || MIG_RC=$?
        echo "  migrate m-post --postcopy: exit $MIG_RC $(cat /tmp/m-post.out)"
        check "armed post-copy: m-post migrates, runs and ticks on hostb" arrived m-post
        check "armed post-copy: the hook's calls are 'prepare begin end' (got '$(calls m-post)')" \
            test "$(calls m-post)" = "prepare begin end"
        VB domjobinfo --completed m-post 2>/dev/null | grep -iE '^(Postcopy|Downtime)' | sed 's/^/  hostb: /'
        VB destroy m-post >/dev/null 2>&1
    else
        ko "m-post boots"
    fi
    rm -f /etc/libvirt/hooks/qemu.d/60-switchover
    reload_a
    stop_pid "$HOSTB_PID"
    pkill_hostb_qemu=$(pgrep -f 'guest=m-' || true)
    [ -z "$pkill_hostb_qemu" ] || kill $pkill_hostb_qemu 2>/dev/null
fi

# 6. Back to Debian's packages (kept from the root's creation), as the
# README tells admins: the same set, downgraded; a qemu.conf the admin
# changed (here: switchover_hook_timeout = 5) is kept.
echo "== back to Debian's $debian_version"
if ! ls /root/debian-debs/*.deb >/dev/null 2>&1; then
    ko "no Debian packages kept in /root/debian-debs"
    finish
fi
back=()
while read -r name _; do
    for f in /root/debian-debs/"${name}"_*.deb; do
        [ -f "$f" ] && back+=("$f")
    done
done < <(pkgs_version)
printf '#!/bin/sh\nexit 101\n' >/usr/sbin/policy-rc.d
chmod +x /usr/sbin/policy-rc.d
if dpkg -i --force-confold "${back[@]}" >"$logs/downgrade.log" 2>&1 && reexec_virtlogd; then
    ok "dpkg -i of Debian's ${#back[@]} packages over ours"
else
    ko "dpkg -i of Debian's packages (see $logs/downgrade.log)"
    tail -n 30 "$logs/downgrade.log"
fi
rm -f /usr/sbin/policy-rc.d
pkgs_version >"$logs/back-versions.txt"
check "every installed libvirt package is $debian_version again" \
    sh -c "! awk '\$2 != \"$debian_version\"' $logs/back-versions.txt | grep -q ."
check "the admin's qemu.conf is kept (switchover_hook_timeout = 5)" \
    grep -qx 'switchover_hook_timeout = 5' /etc/libvirt/qemu.conf
stop_daemons
check "Debian's libvirtd starts with switchover_hook_timeout set (an unknown key to it)" start_daemons back
check "the guest survived the way back (same QEMU pid $pid_before, running)" \
    sh -c "[ \"\$(cat /run/libvirt/qemu/g1.pid)\" = '$pid_before' ] && virsh -c qemu:///system domstate g1 | grep -qx running"
V destroy g1 >/dev/null 2>&1
finish
