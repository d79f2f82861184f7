#!/bin/bash
# Peers vanishing, rate limits, policy reloads and restarts of portgated.
. "$(dirname "$0")/lib.sh"
. "$(dirname "$0")/lab.sh"
lab_up || exit 1
LAB_RATE=5 lab_policy </dev/null
lab_start || exit 1
in_map() { in_ns gw nft list map ip portgate forwards | grep -q "$1"; }
not_in_map() { ! in_map "$1"; }

# --- a peer vanishes: its mappings and their conntrack entries go ---------
p1=$(field external "$(pmp c1 map tcp 8080 0 600)")
p2=$(field external "$(pmp c2 map tcp 8080 0 600)")
echo_servers c1 8080 c1
echo_servers c2 8080 c2
check "both peers' forwards carry traffic" tcp_says ext $EXT "$p1" c1
check "(c2 too)" tcp_says ext $EXT "$p2" c2
conn_open ext $EXT "$p1"
check "an established connection to c1 passes data" line_through c1 one
ct_entries() { in_ns gw conntrack -L -p tcp --orig-port-dst "$p1" 2>/dev/null | grep -c .; }
check "it has a conntrack entry" [ "$(ct_entries)" -ge 1 ]
start=$(date +%s%N)
in_ns gw wg set "$WG_GW" peer "$C1_KEY" remove
check "c1 removed: its mapping leaves the kernel within poll_interval + 1 s" wait_until 2 not_in_map "tcp . $p1 "
echo "     (gone after $(( ($(date +%s%N) - start) / 1000000 )) ms)"
ct_gone() { [ "$(ct_entries)" = 0 ]; }
check "and its conntrack entries are gone (cut within 20 ms)" wait_until 1 ct_gone
check_not "and the established connection stops" line_through c1 two
check "c2 is untouched" tcp_says ext $EXT "$p2" c2
check "the removal was logged with its reason" grep -q "wg: peer .* is gone" "$DLOG"
kill "${CONN_PID:-}" 2>/dev/null
r=$(pmp c1 op0)
check "a removed peer is not authorized (no reply reaches it, or result 2)" \
	[ "$r" = timeout -o "$(field result "$r")" = 2 ]
lab_readd_c1

# --- rate limit: 5/s, bursts of 10 ---------------------------------------
r=$(in_ns c2 "$PMP" $GWIN $(for i in $(seq 1 30); do printf 'map udp 9 0 60 -- '; done) op0)
ok=$(grep -c 'result=0' <<<"$r"); limited=$(grep -c 'result=4' <<<"$r")
echo "     30 quick requests: $ok served, $limited refused"
check "rate limit holds: some requests of a burst are refused with result 4" \
	[ "$limited" -ge 15 ] && [ "$ok" -ge 8 ]
sleep 2

# --- reload --------------------------------------------------------------
cp "$CONF" "$TMPD/good.yaml"
printf 'interface: %s\nbogus: [\n' "$WG_GW" >"$CONF"
kill -HUP "$DAEMON_PID"
check "a bad policy on reload is refused with FILE:LINE:COL" \
	wait_until 3 grep -qE "reload refused.*portgate.yaml:[0-9]+:[0-9]+: " "$DLOG"
check "and the running policy still serves" [ "$(field result "$(pmp c2 op0)")" = 0 ]
cp "$TMPD/good.yaml" "$CONF"
printf 'peers:\n  "%s": { deny: true }\n' "$C2_KEY" >>"$CONF"
kill -HUP "$DAEMON_PID"
check "a reload that denies c2 drops its mappings" wait_until 3 not_in_map "tcp . $p2 "
check "and refuses its requests with result 2" [ "$(field result "$(pmp c2 map tcp 1 0 60)")" = 2 ]
cp "$TMPD/good.yaml" "$CONF"
kill -HUP "$DAEMON_PID"
sleep 0.5

# --- restart: SIGKILL, start again ---------------------------------------
a=$(pmp c1 map tcp 8080 0 600); pa=$(field external "$a")
b=$(pmp c2 map udp 5000 0 600); pb=$(field external "$b")
epoch1=$(field epoch "$(pmp c1 op0)")
conn_open ext $EXT "$pa"
check "before the restart a connection passes data" line_through c1 three
lab_stop KILL
check "while portgated is down the forward keeps working" tcp_says ext $EXT "$pa" c1
sleep 1
lab_start || exit 1
check "the restarted daemon adopted the kernel's mappings" grep -q "adopted 2 mappings" "$DLOG"
check "the established connection survived" line_through c1 four
r=$(pmp c1 map tcp 8080 0 600)
check "a renewal after the restart keeps the port" [ "$(field external "$r")" = "$pa" ]
r=$(pmp c2 map udp 5000 0 600)
check "(c2's too)" [ "$(field external "$r")" = "$pb" ]
epoch2=$(field epoch "$(pmp c1 op0)")
echo "     epoch before $epoch1, after $epoch2"
check "the epoch kept counting" [ "$epoch2" -ge "$((epoch1 + 1))" ]
kill "${CONN_PID:-}" 2>/dev/null

# --- the external address changes: clients are told (RFC 6886 §3.2.1) ----
in_ns c1 "$PMP" $GWIN listen 4 >"$TMPD/announce" 2>&1 &
ANN=$!
sleep 0.5
in_ns gw ip addr add 192.0.2.9/24 dev eth0
in_ns gw ip addr del $EXT/24 dev eth0
wait "$ANN"
echo "     $(grep -c "addr=192.0.2.9" "$TMPD/announce") announcements of the new address reached c1 (wg address, port 5350)"
check "a new external address is announced to each peer by unicast" \
	grep -q "op=128 result=0 .*addr=192.0.2.9" "$TMPD/announce"
check "repeatedly (RFC 6886: up to 10 times, doubling from 250 ms)" \
	[ "$(grep -c 'addr=192.0.2.9' "$TMPD/announce")" -ge 3 ]
check "op 0 now answers the new address" [ "$(field addr "$(pmp c1 op0)")" = 192.0.2.9 ]
in_ns gw ip addr add $EXT/24 dev eth0
in_ns gw ip addr del 192.0.2.9/24 dev eth0

# --- state lost: the table goes, the epoch starts again -------------------
lab_stop TERM
in_ns gw nft delete table ip portgate
lab_start || exit 1
epoch3=$(field epoch "$(pmp c1 op0)")
check "with the table gone the epoch restarts from 0" [ "$epoch3" -le 1 ]
r=$(pmp c1 map tcp 8080 0 600)
check "and the lost mapping gets its port again (stable hash)" [ "$(field external "$r")" = "$pa" ]
finish
