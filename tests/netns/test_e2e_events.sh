#!/bin/bash
# SPDX-License-Identifier: GPL-2.0-or-later
# events.exec with a real program: it reads one JSON line per event for a
# static forward, a NAT-PMP mapping, its delete, an expiry and a peer's
# removal; a program
# that hangs is killed at events.timeout and counted, and NAT-PMP is
# answered meanwhile.
. "$(dirname "$0")/lib.sh"
. "$(dirname "$0")/lab.sh"
lab_up || exit 1
EV="$TMPD/events"
mkdir -m 0777 "$EV"
cat >"$TMPD/record" <<SH
#!/bin/sh
cat >>"$EV/out"
echo run >>"$EV/runs"
SH
cat >"$TMPD/hang" <<SH
#!/bin/sh
cat >/dev/null
echo hanging >>"$EV/hung"
sleep 600
SH
chmod 0755 "$TMPD/record" "$TMPD/hang"
events_policy() {	# PROGRAM
	lab_policy <<YAML
events: { exec: $1, timeout: 2 }
metrics: { listen: 127.0.0.1:9834 }
peers:
  "$C1_KEY": { name: alice, forwards: [ { protocol: tcp, external: 2222, internal: 22 } ] }
YAML
}
events_policy "$TMPD/record"
lab_start || exit 1

# event_line EVENT PROTO PORT: the program's line for it, once it came.
event_line() { grep "\"event\":\"$1\"" "$EV/out" 2>/dev/null | grep "\"protocol\":\"$2\"" |
		grep "\"external_port\":$3," | tail -n 1; }
has_event() { [ -n "$(event_line "$@")" ]; }
natpmpc_c() { local n=$1; shift; in_ns "$n" timeout 10 natpmpc -g $GWIN "$@" 2>&1; }
mapped_port() { sed -n "s/.*Mapped public port \([0-9]*\) protocol $1 to local port.*/\1/p"; }
metric() { in_ns gw curl -s http://127.0.0.1:9834/metrics | sed -n "s/^$1 //p"; }

check "the policy's static forward installed is an event" \
	'wait_until 5 has_event static_installed tcp 2222'
port=$(natpmpc_c c1 -a 0 8080 tcp 60 | mapped_port TCP)
check "natpmpc gets a TCP mapping" '[ -n "$port" ]'
check "the program hears of it" 'wait_until 5 has_event created tcp "$port"'
line=$(event_line created tcp "$port")
echo "     $line"
check "with the peer's key" 'grep -qF "\"peer\":\"$C1_KEY\"" <<<"$line"'
check "its name" 'grep -q "\"peer_name\":\"alice\"" <<<"$line"'
check "the external address" 'grep -q "\"external_address\":\"$EXT\"" <<<"$line"'
check "the internal address and port" \
	'grep -q "\"internal_address\":\"10.66.0.2\",\"internal_port\":8080" <<<"$line"'
check "and the time" 'grep -Eq "\"time\":\"[0-9]{4}-[0-9]{2}-[0-9]{2}T[0-9:]{8}Z\"" <<<"$line"'

natpmpc_c c1 -a 0 8080 tcp 0 >/dev/null
check "a delete is an event" 'wait_until 5 has_event deleted tcp "$port"'
check "said by the client" 'grep -q "\"reason\":\"client\"" <<<"$(event_line deleted tcp "$port")"'

uport=$(natpmpc_c c1 -a 0 9000 udp 2 | mapped_port UDP)
check "a mapping for 2 s" '[ -n "$uport" ]'
check "expires, and the program hears of it" 'wait_until 8 has_event expired udp "$uport"'

cport=$(natpmpc_c c2 -a 0 7000 tcp 60 | mapped_port TCP)
check "c2 gets a mapping" 'wait_until 5 has_event created tcp "$cport"'
in_ns gw wg set "$WG_GW" peer "$C2_KEY" remove
check "c2 removed from the interface: its mapping is dropped" \
	'wait_until 8 has_event dropped tcp "$cport"'
check "because the peer went" \
	'grep -q "\"reason\":\"peer_gone\"" <<<"$(event_line dropped tcp "$cport")"'
check "no run failed" 'eq "$(metric portgate_event_failures_total)" 0'
check "every run is counted" 'eq "$(metric portgate_event_runs_total)" "$(grep -c run "$EV/runs")"'
check "every event is counted" 'eq "$(metric portgate_events_sent_total)" "$(grep -c . "$EV/out")"'

# A program that hangs: killed at its timeout, counted; NAT-PMP goes on.
events_policy "$TMPD/hang"
kill -HUP "$DAEMON_PID"
reloaded() { [ "$(grep -c "policy reloaded" "$DLOG")" -ge 1 ]; }
check "the policy is reloaded" 'wait_until 5 reloaded'
hport=$(natpmpc_c c1 -a 0 8081 tcp 60 | mapped_port TCP)
check "a mapping for the hanging program" '[ -n "$hport" ]'
hanging() { [ -s "$EV/hung" ]; }
check "the program runs and hangs" 'wait_until 5 hanging'
answered_now() { [ -n "$(natpmpc_c c1 -a 0 8082 tcp 60 | mapped_port TCP)" ]; }
check "NAT-PMP is answered while it hangs" 'answered_now'
timed_out() { eq "$(metric portgate_event_timeouts_total)" 1; }
check "it is killed at its timeout and counted" 'wait_until 8 timed_out'
check "the log says so" 'grep -q "events: $TMPD/hang still running after 2 s: killed" "$DLOG"'
hung_pids() { pgrep -f "$TMPD/hang"; }
no_hung() { [ -z "$(hung_pids)" ]; }
check "its process group is gone (sleep included)" 'wait_until 5 no_hung'
finish
