#!/bin/bash
# SPDX-License-Identifier: GPL-2.0-or-later
# Peers vanishing, rate limits, policy reloads and restarts of portgated.
. "$(dirname "$0")/lib.sh"
. "$(dirname "$0")/lab.sh"
lab_up || exit 1
LAB_RATE=5 lab_policy </dev/null
lab_start || exit 1

# --- a peer vanishes: its mappings and their conntrack entries go ---------
p1=$(field external "$(pmp c1 map tcp 8080 0 600)")
p2=$(field external "$(pmp c2 map tcp 8080 0 600)")
echo_servers c1 8080 c1
echo_servers c2 8080 c2
check "both peers' forwards carry traffic" 'tcp_says ext $EXT "$p1" c1'
check "(c2 too)" 'tcp_says ext $EXT "$p2" c2'
conn_open ext $EXT "$p1"
check "an established connection to c1 passes data" 'line_through c1 one'
ct_entries() { in_ns gw conntrack -L -p tcp --orig-port-dst "$p1" 2>/dev/null | grep -c .; }
check "it has a conntrack entry" '[ "$(ct_entries)" -ge 1 ]'
start=$(date +%s%N)
in_ns gw wg set "$WG_GW" peer "$C1_KEY" remove
check "c1 removed: its mapping leaves the kernel within poll_interval + 1 s" 'wait_until 2 map_lacks gw tcp "$p1"'
echo "     (gone after $(( ($(date +%s%N) - start) / 1000000 )) ms)"
ct_gone() { [ "$(ct_entries)" = 0 ]; }
start=$(date +%s%N)
check "and its conntrack entries are gone within 1 s" 'wait_until 1 ct_gone'
echo "     (conntrack entries gone $(( ($(date +%s%N) - start) / 1000000 )) ms after the map element; the daemon cuts them 20 ms after the drop)"
check_not "and the established connection stops" 'line_through c1 two'
check "c2 is untouched" 'tcp_says ext $EXT "$p2" c2'
check "the removal was logged with its reason" 'grep -q "wg: peer .* is gone" "$DLOG"'
kill "${CONN_PID:-}" 2>/dev/null
r=$(pmp c1 op0)
# WireGuard itself drops what a removed peer sends: the request never
# reaches the daemon (result 2 for a denied peer is checked below).
check "a removed peer's request gets no answer (WireGuard drops it)" '[ "$r" = timeout ]'
# WireGuard has no peer notifications: a peer added a moment ago (a
# provider's API call right before the client connects) asks before the
# next poll. It is served, not refused with result 2.
lab_readd_c1_now
r=$(pmp c1 map tcp 8080 0 600); echo "     $r"
check "a peer added a moment ago is served at once (not result 2)" '[ "$(field result "$r")" = 0 ]'
check "... with a port" 'ne "$(field external "$r")" 0'
check "c1 back on the interface is served again" 'lab_readd_c1'

# --- rate limit: 5/s, bursts of 10 ---------------------------------------
r=$(in_ns c2 "$PMP" $GWIN $(for i in $(seq 1 30); do printf 'map udp 9 0 60 -- '; done) op0)
ok=$(grep -c 'result=0' <<<"$r"); limited=$(grep -c 'result=4' <<<"$r")
echo "     30 quick requests: $ok served, $limited refused"
check "rate limit: the burst (2 x 5) is served" '[ "$ok" -ge 8 ]'
check "rate limit: most of the rest of 30 quick requests is refused with result 4" '[ "$limited" -ge 15 ]'
# c2's bucket is empty now (refilled at 5/s): c1 speaks for the running policy.

# --- reload --------------------------------------------------------------
cp "$CONF" "$TMPD/good.yaml"
printf 'interface: %s\nbogus: [\n' "$WG_GW" >"$CONF"
kill -HUP "$DAEMON_PID"
check "a bad policy on reload is refused with FILE:LINE:COL" ' wait_until 3 grep -qE "reload refused.*portgate.yaml:[0-9]+:[0-9]+: " "$DLOG"'
check "and the running policy still serves" '[ "$(field result "$(pmp c1 op0)")" = 0 ]'
cp "$TMPD/good.yaml" "$CONF"
printf 'peers:\n  "%s": { deny: true }\n' "$C2_KEY" >>"$CONF"
kill -HUP "$DAEMON_PID"
check "a reload that denies c2 drops its mappings" 'wait_until 3 map_lacks gw tcp "$p2"'
check "and refuses its requests with result 2" '[ "$(field result "$(pmp c2 map tcp 1 0 60)")" = 2 ]'
cp "$TMPD/good.yaml" "$CONF"
reloads() { grep -c "policy reloaded" "$DLOG"; }
n=$(reloads)
kill -HUP "$DAEMON_PID"
reloaded_again() { [ "$(reloads)" -gt "$n" ]; }
check "the original policy is back" 'wait_until 3 reloaded_again'

# (Restarts, kill -9 and adoption in both table modes: test_e2e_restart.sh.)
pa=$(field external "$(pmp c1 map tcp 8080 0 600)")

# --- only a change of the external address is announced (RFC 6886 §3.2.1) --
# A restart with c1 listening on 5350; each window below falls in the 16 s
# the start's schedule is silent after its 7th round (ann_after, lab.sh).
ANNF="$TMPD/announce"
lab_stop
ann_listen "$ANNF"
lab_start || exit 1
check "c1 hears the start's announcements up to the 7th round" 'wait_until 25 ann_rounds_reach "$ANNF" 7'
n=$(ann_after "$ANNF" 2 in_ns gw ip addr add 203.0.113.9/24 dev eth0)
check "a secondary address beside the external one: no announcement within 2 s" 'eq "$n" 0'
n=$(ann_after "$ANNF" 2 in_ns gw ip addr add 192.0.2.5/24 dev eth0 scope link)
check "an address the kernel lists first (scope link): no announcement within 2 s" 'eq "$n" 0'
check "... op 0 still answers the external address" 'eq "$(field addr "$(pmp c1 op0)")" $EXT'
r=$(reloads)
n=$(ann_after "$ANNF" 2 kill -HUP "$DAEMON_PID")
reloaded_since() { [ "$(reloads)" -gt "$r" ]; }
check "a reload that changes nothing: no announcement within 2 s" 'eq "$n" 0'
check "... (the reload was done)" 'wait_until 3 reloaded_since'
# The tunnel coming back (an HA pair's new primary) is announced: that is
# also what starts a handshake with each peer.
wg_bounce() {
	in_ns gw ip link set "$WG_GW" down &&
		wait_until 3 grep -q "interface $WG_GW is down" "$DLOG" &&
		in_ns gw ip link set "$WG_GW" up
}
n=$(ann_after "$ANNF" 3 wg_bounce)
check "the tunnel coming back: announced within 3 s" 'ge "$n" 1'
in_ns gw ip addr del 192.0.2.5/24 dev eth0
in_ns gw ip addr del 203.0.113.9/24 dev eth0
new_external() { in_ns gw ip addr add 192.0.2.9/24 dev eth0 && in_ns gw ip addr del $EXT/24 dev eth0; }
n=$(ann_after "$ANNF" 2 new_external)
check "a new external address: announced within the same 2 s window" 'ge "$n" 1'
new_rounds() { [ "$(grep -c addr=192.0.2.9 "$ANNF")" -ge 3 ]; }
check "... to each peer by unicast (wg address, port 5350)" 'grep -q "op=128 result=0 .*addr=192.0.2.9" "$ANNF"'
check "... repeatedly (RFC 6886: up to 10 times, doubling from 250 ms)" 'wait_until 5 new_rounds'
echo "     $(grep -c "addr=192.0.2.9" "$ANNF") announcements of the new address reached c1"
kill "$ANN_PID" 2>/dev/null
check "op 0 now answers the new address" '[ "$(field addr "$(pmp c1 op0)")" = 192.0.2.9 ]'
in_ns gw ip addr add $EXT/24 dev eth0
in_ns gw ip addr del 192.0.2.9/24 dev eth0

# --- state lost: the table goes, the epoch starts again -------------------
lab_stop TERM
in_ns gw nft delete table ip portgate
lab_start || exit 1
epoch3=$(field epoch "$(pmp c1 op0)")
check "with the table gone the epoch restarts from 0" 'le "$epoch3" 1'
r=$(pmp c1 map tcp 8080 0 600)
check "and the lost mapping gets its port again (stable hash)" 'eq "$(field external "$r")" "$pa"'
finish
