#!/bin/bash
# SPDX-License-Identifier: GPL-2.0-or-later
# src/wgpeer against real WireGuard: the kernel's where it has it (genl, as in
# the VM of scripts/vm), else wireguard-go (UAPI); lib.sh's wg_kernel decides.
. "$(dirname "$0")/lib.sh"
T="$PWD/$BUILD/tests/netns/wgtool"
WG="pgw$$"	# unique: wireguard-go's socket directory is shared by all namespaces

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
check "the $(wg_backend) backend was used" 'in_ns gw "$T" who "$WG" 10.9.0.2 | grep -q "backend=$(wg_backend) peers=2"'

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

# A peer with 1,000 allowed-ips, then 10,000 more peers: both split over
# many messages of the kernel's dump. Keys: 24 bits of the index in the
# first four base64 characters, the rest zero.
awk 'BEGIN {
	b = "ABCDEFGHIJKLMNOPQRSTUVWXYZabcdefghijklmnopqrstuvwxyz0123456789+/"
	for (i = 1; i <= 10001; i++) {
		k = ""; for (s = 18; s >= 0; s -= 6) k = k substr(b, int(i / 2 ^ s) % 64 + 1, 1)
		for (j = 0; j < 9; j++) k = k "AAAA"
		printf "[Peer]\nPublicKey = %sAAA=\nAllowedIPs = ", k
		if (i == 1) {
			for (j = 0; j < 1000; j++)
				printf "%s172.%d.%d.0/24", j ? ", " : "", 16 + int(j / 256), j % 256
			printf "\n"
		} else {
			n = i - 2
			printf "10.%d.%d.2/32, 10.%d.%d.0/24\n", 10 + int(n / 256), n % 256, 100 + int(n / 256), n % 256
		}
	}
}' >"$TMPD/peers.conf"
C=$(sed -n '2s/^PublicKey = //p' "$TMPD/peers.conf")
check "a peer of 1,000 allowed-ips and 10,000 more load" 'in_ns gw wg addconf "$WG" "$TMPD/peers.conf"'
check "the 1,000th allowed-ip of one peer is its own (172.19.231.9)" 'who_is 172.19.231.9 "$C"'
check "and its first (172.16.0.1)" 'who_is 172.16.0.1 "$C"'
check "the device is read whole (10,002 peers)" 'in_ns gw "$T" who "$WG" 10.9.0.3 | grep -q "peers=10002$"'
# 21 polls in a row, each of the whole device (wgtool stops at the first
# that fails). Their times are printed for the log, not judged: speed is
# make bench's (its poll at 20,000 peers), never a timed check, which an
# emulated or sanitized run fails for reasons that are not ours.
in_ns gw "$T" bench "$WG" 21 | tee "$TMPD/bench"
check "21 polls in a row each read all 10,002 peers" 'grep -q "^poll peers=10002 " "$TMPD/bench"'
finish
