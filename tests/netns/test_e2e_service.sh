#!/bin/bash
# SPDX-License-Identifier: GPL-2.0-or-later
# portgated as the shipped unit runs it (contrib/systemd/portgated.service),
# without systemd: what it tells a service manager over $NOTIFY_SOCKET
# (READY=1 with the mapping count, RELOADING=1 + MONOTONIC_USEC then READY=1
# on SIGHUP, STOPPING=1), its log lines' priorities when stderr is the
# journal ($JOURNAL_STREAM), portgatectl finding the socket from the policy
# (-c), and control.group reaching the socket through a runtime directory
# made with the unit's RuntimeDirectoryMode.
. "$(dirname "$0")/lib.sh"
. "$(dirname "$0")/lab.sh"
CTL="$PWD/$BUILD/portgatectl"
UNIT="$PWD/contrib/systemd/portgated.service"
lab_up || exit 1

# A service manager's notify socket: one line per datagram, its lines
# joined by '|'.
NOTES="$TMPD/notify.log"
bg_ns gw python3 -c '
import socket, sys
s = socket.socket(socket.AF_UNIX, socket.SOCK_DGRAM)
s.bind(sys.argv[1])
s.settimeout(60)
with open(sys.argv[2], "a") as out:
    while True:
        try:
            d = s.recv(4096)
        except socket.timeout:
            break
        out.write(d.decode().replace("\n", "|") + "\n")
        out.flush()
' "$TMPD/notify.sock" "$NOTES"
notify_bound() { [ -S "$TMPD/notify.sock" ]; }
wait_until 30 notify_bound || { echo "no notify socket"; exit 1; }
: >"$NOTES"
note_count() { grep -c -- "$1" "$NOTES"; }
notes_reach() { [ "$(note_count "$1")" -ge "$2" ]; }
last_note() { tail -n 1 "$NOTES"; }

# stderr a file that $JOURNAL_STREAM names, as systemd's journal stream is.
JLOG="$TMPD/journal.log"
: >"$JLOG"
ip netns exec "$(ns gw)" env NOTIFY_SOCKET="$TMPD/notify.sock" \
	JOURNAL_STREAM="$(stat -c '%d:%i' "$JLOG")" "$PGD" -c "$CONF" 2>"$JLOG" &
DAEMON_PID=$!; BG_PIDS="$BG_PIDS $DAEMON_PID"
check "READY=1 once it serves" 'wait_until 10 notes_reach "^READY=1" 1'
check "(and it does serve)" 'daemon_listening'
check "STATUS names the interface and 0 mappings" \
	'grep -q "^READY=1|STATUS=serving $WG_GW: 0 mappings" "$NOTES"'
check "log lines carry the priority when stderr is the journal" \
	'grep -q "^<6>portgated .* running" "$JLOG"'
check "(no line without one)" '! grep -qv "^<[0-7]>" "$JLOG"'

pmp c1 map tcp 8080 0 600 >/dev/null
kill -HUP "$DAEMON_PID"
check "SIGHUP: RELOADING=1 with MONOTONIC_USEC" \
	'wait_until 10 notes_reach "^RELOADING=1|MONOTONIC_USEC=[0-9][0-9]*$" 1'
check "then READY=1 again, with the new count" \
	'wait_until 10 notes_reach "^READY=1|STATUS=serving $WG_GW: 1 mappings (0 udp, 1 tcp)" 1'
check "RELOADING=1 came before the second READY=1" \
	'[ "$(grep -n . "$NOTES" | sed -n "2p")" = "$(grep -n "^RELOADING=1" "$NOTES")" ]'
check "portgatectl -c POLICY finds the socket the policy names" \
	'in_ns gw "$CTL" -c "$CONF" status | grep -q "mappings: *0 udp, 1 tcp"'
kill -TERM "$DAEMON_PID"
check "STOPPING=1 on SIGTERM" 'wait_until 10 notes_reach "^STOPPING=1$" 1'
check "(and then it exits)" 'wait_until 10 gone "$DAEMON_PID"'
DAEMON_PID=""

# control.group as the shipped unit runs it: User=portgate, Group=portgate
# (here nobody and nogroup), the control group added to the daemon's groups
# (SupplementaryGroups=, here adm: chown needs the daemon in the group), and
# /run/portgate made by systemd with the unit's RuntimeDirectoryMode.
mode=$(sed -n 's/^RuntimeDirectoryMode=//p' "$UNIT")
check "the unit sets a RuntimeDirectoryMode ($mode)" '[ -n "$mode" ]'
chmod 755 "$TMPD"
install -d -m "$mode" -o nobody -g nogroup "$TMPD/run"
bg_ns gw socat UNIX-LISTEN:"$TMPD/uapi.sock",fork,user=nobody,mode=600 \
	UNIX-CONNECT:"/var/run/wireguard/$WG_GW.sock"
sed -e "s|socket: $TMPD/control.sock|socket: $TMPD/run/control.sock|" "$CONF" >"$TMPD/group.yaml"
printf '  group: adm\nuapi_socket: %s\n' "$TMPD/uapi.sock" >>"$TMPD/group.yaml"
chmod 644 "$TMPD/group.yaml"
ip netns exec "$(ns gw)" setpriv --reuid=nobody --regid=nogroup --groups=adm \
	--inh-caps=-all,+net_admin --ambient-caps=-all,+net_admin --bounding-set=-all,+net_admin \
	"$PGD" -e -c "$TMPD/group.yaml" >>"$DLOG" 2>&1 &
DAEMON_PID=$!; BG_PIDS="$BG_PIDS $DAEMON_PID"
check "portgated starts as nobody with control.group adm" 'wait_until 5 daemon_listening'
as_admin() { ip netns exec "$(ns gw)" setpriv --reuid=daemon --regid=daemon --groups=adm "$@"; }
check "a member of control.group (not of the daemon's group) asks through -c" \
	'as_admin "$CTL" -c "$TMPD/group.yaml" status | grep -q "mappings:"'
as_other() { ip netns exec "$(ns gw)" setpriv --reuid=daemon --regid=daemon --clear-groups "$@"; }
as_other "$CTL" -c "$TMPD/group.yaml" status >/dev/null 2>&1; rc=$?
check "a user outside control.group is refused (exit 1: $rc)" '[ "$rc" = 1 ]'
lab_stop TERM
finish
