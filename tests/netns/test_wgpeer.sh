#!/bin/bash
# SPDX-License-Identifier: GPL-2.0-or-later
# src/wgpeer against real userspace WireGuard (wireguard-go).
. "$(dirname "$0")/lib.sh"
T="$PWD/$BUILD/tests/netns/wgtool"
WG="pgw$$"	# unique: the UAPI socket directory is shared by all namespaces

mkns gw
wg_keypair gw; wg_keypair a; wg_keypair b
wg_up gw "$WG" 10.9.0.1/24 "$TMPD/gw.key" 51820 || exit 1
A=$(cat "$TMPD/a.pub"); B=$(cat "$TMPD/b.pub")
in_ns gw wg set "$WG" peer "$A" allowed-ips 10.9.0.2/32
in_ns gw wg set "$WG" peer "$B" allowed-ips 10.9.0.3/32,10.9.5.0/24

who_is() { [ "$(in_ns gw "$T" who "$WG" "$1" | head -n 1)" = "$2" ]; }
check "10.9.0.2 belongs to peer A" 'who_is 10.9.0.2 "$A"'
check "10.9.5.9 belongs to peer B (its /24)" 'who_is 10.9.5.9 "$B"'
check "10.9.9.9 belongs to nobody" 'who_is 10.9.9.9 none'
check "the userspace backend was used" 'in_ns gw "$T" who "$WG" 10.9.0.2 | grep -q "backend=uapi peers=2"'

LOG="$TMPD/events"
ip netns exec "$(ns gw)" "$T" watch "$WG" 1000 >"$LOG" 2>&1 &
BG_PIDS="$BG_PIDS $!"
event() { grep -qF -- "$1" "$LOG"; }
added_twice() { [ "$(grep -c 'EVENT added' "$LOG")" = 2 ]; }
check "initial poll reports both peers" 'wait_until 3 added_twice'

in_ns gw wg set "$WG" peer "$A" remove
check "peer removed -> event within poll_interval" 'wait_until 2 event "EVENT removed $A (poll)"'

in_ns gw wg set "$WG" peer "$B" allowed-ips 10.9.0.3/32
check "allowed-ips changed -> event naming the lost prefix" ' wait_until 2 event "EVENT lost $B (poll) 10.9.5.0/24"'

start=$(date +%s%N)
in_ns gw ip link del "$WG"
check "interface deleted -> immediate event from rtnetlink" 'wait_until 1 event "EVENT gone (rtnl)"'
took=$(( ($(date +%s%N) - start) / 1000000 ))
echo "     (gone after ${took} ms)"
check "and its peers are reported removed" 'wait_until 1 event "EVENT removed $B (rtnl)"'

wg_up gw "$WG" 10.9.0.1/24 "$TMPD/gw.key" 51820 || exit 1
in_ns gw wg set "$WG" peer "$A" allowed-ips 10.9.0.2/32
check "interface recreated -> back" 'wait_until 5 event "EVENT back"'
check "and its peers are read again" 'wait_until 5 event "EVENT added $A (poll)"'

# Poll cost with 10,000 peers.
for i in $(seq 0 9999); do
	printf 'public_key=%064x\nallowed_ip=10.%d.%d.2/32\nallowed_ip=10.%d.%d.0/24\n' \
		"$((i + 1))" $((10 + i / 256)) $((i % 256)) $((100 + i / 256)) $((i % 256))
done >"$TMPD/peers"
{ printf 'set=1\n'; cat "$TMPD/peers"; printf '\n'; } |
	socat -t 10 - UNIX-CONNECT:/var/run/wireguard/$WG.sock >/dev/null
in_ns gw "$T" bench "$WG" 21 | tee "$TMPD/bench"
median_below() {	# MS: the bench line for 10,001 peers has a median under MS
	awk -v ms="$1" '/peers=10001/ { split($3, a, "="); found = 1; ok = a[2] < ms }
		END { exit !(found && ok) }' "$TMPD/bench"
}
check "a poll of 10,000 peers takes milliseconds (< 200 ms median)" 'median_below 200'
finish
