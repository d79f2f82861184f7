#!/bin/bash
# SPDX-License-Identifier: GPL-2.0-or-later
# The clients we must serve (design.md §2), against portgated in same-port
# mode over real WireGuard, each proven by traffic through the forward.
. "$(dirname "$0")/lib.sh"
. "$(dirname "$0")/lab.sh"
lab_up || exit 1
LAB_MODE=same-port LAB_PER_PEER=6 lab_policy </dev/null
lab_start || exit 1

# proton-port-sync: bind the wg address, internal 1, external 0, 60 s,
# UDP then TCP, renewing every few seconds.
proton() { pmp_from c1 10.66.0.2 map udp 1 0 60 -- map tcp 1 0 60; }
r=$(proton); echo "$r" | sed 's/^/     /'
u=$(field external "$(echo "$r" | sed -n 1p)"); t=$(field external "$(echo "$r" | sed -n 2p)")
check "proton-like: success for UDP and TCP" '[ "$(count_of result=0 "$r")" = 2 ]'
check "proton-like: one port for both protocols ($u, $t)" 'eq "$u" "$t"'
check "proton-like: internal port echoed as 1" '[ "$(count_of "internal=1 " "$r")" = 2 ]'
same=0; [ -n "$u" ] && same=1
for i in 1 2 3; do
	sleep 1	# the client's own pace: it renews every second
	r=$(proton)
	[ "$(field external "$(echo "$r" | sed -n 1p)")" = "$u" ] || same=0
	[ "$(field external "$(echo "$r" | sed -n 2p)")" = "$u" ] || same=0
done
check "proton-like: the port stays the same across renewals" '[ $same = 1 ]'
echo_servers c1 "$u" c1
check "same-port: TCP to $EXT:$u reaches c1 port $u" 'tcp_says ext $EXT "$u" c1'
check "same-port: UDP to $EXT:$u reaches c1 port $u" 'udp_says ext $EXT "$u" c1'

# gluetun (after its multi-port change): internal 0 / external 1 first, for
# UDP and TCP, gets X; then renews as internal X / external X, and treats
# any other answer (another port, another size) as fatal.
line() { sed -n "$1p" <<<"$2"; }
g=$(pmp c2 map udp 0 1 60 -- map tcp 0 1 60); echo "$g" | sed 's/^/     /'
x=$(field external "$(line 1 "$g")")
check "gluetun-like: first answers are 16 bytes" '[ "$(count_of "size=16 " "$g")" = 2 ]'
check "gluetun-like: one port X for UDP and TCP ($x)" 'eq "$(field external "$(line 2 "$g")")" "$x"'
g=$(pmp c2 map udp "$x" "$x" 60 -- map tcp "$x" "$x" 60); echo "$g" | sed 's/^/     /'
check "gluetun-like: renewals as internal X are answered 16 bytes" '[ "$(count_of "size=16 " "$g")" = 2 ]'
check "gluetun-like: ... with success" '[ "$(count_of "result=0 " "$g")" = 2 ]'
check "gluetun-like: ... with X again, UDP" 'eq "$(field external "$(line 1 "$g")")" "$x"'
check "gluetun-like: ... and TCP" 'eq "$(field external "$(line 2 "$g")")" "$x"'
check "gluetun-like: ... echoing internal X" '[ "$(count_of "internal=$x " "$g")" = 2 ]'
check "gluetun-like: one forward per protocol, not two" \
	'[ "$(map_elements gw | grep -c " 10.66.0.3 ")" = 2 ]'
pmp c2 map udp 0 0 0 -- map tcp 0 0 0 >/dev/null

# libtorrent and Bitcoin Core with pcp: false: PCP first; the 8-byte
# version answer at once, then NAT-PMP works (with PCP served, see
# test_e2e_pcp.sh).
LAB_PCP=false LAB_MODE=same-port LAB_PER_PEER=6 lab_policy </dev/null
n=$(grep -c "policy reloaded" "$DLOG")
kill -HUP "$DAEMON_PID"
pcp_off() { [ "$(grep -c "policy reloaded" "$DLOG")" -gt "$n" ]; }
check "pcp: false is in force" 'wait_until 3 pcp_off'
r=$(pmp c2 pcp); echo "     $r"
check "libtorrent-like: the PCP probe gets an 8-byte answer" '[ "$(field size "$r")" = 8 ]'
check "libtorrent-like: ... with result 1 (unsupported version)" '[ "$(field result "$r")" = 1 ]'
check "libtorrent-like: ... and opcode 129" '[ "$(field op "$r")" = 129 ]'
r=$(pmp c2 map tcp 6881 0 7200); echo "     $r"
check "libtorrent-like: NAT-PMP fallback succeeds" '[ "$(field result "$r")" = 0 ]'
LAB_MODE=same-port LAB_PER_PEER=6 lab_policy </dev/null
n=$(grep -c "policy reloaded" "$DLOG")
kill -HUP "$DAEMON_PID"
check "pcp: true again" 'wait_until 3 pcp_off'

# Transmission: internal = external = its listen port, 3600 s; the policy
# clamps that, and it renews at half the lifetime it was given.
LAB_MODE=same-port LAB_PER_PEER=6 LAB_LIFE_MAX=4 lab_policy </dev/null
kill -HUP "$DAEMON_PID"
wait_until 5 grep -q "policy reloaded" "$DLOG"
r=$(pmp c2 map tcp 25413 25413 3600); echo "     $r"
check "transmission-like: gets its listen port" '[ "$(field external "$r")" = 25413 ]'
check "transmission-like: 3600 s is clamped to the policy's 4 s" '[ "$(field lifetime "$r")" = 4 ]'
ok=1
for i in 1 2 3; do	# renew at half the lifetime it was given
	sleep 2	# the client's own pace: half the 4 s lifetime
	[ "$(field external "$(pmp c2 map tcp 25413 25413 3600)")" = 25413 ] || ok=0
done
check "transmission-like: renewals at half the lifetime keep the port" '[ $ok = 1 ]'
echo_servers c2 25413 c2
check "transmission-like: the forward carries traffic" 'tcp_says ext $EXT 25413 c2'
LAB_MODE=same-port LAB_PER_PEER=6 lab_policy </dev/null
kill -HUP "$DAEMON_PID"

# A client's listen port receives the traffic whatever port it is granted:
# Transmission listening on 31413, outside the range, announces the port it
# gets. Even in the retired same-port mode (which works as rfc now, and
# says so) traffic to that port arrives at 31413.
check "same-port is retired with a line in the log" 'grep -q "mapping.mode same-port is retired" "$DLOG"'
r=$(pmp c2 map tcp 31413 31413 3600); e=$(field external "$r")
check "a listen port outside the range gets a port inside it ($e)" 'in_range "$e" 20000 29999'
echo_servers c2 31413 c2
check "traffic to the granted port arrives at the listen port 31413" 'tcp_says ext $EXT "$e" c2'

# Two peers: neither can renew or delete the other's mapping.
a=$(pmp c1 map tcp 7000 27000 60); b=$(pmp c2 map tcp 7000 27000 60)
pa=$(field external "$a"); pb=$(field external "$b")
check "two peers asking for the same port: the first gets it" 'eq "$pa" 27000'
check "the second gets a port ($pb)" '[ "$(field result "$b")" = 0 ]'
check "... another one" 'ne "$pb" 27000'
pmp c2 map tcp 7000 0 0 >/dev/null
pmp c2 map tcp 0 0 0 >/dev/null
check "c2's deletes leave c1's mapping (27000 -> c1:7000)" 'map_elements gw | grep -q "^tcp 27000 10.66.0.2 7000$"'

# Quota (6 ports per peer here), reserved and out-of-range ports.
for p in 1 2 3 4 5 6; do pmp c2 map udp $((100 + p)) 0 60 >/dev/null; done
r=$(pmp c2 map udp 200 0 60)
check "quota: the seventh port is refused with result 4" '[ "$(field result "$r")" = 4 ]'
r=$(pmp c1 map udp 20022 20022 60)
check "a request suggesting a reserved port succeeds" '[ "$(field result "$r")" = 0 ]'
check "... with another port" 'ne "$(field external "$r")" 20022'
r=$(pmp c1 map udp 30000 30000 60)
e=$(field external "$r")
check "an out-of-range suggestion gets a port ($e)" '[ "$(field result "$r")" = 0 ]'
check "... inside the range" 'in_range "$e" 20000 29999'

# Malformed datagrams: every length with several headers gets the right
# answer or none; a flood does not stop the daemon serving others. Error
# answers count against a peer's rate like requests (and beyond it get
# none), so the sweep's thousands of answers need the limit off.
LAB_MODE=same-port LAB_PER_PEER=6 LAB_RATE=0 lab_policy </dev/null
n=$(grep -c "policy reloaded" "$DLOG")
kill -HUP "$DAEMON_PID"
reloaded() { [ "$(grep -c "policy reloaded" "$DLOG")" -gt "$n" ]; }
wait_until 3 reloaded
r=$(pmp c1 sweep pcp); echo "     $r"
check "every length 0..1100: right answer or silence (NAT-PMP and PCP)" 'grep -q "sweep ok" <<<"$r"'
LAB_PCP=false LAB_MODE=same-port LAB_PER_PEER=6 LAB_RATE=0 lab_policy </dev/null
n=$(grep -c "policy reloaded" "$DLOG")
kill -HUP "$DAEMON_PID"
wait_until 3 reloaded
r=$(pmp c1 sweep); echo "     $r"
check "with pcp: false, every length: NAT-PMP's answers or silence" 'grep -q "sweep ok" <<<"$r"'
in_ns c2 "$PMP" $GWIN flood 20000 >/dev/null
r=$(pmp c1 op0)
check "after a flood of junk the daemon still answers" '[ "$(field result "$r")" = 0 ]'
check "the daemon is still running" 'kill -0 "$DAEMON_PID"'
finish
