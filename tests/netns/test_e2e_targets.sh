#!/bin/bash
# SPDX-License-Identifier: GPL-2.0-or-later
# Where a forward may point (docs/security.md, boundary 1): whatever a
# peer's allowed-ips cover, never at the gateway itself, never through a
# catch-all prefix, and no longer at a host that another peer now owns; and
# the gateway's own services on dual-stack sockets keep their ports.
# c2 plays a site peer: its allowed-ips hold 10.66.0.0/24, which holds the
# gateway's own tunnel address 10.66.0.1.
. "$(dirname "$0")/lib.sh"
. "$(dirname "$0")/lab.sh"
lab_up || exit 1
lab_ipv6 || exit 1
lab_policy <<YAML
ipv6:
  mode: nat66
metrics:
  listen: "[::1]:9835"
YAML
lab_start || exit 1
wait_until 5 daemon_listening6

# c2_routes PREFIXES: sets c2's allowed-ips on the gateway and waits for
# the daemon's next poll to have read them (it logs each change).
polls_seen() { [ "$(grep -c "wg: peer .* \(has new\|lost [0-9]*\) allowed-ips" "$DLOG")" -ge "$1" ]; }
c2_routes() {
	local seen
	seen=$(grep -c "wg: peer .* \(has new\|lost [0-9]*\) allowed-ips" "$DLOG")
	in_ns gw wg set "$WG_GW" peer "$C2_KEY" allowed-ips "$1"
	wait_until 4 polls_seen $((seen + 1))
}
targets() { map_elements gw | awk '{ print $3 }'; }
no_target() { ! targets | grep -qx "$1"; }
has_target() { targets | grep -qx "$1"; }

# A service of the gateway's on its tunnel address only (an admin's ssh).
bg_ns gw socat TCP-LISTEN:2200,bind=$GWIN,reuseaddr,fork SYSTEM:"echo gw-only"
c2_routes 10.66.0.3/32,10.66.0.0/24,$C2_6/128,2001:db8:66::/64

# --- 1. THIRD_PARTY: never the gateway itself -------------------------------
r=$(pmp c2 pcpmap tcp 2200 0 600 third=$GWIN); echo "     $r"
check "THIRD_PARTY = the gateway's tunnel address: NOT_AUTHORIZED (2)" 'eq "$(field result "$r")" 2'
check "... and no forward points at the gateway" 'no_target $GWIN'
check "... and the log says why" 'grep -q "$GWIN, which is an address of the gateway itself" "$DLOG"'
r=$(pmp c2 pcpmap tcp 2200 0 600 third=127.0.0.1)
check "THIRD_PARTY = loopback: NOT_AUTHORIZED" 'eq "$(field result "$r")" 2'
check "... refused as loopback, not as another's address" 'grep -q "127.0.0.1, which is not a host address" "$DLOG"'
r=$(pmp c2 pcpmap tcp 2200 0 600 third=$EXT)
check "THIRD_PARTY = the external address (not in its allowed-ips): NOT_AUTHORIZED" 'eq "$(field result "$r")" 2'
# The refusals are counted by reason (the metrics endpoint on IPv6).
refused() { in_ns gw curl -s -g "http://[::1]:9835/metrics" |
	sed -n "s/^portgate_requests_refused_target_total{reason=\"$1\"} //p"; }
check "metrics over IPv6 count the refusals of the gateway's addresses (2)" 'eq "$(refused gateway)" 2'
check "... and of loopback (1)" 'eq "$(refused special)" 1'
r=$(pmp c2 pcpmap tcp 2201 0 600 third=10.66.0.50); echo "     $r"
check "THIRD_PARTY = a host of its /24: granted" 'eq "$(field result "$r")" 0'
check "... and forwarded to that host" 'has_target 10.66.0.50'
# The gateway takes that address itself: the forward goes.
in_ns gw ip addr add 10.66.0.50/32 dev lo
check "a forward to an address the gateway takes is dropped" 'wait_until 3 no_target 10.66.0.50'
check "... with its reason logged" 'grep -q "dropped (its address is the gateway.s own now)" "$DLOG"'
in_ns gw ip addr del 10.66.0.50/32 dev lo

# The same over IPv6 (NAT66): c2's allowed-ips hold the tunnel's /64.
r=$(pmp6 c2 pcpmap tcp 2200 0 600 third=$GW6)
check "IPv6 THIRD_PARTY = the gateway's tunnel address: NOT_AUTHORIZED" 'eq "$(field result "$r")" 2'
r=$(pmp6 c2 pcpmap udp 2200 0 600 third=2001:db8:66::)
check "IPv6 THIRD_PARTY = its prefix's subnet-router anycast (the gateway's): NOT_AUTHORIZED" \
	'eq "$(field result "$r")" 2'
check "... refused as the gateway's own" \
	'grep -q "2001:db8:66::, which is an address of the gateway itself" "$DLOG"'
r=$(pmp6 c2 pcpmap udp 2202 0 600 third=2001:db8:66::50)
check "IPv6 THIRD_PARTY = a host of its /64: granted" 'eq "$(field result "$r")" 0'
check "... and forwarded there" 'nat66_has "2001:db8:66::50 . 2202"'

# --- THIRD_PARTY through a catch-all prefix --------------------------------
c2_routes 10.66.0.3/32,10.66.0.0/24,$C2_6/128,0.0.0.0/0
r=$(pmp c2 pcpmap tcp 22 0 600 third=203.0.113.2); echo "     $r"
check "THIRD_PARTY owned only through 0.0.0.0/0: NOT_AUTHORIZED" 'eq "$(field result "$r")" 2'
check "... and nothing points at the outside host" 'no_target 203.0.113.2'
check "c2 itself (its own /32) is still served" 'eq "$(field result "$(pmp c2 map tcp 9000 0 600)")" 0'
c2_routes 10.66.0.3/32,10.66.0.0/24,$C2_6/128

# --- 3. a host of c2's /24 given its own peer ---------------------------------
r=$(pmp c2 pcpmap tcp 2207 0 600 third=10.66.0.7)
check "c2 forwards to 10.66.0.7, a host of its /24" 'eq "$(field result "$r")" 0'
p1=$(field external "$(pmp c1 map tcp 8080 0 600)")
check "c1 holds a forward too (port $p1)" 'map_has gw "tcp . $p1 "'
wg_keypair d
in_ns gw wg set "$WG_GW" peer "$(cat "$TMPD/d.pub")" allowed-ips 10.66.0.7/32
check "a new peer with 10.66.0.7/32: c2's forward there is dropped at the next poll" \
	'wait_until 4 no_target 10.66.0.7'
check "... and c1's forward is untouched" 'map_has gw "tcp . $p1 "'

# --- 2. dual-stack services of the gateway ----------------------------------
# A service on [::] without IPV6_V6ONLY (Go's, Node's, Java's ":8080")
# accepts IPv4 on the external address: its port is the service's.
bg_ns gw socat TCP6-LISTEN:21010,ipv6only=0,reuseaddr,fork SYSTEM:"echo gw-service"
bg_ns gw socat UDP6-RECVFROM:21011,ipv6only=0,reuseaddr,fork SYSTEM:"echo gw-service"
wait_until 5 sh -c "ip netns exec $(ns gw) ss -6Hltn 'sport = :21010' | grep -q ."
wait_until 5 sh -c "ip netns exec $(ns gw) ss -6Hlun 'sport = :21011' | grep -q ."
r=$(pmp c1 map tcp 7010 21010 600); t=$(field external "$r")
check "c1 asking for 21010 (a dual-stack TCP listener's) gets a port" 'eq "$(field result "$r")" 0'
check "... not 21010 (got $t)" 'ne "$t" 21010'
r=$(pmp c1 map udp 7011 21011 600); u=$(field external "$r")
check "c1 asking for 21011 (a dual-stack UDP socket's) gets a port" 'eq "$(field result "$r")" 0'
check "... not 21011 (got $u)" 'ne "$u" 21011'
# (-t: after its own end of input, socat waits this long for the answer.)
service_answers() { eq "$(in_ns ext timeout 5 socat -t 3 -T 3 - TCP:$EXT:21010 </dev/null 2>/dev/null)" gw-service; }
check "the outside host still reaches the service on $EXT:21010" 'service_answers'
r=$(pmp c1 map tcp 7012 21012 600)
check "a free port is granted as suggested" 'eq "$(field external "$r")" 21012'
bg_ns gw socat TCP6-LISTEN:21012,ipv6only=0,reuseaddr,fork SYSTEM:"echo gw-service"
check "a dual-stack service that starts later on a mapped port gets it back" \
	'wait_until 3 map_lacks gw tcp 21012'
finish
