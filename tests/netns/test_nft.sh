#!/bin/bash
# SPDX-License-Identifier: GPL-2.0-or-later
# src/nft against the real kernel: hosts gw, c1, c2 and ext joined by veth
# pairs (no WireGuard needed here), driven by build/tests/netns/nfttool.
. "$(dirname "$0")/lib.sh"
T="$PWD/$BUILD/tests/netns/nfttool"
EXT=203.0.113.1

mkns gw; mkns c1; mkns c2; mkns ext
veth gw pgext0 $EXT/24 ext eth0 203.0.113.2/24
veth gw pgin0 10.77.0.1/24 c1 eth0 10.77.0.2/24
veth gw pgin1 10.78.0.1/24 c2 eth0 10.78.0.2/24
in_ns c1 ip route add default via 10.77.0.1
in_ns c2 ip route add default via 10.78.0.1
in_ns ext ip route add 10.76.0.0/14 via $EXT
# IPv6: the external side and c1's routed /64 (nodad: usable at once).
EXT6=2001:db8:e::1
in_ns gw sysctl -qw net.ipv6.conf.all.forwarding=1
in_ns gw ip -6 addr add $EXT6/64 dev pgext0 nodad
in_ns ext ip -6 addr add 2001:db8:e::2/64 dev eth0 nodad
in_ns gw ip -6 addr add 2001:db8:c1::1/64 dev pgin0 nodad
in_ns c1 ip -6 addr add 2001:db8:c1::2/64 dev eth0 nodad
in_ns c1 ip -6 route add default via 2001:db8:c1::1
in_ns ext ip -6 route add 2001:db8:c1::/64 via $EXT6
echo_servers c1 8080 c1
echo_servers ext 40000 ext

nft_gw() { in_ns gw "$T" "$@"; }
# The table's mode: persistent (owner and persist flags, 6.9+) or un-owned
# (no flags: before 6.9, or PORTGATE_TABLE_MODE=unowned). Both outlive
# their writer; only a persistent table refuses other writers.
MODE=${PORTGATE_TABLE_MODE:-auto}
if [ "$MODE" = auto ]; then
	MODE=unowned; kernel_at_least 6 9 && MODE=persistent
fi
# PG_NFT_SERVE=1: one nfttool (serve) runs every command, as portgated
# would, and nft_serve_start starts a new one where a new writer is meant.
SERVING=${PG_NFT_SERVE:-0}
nft_serve_start() {	# prints the new writer's setup line
	local line
	[ -z "${SERVE_PID:-}" ] || nft_serve_stop
	rm -f "$TMPD/nft.in" "$TMPD/nft.out"
	mkfifo "$TMPD/nft.in" "$TMPD/nft.out"
	ip netns exec "$(ns gw)" "$T" serve <"$TMPD/nft.in" >"$TMPD/nft.out" &
	SERVE_PID=$!
	exec 7>"$TMPD/nft.in" 8<"$TMPD/nft.out"
	read -r -t 120 line <&8 && echo "$line"	# a slow guest takes seconds
}
nft_serve_stop() {	# killed: background processes hold its stdin too
	exec 7>&- 8<&-
	kill "$SERVE_PID" 2>/dev/null
	wait "$SERVE_PID" 2>/dev/null
	SERVE_PID=""
}
if [ $SERVING = 1 ]; then
	nft_gw() {	# one line to the writer, its output through a file
		local line
		echo "$TMPD/nft.res $*" >&7 || return 1
		read -r -t 300 line <&8 || return 1
		cat "$TMPD/nft.res"
		[ "$line" = "end 0" ]
	}
fi
nft_gw_says() { local want=$1; shift; nft_gw "$@" | grep -qE -- "$want"; }
elem_lacks() { ! elem_has "$1"; }
ct_deleted_some() { nft_gw ctdel "$@" | grep -q 'deleted=[1-9]'; }
remaining_ok() {
	nft_gw dump | grep -E '^udp 40000 10.78.0.2 8080 remaining_ms=' |
		awk '{split($5, a, "="); exit !(a[2] > 0 && a[2] < 600000)}'
}
elem_has() { in_ns gw nft list map ip portgate forwards | grep -q -- "$1"; }
dump_sorted() { nft_gw dump | grep -E '^(tcp|udp) ' | cut -d' ' -f1-4 | sort; }

if [ $SERVING = 1 ]; then
	nft_serve_start >"$TMPD/setup"
	nft_gw external $EXT >/dev/null
else
	nft_gw external $EXT >"$TMPD/setup"
fi
check "setup creates a new table" 'grep -q "setup adopted=0 " "$TMPD/setup"'
check "in the $MODE mode" 'grep -q " mode=$MODE " "$TMPD/setup"'
if [ $MODE = persistent ]; then
	check "the table is owned by its writer and persists" 'grep -q " owner=1 persist=1 " "$TMPD/setup"'
else
	check "the table has no owner flag" 'grep -q " owner=0 persist=0 " "$TMPD/setup"'
fi
check "put TCP and UDP 40000 -> c1:8080" ' nft_gw put tcp 40000 10.77.0.2 8080 600 -- put udp 40000 10.77.0.2 8080 600'
check "kernel element key is tcp . 40000" 'elem_has "tcp . 40000"'
check "TCP from ext reaches c1 through the forward" 'tcp_says ext $EXT 40000 c1'
check "UDP from ext reaches c1 through the forward" 'udp_says ext $EXT 40000 c1'
check "hairpin: c2 reaches c1 through the external address" 'tcp_says c2 $EXT 40000 c1'
check "c1's own outbound connection to port 40000 elsewhere is not redirected" ' tcp_says c1 203.0.113.2 40000 ext'
check_not "an unmapped port is not forwarded" 'tcp_says ext $EXT 40001 c1'

# An established connection: deleting the element alone leaves it flowing
# (that is what the conntrack cleanup is for); deleting its conntrack stops it.
conn_open ext $EXT 40000
check "established TCP connection passes data" 'line_through c1 one'
check "delete the TCP element" 'nft_gw del tcp 40000'
check_not "after delete, a new TCP connection fails" 'tcp_says ext $EXT 40000 c1'
check "without conntrack cleanup the established flow would still pass" 'line_through c1 two'
check "conntrack cleanup deletes the flow's entry" ' ct_deleted_some tcp 40000 10.77.0.2 8080'
check_not "after conntrack cleanup the established connection stops" 'line_through c1 three'
kill "${CONN_PID:-}" 2>/dev/null

check "UDP still forwarded (other protocol untouched)" 'udp_says ext $EXT 40000 c1'
check "replace (DEL+NEW in one batch) moves UDP 40000 to c2" ' nft_gw put udp 40000 10.78.0.2 8080 600 replace'
echo_servers c2 8080 c2
in_ns gw conntrack -D -p udp --orig-port-dst 40000 >/dev/null 2>&1
check "UDP 40000 now reaches c2" 'udp_says ext $EXT 40000 c2'

# A new forward's cut (ctcut): a stream that began before the element holds
# an entry nothing NATed, which the DNAT rule never sees; ctcut deletes that
# one, keeps what the element NATed, and reads a dump without the DNATed
# entries (5.15+).
# stream_to ADDR PORT: ext sends a datagram every 100 ms from one socket.
stream_to() { bg_ns ext sh -c "while :; do echo x; sleep 0.1; done | socat -u - UDP-SENDTO:$1:$2 2>/dev/null"; }
ct_has() { in_ns gw conntrack -L "$@" 2>/dev/null | grep -q .; }
ct_count() { in_ns gw conntrack -L "$@" 2>/dev/null | grep -c .; }
# Both flows to 40020 (the stream and udp_says's) are NATed to c1.
stream_natted() { [ "$(ct_count -p udp --orig-port-dst 40020 --reply-src 10.77.0.2)" = 2 ]; }
stream_to $EXT 40020
check "ext's stream to 40020, forwarded by nothing, has an entry without NAT" \
	'wait_until 3 ct_has -p udp --orig-port-dst 40020 --reply-src $EXT'
nft_gw put udp 40020 10.77.0.2 8080 600 >/dev/null
check "with an element for 40020, a new flow reaches c1" 'udp_says ext $EXT 40020 c1'
check_not "... but the stream's entry still goes nowhere" 'stream_natted'
to_ext=$(ct_count -d $EXT)
out=$(nft_gw ctcut udp 40020 $EXT)
check "ctcut deletes the one entry nothing NATed" 'grep -q "deleted=1 " <<<"$out"'
check "the flow the element NATed keeps its entry" 'ct_has -p udp --orig-port-dst 40020 --reply-src 10.77.0.2'
check "the stream's next datagram is NATed to c1" 'wait_until 2 stream_natted'
if kernel_at_least 5 15; then
	dumped=$(sed -n 's/.*dumped=\([0-9]*\).*/\1/p' <<<"$out")
	check "its dump left out the NATed entries to $EXT (read $dumped of $to_ext)" \
		'le "$dumped" "$((to_ext - 1))"'
else
	skip "the dump of a cut leaves NATed entries out" "kernel $(uname -r) < 5.15"
fi

check "a 2 s element" 'nft_gw put udp 40002 10.77.0.2 8080 2'
check "it is in the map" 'elem_has "udp . 40002"'
check "the kernel timeout removes it" 'wait_until 5 elem_lacks "udp . 40002"'

# Kernels before 6.3 have no DESTROY: deleting what the kernel already
# expired is still a success, and the rest of the batch goes through.
check "without DESTROY, deleting a missing element succeeds" 'nft_gw nodestroy -- del udp 40003'
check "without DESTROY, a batch deleting a missing element still puts the rest" \
	'nft_gw nodestroy -- delput udp 40004 tcp 40005 10.77.0.2 8080 600'
check "(the put is in the map)" 'elem_has "tcp . 40005 "'
check "with DESTROY, the same batch goes through too" 'nft_gw delput udp 40004 tcp 40006 10.77.0.2 8080 600'
check "a failing batch is still refused without DESTROY" '! nft_gw nodestroy -- badbatch tcp 5001 10.77.0.2 5001 60'

before=$(dump_sorted)
check_not "a batch with one bad operation fails" 'nft_gw badbatch tcp 5000 10.77.0.2 5000 60'
check "and the map is identical before and after" '[ "$before" = "$(dump_sorted)" ]'

# IPv6 (table ip6 portgate): NAT66 through the ip6 map, and a routed
# pinhole that the admin's own drop-by-default filter lets through only by
# the mark our forward chain sets.
set6_has() { in_ns gw nft list "$1" ip6 portgate "$2" | grep -q -- "$3"; }
echo_servers6 c1 8080 c1
check "table ip6 portgate exists beside table ip portgate" 'in_ns gw nft list table ip6 portgate >/dev/null'
check "external6 sets the ip6 external address" 'nft_gw external6 $EXT6'
check "put6 nat66 TCP 40010 -> [2001:db8:c1::2]:8080" 'nft_gw put6 nat66 tcp 40010 2001:db8:c1::2 8080 600'
check "the ip6 map holds it" 'set6_has map forwards "tcp . 40010 .*: 2001:db8:c1::2 . 8080"'
check "TCP from ext to [$EXT6]:40010 reaches c1 (NAT66)" 'wait_until 5 tcp_says ext "[$EXT6]" 40010 c1'
check_not "an unmapped IPv6 port is not forwarded" 'tcp_says ext "[$EXT6]" 40011 c1'
stream_to "[$EXT6]" 40030
check "ext's stream to [$EXT6]:40030 has an entry without NAT" \
	'wait_until 3 ct_has -f ipv6 -p udp --orig-port-dst 40030 --reply-src $EXT6'
check "ctcut deletes it (IPv6)" 'nft_gw_says "deleted=1 " ctcut udp 40030 $EXT6'
in_ns gw nft -f - <<'NFT'
table ip6 admin {
	chain forward {
		type filter hook forward priority 0; policy drop;
		ct state established,related accept
	}
}
NFT
check_not "the admin's drop policy stops a flow to c1's own address" 'tcp_says ext "[2001:db8:c1::2]" 8080 c1'
check "put6 pinhole TCP [2001:db8:c1::2]:8080" 'nft_gw put6 pinhole tcp 8080 2001:db8:c1::2 8080 600'
check "the pinhole set holds it" 'set6_has set pinholes "2001:db8:c1::2 . tcp . 8080"'
check_not "our accept alone does not beat the admin's drop" 'tcp_says ext "[2001:db8:c1::2]" 8080 c1'
in_ns gw nft add rule ip6 admin forward meta mark and 0x08000000 == 0x08000000 accept
check "with the admin's one mark rule, TCP from ext reaches c1 through the pinhole" 'tcp_says ext "[2001:db8:c1::2]" 8080 c1'
check_not "a port without a pinhole stays closed" 'tcp_says ext "[2001:db8:c1::2]" 8081 c1'
check "dump reads the pinhole back" 'nft_gw dump | grep -q "^pinhole tcp 8080 2001:db8:c1::2 8080 "'
check "dump reads the NAT66 element back" 'nft_gw dump | grep -q "^nat66 tcp 40010 2001:db8:c1::2 8080 "'
check "del6 removes the pinhole" 'nft_gw del6 pinhole tcp 8080 2001:db8:c1::2 8080 0'
check_not "and the port is closed again" 'tcp_says ext "[2001:db8:c1::2]" 8080 c1'
in_ns gw nft delete table ip6 admin
check "a 600 s pinhole, for the adoption below" 'nft_gw put6 pinhole udp 6881 2001:db8:c1::2 6881 600'

# Owner: while a writer holds a persistent table nobody else changes it
# (the one that serves, where it is that one).
if [ $SERVING = 0 ]; then
	bg_ns gw "$T" hold >"$TMPD/hold"
	wait_until 5 grep -q holding "$TMPD/hold"
fi
if [ $MODE = persistent ]; then
check_not "nft add element is refused while the owner runs" \
	'in_ns gw nft add element ip portgate forwards "{ tcp . 1 : 10.77.0.2 . 1 }"'
in_ns gw nft flush ruleset 2>/dev/null
check "nft flush ruleset leaves the owned table in place" 'in_ns gw nft list table ip portgate'
else
	skip "nft cannot change the table while the owner runs" "un-owned mode (test_e2e_restart.sh repairs changes)"
fi
kill $BG_PIDS 2>/dev/null; wait $BG_PIDS 2>/dev/null; BG_PIDS=""
echo_servers c1 8080 c1
echo_servers c2 8080 c2

# Both modes: a new writer adopts the table with its elements and timeouts.
if [ $SERVING = 1 ]; then
	nft_serve_start >"$TMPD/setup2"
	check "a new writer adopts the table" 'grep -q "setup adopted=1" "$TMPD/setup2"'
else
	check "a new writer adopts the table" 'nft_gw_says "setup adopted=1" dump'
fi
check "adopted element kept, remaining timeout below its lifetime" 'remaining_ok'
check "the ip6 table's pinhole is adopted too" 'nft_gw dump | grep -q "^pinhole udp 6881 2001:db8:c1::2 6881 "'
check "forwarding kept working across the writer restart" 'udp_says ext $EXT 40000 c2'
if [ $MODE = persistent ] && [ $SERVING = 0 ]; then
	check "a writer in the un-owned mode takes the persistent table over" \
		'PORTGATE_TABLE_MODE=unowned nft_gw_says "setup adopted=1 .* mode=unowned stale=1" dump'
else
	skip "a writer in the un-owned mode takes the persistent table over" "mode $MODE"
fi

check "remove the table" 'nft_gw remove'
[ $SERVING = 0 ] || nft_serve_start >/dev/null	# a new writer makes it again
check "100,000 elements commit in one transaction" 'nft_gw bulk 100000 10000 10.77.0.2 600'
want=$(seq 0 99999 | awk '{p = 10000 + int($1 / 2); printf "%s %d 10.77.0.2 %d\n", ($1 % 2 ? "tcp" : "udp"), p, p}' | sort)
check "and dump back identical" '[ "$want" = "$(dump_sorted)" ]'
nft_gw remove >/dev/null
[ $SERVING = 0 ] || nft_serve_stop
finish
