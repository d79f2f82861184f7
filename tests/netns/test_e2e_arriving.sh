#!/bin/bash
# SPDX-License-Identifier: GPL-2.0-or-later
# A new forward works for traffic that was already arriving (issue 21 §4).
# An outside host that sends to external:X before X is mapped (a DHT or uTP
# peer, a QUIC client, a game retrying) holds a conntrack entry without NAT,
# kept alive by its own traffic; the DNAT rule is only consulted for a
# flow's first packet, so the new forward would never see that flow. When a
# forward is created or moved, the daemon cuts the un-NATed entries to its
# external address and port (docs/security.md):
#   IPv4 UDP: a stream every 100 ms reaches the client within 1 s of the map;
#   IPv4 TCP: a connect whose SYN the gateway left unanswered (its own RSTs
#     dropped) gets through at its next retransmission;
#   NAT66 UDP: the same at the external IPv6 address;
#   routed IPv6: nothing to cut (a flow the admin's filter dropped left no
#     entry), and the stream arrives as soon as the pinhole is there;
# while flows to other ports (NATed to another forward, or to nobody) keep
# their entries.
. "$(dirname "$0")/lib.sh"
. "$(dirname "$0")/lab.sh"

lab_up || exit 1
lab_ipv6 || exit 1
lab_policy_ipv6 routed
lab_start || exit 1
# The admin's own IPv6 filter (as in test_e2e_ipv6.sh), and a counter of
# what it drops towards c1's port 9400.
lab_admin_filter6 "udp dport 9400 counter drop"

# stream ADDRESS PORT: the outside host sends a datagram every 100 ms from
# one unconnected socket (ICMP errors do not stop it, as they do not stop a
# DHT node), each holding the time it was sent (ns). socat takes IPv6
# addresses in brackets.
stream() { bg_ns ext sh -c "while :; do date +%s%N; sleep 0.1; done | socat -u - UDP-SENDTO:$1:$2 2>/dev/null"; }
# receive NS PORT FILE [6]: what arrives at NS's UDP port goes to FILE.
receive() { bg_ns "$1" sh -c "exec socat -u UDP${4:-}-RECV:$2 - >$3"; }
received() { [ -s "$1" ]; }
# since_ms FILE T0: from T0 (ns) to the sending of FILE's first datagram.
since_ms() { local t; t=$(head -n 1 "$1"); [ -n "$t" ] && echo $(( (t - $2) / 1000000 )) || echo "?"; }
# ct_has ARGS: the gateway holds a conntrack entry that `conntrack -L ARGS`
# lists; ct_id ARGS: its id.
ct_has() { in_ns gw conntrack -L "$@" 2>/dev/null | grep -q .; }
ct_id() { in_ns gw conntrack -L "$@" -o id 2>/dev/null | sed -n 's/.* id=\([0-9]*\).*/\1/p' | head -n 1; }
now_ns() { date +%s%N; }

# --- IPv4 UDP ---------------------------------------------------------------
# Unrelated flows: a TCP connection through c2's forward (NATed), and a
# stream to a port nobody maps (not NATed).
echo_servers c2 9100 c2
r=$(pmp c2 map tcp 9100 25100 600)
check "c2 holds TCP 25100" 'eq "$(field external "$r")" 25100'
conn_open ext $EXT 25100
check "a TCP connection from ext passes through c2's forward" 'line_through c2 one'
id_c2=$(ct_id -p tcp --orig-port-dst 25100 --reply-src 10.66.0.3)
stream $EXT 25200
stream $EXT 25000
receive c1 9000 "$TMPD/udp4"
check "before any mapping, ext's stream to 25000 has an entry without NAT" \
	'wait_until 3 ct_has -p udp --orig-port-dst 25000 --reply-src $EXT'
check "... and its stream to 25200 too" 'wait_until 3 ct_has -p udp --orig-port-dst 25200 --reply-src $EXT'
id_other=$(ct_id -p udp --orig-port-dst 25200 --reply-src $EXT)
t0=$(now_ns)
r=$(pmp c1 map udp 9000 25000 600)
check "c1 maps UDP 9000 at 25000" 'eq "$(field external "$r")" 25000'
check "c1 receives ext's stream within 1 s of the mapping" 'wait_until 1 received "$TMPD/udp4"'
echo "     first datagram through: sent $(since_ms "$TMPD/udp4" "$t0") ms after the request"
check "ext's entry to 25000 is now NATed to c1" \
	'ct_has -p udp --orig-port-dst 25000 --reply-src 10.66.0.2'
check "the stream to 25200, which nobody maps, keeps its entry" \
	'eq "$(ct_id -p udp --orig-port-dst 25200 --reply-src $EXT)" "$id_other"'
check "the TCP flow through c2's forward keeps its entry" \
	'eq "$(ct_id -p tcp --orig-port-dst 25100 --reply-src 10.66.0.3)" "$id_c2"'
check "... and still passes data" 'line_through c2 two'

# --- IPv4 TCP ---------------------------------------------------------------
# The gateway drops its own RSTs before conntrack sees them (a stealth
# filter): ext's SYN to a port nobody forwards goes unanswered, and its
# connect retransmits the SYN on one entry (SYN_SENT) that the DNAT rule
# does not see again. (With the RST sent, the entry closes and the next SYN
# opens a new one, which the DNAT rule sees: nothing to cut.)
in_ns gw nft -f - <<NFT
table ip stealth {
	chain output { type filter hook output priority raw; tcp flags rst drop; }
}
NFT
echo_servers c1 9001 c1
bg_ns ext sh -c "echo ping | socat -T 5 - TCP:$EXT:25001,connect-timeout=20 >$TMPD/tcp4 2>&1"
check "ext's connect to 25001 waits on an entry without NAT" \
	'wait_until 3 ct_has -p tcp --orig-port-dst 25001 --reply-src $EXT --state SYN_SENT'
t0=$(now_ns)
r=$(pmp c1 map tcp 9001 25001 600)
check "c1 maps TCP 9001 at 25001" 'eq "$(field external "$r")" 25001'
tcp_through() { grep -q "^c1:ping$" "$TMPD/tcp4"; }
check "the connect that began before the mapping reaches c1 (at its next SYN)" \
	'wait_until 5 tcp_through'
echo "     connected $(( ($(now_ns) - t0) / 1000000 )) ms (at most) after the request"
in_ns gw nft delete table ip stealth

# --- routed IPv6 pinhole -----------------------------------------------------
dropped_9400() { in_ns gw nft list chain ip6 admin forward | grep -qE "dport 9400 counter packets [3-9]"; }
stream "[$C1_6]" 9400
receive c1 9400 "$TMPD/routed" 6
check "[routed] ext's stream to [c1]:9400 is dropped by the admin's filter" 'wait_until 3 dropped_9400'
check_not "[routed] ... and leaves no conntrack entry (dropped before confirmation)" \
	'ct_has -f ipv6 -p udp --orig-port-dst 9400'
t0=$(now_ns)
r=$(pmp6 c1 pcpmap udp 9400 0 600)
check "[routed] c1 opens a pinhole for UDP 9400" 'pinhole_has "$C1_6 . udp . 9400 "'
check "[routed] c1 receives ext's stream within 1 s of the pinhole" 'wait_until 1 received "$TMPD/routed"'
echo "     first datagram through: sent $(since_ms "$TMPD/routed" "$t0") ms after the request"

# --- NAT66 -------------------------------------------------------------------
n=$(grep -c "policy reloaded" "$DLOG")
lab_policy_ipv6 nat66
kill -HUP "$DAEMON_PID"
reloaded() { [ "$(grep -c "policy reloaded" "$DLOG")" -gt "$n" ]; }
check "[nat66] the policy is in force" 'wait_until 5 reloaded'
in_ns ext ip -6 route del 2001:db8:66::/64
stream "[$EXT6]" 25300
receive c1 9300 "$TMPD/nat66" 6
check "[nat66] before the mapping, ext's stream to 25300 has an entry without NAT" \
	'wait_until 3 ct_has -f ipv6 -p udp --orig-port-dst 25300 --reply-src $EXT6'
t0=$(now_ns)
r=$(pmp6 c1 pcpmap udp 9300 25300 600)
check "[nat66] c1 maps UDP 9300 at 25300" 'eq "$(field external "$r")" 25300'
check "[nat66] c1 receives ext's stream within 1 s of the mapping" 'wait_until 1 received "$TMPD/nat66"'
echo "     first datagram through: sent $(since_ms "$TMPD/nat66" "$t0") ms after the request"
check "[nat66] ext's entry to 25300 is now NATed to c1" \
	'ct_has -f ipv6 -p udp --orig-port-dst 25300 --reply-src $C1_6'
check "the IPv4 stream to 25200 still keeps its entry" \
	'eq "$(ct_id -p udp --orig-port-dst 25200 --reply-src $EXT)" "$id_other"'
finish
