#!/bin/bash
# SPDX-License-Identifier: GPL-2.0-or-later
# IPv6 peers over real WireGuard, asked for with PCP (libtorrent's IPv6
# sockets speak PCP only), each forward proven by traffic from the outside
# host over IPv6:
#   routed: the peer's own global address gets a pinhole (no NAT, external
#     port = internal port), through the admin's own drop-by-default IPv6
#     filter by its one rule that honours our mark;
#   nat66: DNAT from the external interface's IPv6 address, like IPv4.
# Also: the arrival check on the IPv6 socket, NAT-PMP not heard on IPv6, two
# peers opening the same port, deletes, a restart keeping the pinholes, a
# peer's removal and an allowed-ip's loss closing them.
. "$(dirname "$0")/lib.sh"
. "$(dirname "$0")/lab.sh"
CTL="$PWD/$BUILD/portgatectl"
LT_PY=/usr/bin/python3
LT_CLIENT="$PWD/tests/netns/lt_client.py"

check "python3-libtorrent is installed (scripts/install-deps)" '$LT_PY -c "import libtorrent" 2>/dev/null'
[ "$TESTS_FAILED" = 0 ] || { finish; exit 1; }

lab_up || exit 1
lab_ipv6 || exit 1
lab_policy_ipv6 routed
lab_start || exit 1
ctl() { in_ns gw "$CTL" -s "$TMPD/control.sock" "$@"; }
metric() { in_ns gw curl -s http://127.0.0.1:9834/metrics | sed -n "s/^$1 //p"; }
reloads() { grep -c "policy reloaded" "$DLOG"; }
# tcp6_connects ADDR PORT: a TCP connection from the outside host is accepted.
tcp6_connects() { in_ns ext timeout 5 socat -u /dev/null "TCP6:[$1]:$2,connect-timeout=3" 2>/dev/null; }
stop_pid() { kill "$1" 2>/dev/null; wait_until 15 gone "$1"; }

# The admin's own IPv6 filter: forwarding dropped unless established, and
# the one rule docs/operations.md asks for.
lab_admin_filter6
check "portgated listens on the tunnel's IPv6 address" 'wait_until 5 daemon_listening6'

# An IPv4-mapped IPv6 address on the tunnel (the kernel lets an interface
# hold one; RFC 4291 keeps it off): in the daemon's one address form it is
# IPv4, so it stays out of the ip6 guard set, and a global address added
# beside it still goes in.
tunnel6_has() { in_ns gw nft list set ip6 portgate tunnel | grep -q -- "$1"; }
in_ns gw ip -6 addr add ::ffff:192.0.2.99/128 dev "$WG_GW" nodad
in_ns gw ip -6 addr add 2001:db8:66::99/128 dev "$WG_GW" nodad
check "a new tunnel IPv6 address joins the ip6 guard set beside an IPv4-mapped one" \
	'wait_until 5 tunnel6_has 2001:db8:66::99'
check_not "... the IPv4-mapped one does not" 'tunnel6_has "::ffff:"'
check_not "... and setting the set never failed" 'grep -q "cannot set the tunnel" "$DLOG"'
in_ns gw ip -6 addr del ::ffff:192.0.2.99/128 dev "$WG_GW"
in_ns gw ip -6 addr del 2001:db8:66::99/128 dev "$WG_GW"
check "... and leaves it when removed" 'wait_until 5 eval "! tunnel6_has 2001:db8:66::99"'

# --- PCP over IPv6, routed ------------------------------------------------
r=$(pmp6 c1 announce); echo "     $r"
check "ANNOUNCE over IPv6 is answered" 'eq "$(field result "$r")" 0'
r=$(pmp6 c1 op0); echo "     $r"
check "NAT-PMP over IPv6 gets no answer (RFC 6886 is IPv4 only)" 'eq "$r" timeout'
r=$(pmp6 c1 pcpmap tcp 7000 0 600); echo "     $r"
check "MAP over IPv6 succeeds" 'eq "$(field result "$r")" 0'
check "routed: the external port is the internal port" 'eq "$(field external "$r")" 7000'
check "routed: the external address is c1's own" 'eq "$(field extaddr "$r")" $C1_6'
check "the pinhole set holds c1's address . tcp . 7000" 'pinhole_has "$C1_6 . tcp . 7000 "'
echo_servers6 c1 7000 c1
echo_servers6 c1 7001 c1
check "TCP from outside to [c1]:7000 passes the admin's filter by the mark" \
	'wait_until 5 tcp_says ext "[$C1_6]" 7000 c1'
check_not "TCP to [c1]:7001, which has no pinhole, stays dropped" 'tcp_says ext "[$C1_6]" 7001 c1'
r=$(pmp6 c2 pcpmap tcp 7000 0 600)
check "c2 opens the same port 7000 on its own address" 'eq "$(field external "$r")" 7000'
check "... a pinhole of its own" 'pinhole_has "$C2_6 . tcp . 7000 "'
ctl list | sed 's/^/     /'
check "portgatectl list shows the family" 'ctl list | grep -qE "ipv6 +dynamic +pcp +tcp +7000 +\[$C1_6\]:7000 "'
check "list --json says family ipv6, path routed" 'ctl --json list | grep -q "\"path\": \"routed\""'
check "metrics count the two routed IPv6 TCP mappings made through PCP" \
	'eq "$(metric "portgate_client_mappings{family=\"ipv6\",path=\"routed\",via=\"pcp\",protocol=\"tcp\"}")" 2'
r=$(in_ns ext "$PMP" $GW6 pcpmap tcp 7002 0 600)
check "a PCP request to the tunnel's IPv6 address from outside gets no answer" 'eq "$r" timeout'
check_not "... and opens nothing" 'pinholes | grep -q "tcp . 7002"'
# IPv6 has no rp_filter: a host outside may send with c2's address as its
# source. Only the arrival check (the ip6 guard rule, then IPV6_PKTINFO)
# keeps it from speaking for c2.
in_ns ext ip -6 addr add $C2_6/128 dev eth0 nodad
r=$(in_ns ext "$PMP" -b $C2_6 $GW6 pcpmap tcp 7003 0 600)
check "a forged request with c2's IPv6 address from outside gets no answer" 'eq "$r" timeout'
check_not "... and opens nothing for c2" 'pinholes | grep -q "tcp . 7003"'
guard_counted() { in_ns gw nft list chain ip6 portgate input | grep -qE "counter packets [1-9]"; }
check "... the ip6 guard rule counted it" 'guard_counted'
in_ns ext ip -6 addr del $C2_6/128 dev eth0
conn_open ext "[$C1_6]" 7000
check "an established TCP flow through the pinhole passes data" 'line_through c1 one'
r=$(pmp6 c1 pcpmap tcp 7000 0 0)
check "a PCP delete over IPv6 succeeds" 'eq "$(field result "$r")" 0'
check "... and closes the pinhole" 'pinhole_lacks "$C1_6 . tcp . 7000 "'
check_not "... so TCP to [c1]:7000 is dropped again" 'tcp_says ext "[$C1_6]" 7000 c1'
ct_cut() { ! line_through c1 two; }
check "... and the established flow is cut (its conntrack entry went with it)" 'wait_until 5 ct_cut'
kill "${CONN_PID:-}" 2>/dev/null
check "c2's pinhole for 7000 stays" 'pinhole_has "$C2_6 . tcp . 7000 "'

# --- libtorrent on IPv6, routed ------------------------------------------
log="$TMPD/lt.routed.log"
ip netns exec "$(ns c1)" "$LT_PY" "$LT_CLIENT" 6881 90 :: >"$log" 2>&1 &
lt_pid=$!; BG_PIDS="$BG_PIDS $lt_pid"
check "[routed] libtorrent: a portmap_alert for its IPv6 TCP listen port" 'wait_until 20 lt_mapped'
grep -E "transport: PCP|^portmap " "$log" | head -n 4 | sed 's/^/     /'
check "[routed] libtorrent's mapping came through PCP" 'grep -q "<== port map \[ transport: PCP protocol: tcp" "$log"'
e=$(lt_port)
check "[routed] the port granted is its listen port 6881 ($e)" 'eq "$e" 6881'
check "[routed] the pinhole holds c1 . tcp . 6881" 'pinhole_has "$C1_6 . tcp . 6881 "'
check "[routed] from outside, TCP to [c1]:6881 reaches libtorrent" 'tcp6_connects $C1_6 6881'
lt_udp() { grep -q "^portmap 6881 udp natpmp" "$log"; }
check "[routed] its UDP mapping too" 'wait_until 10 lt_udp'

# A restart keeps the pinholes (the table persists while the daemon is down),
# and the restarted gateway announces itself to each peer's IPv6 /128.
in_ns c1 "$PMP" $GW6 listen 4 >"$TMPD/announce6" 2>&1 &
ANN=$!
wait_until 3 sh -c "ip netns exec $(ns c1) ss -6Hlun 'sport = :5350' | grep -q ."
lab_stop
# Persistent (6.9+) or un-owned (before), the table outlives the daemon.
check "[routed] with portgated stopped, the pinhole is still in the kernel" 'pinhole_has "$C1_6 . tcp . 6881 "'
check "[routed] ... and TCP still reaches libtorrent" 'tcp6_connects $C1_6 6881'
lab_start || exit 1
wait "$ANN"
check "[routed] the restarted gateway sends c1 a PCP ANNOUNCE over IPv6" \
	'grep -q "size=24 .*version=2 op=128 result=0" "$TMPD/announce6"'
adopted() { ctl list | grep -qE "ipv6 +dynamic +pcp +tcp +6881 +\[$C1_6\]:6881 "; }
check "[routed] the restarted daemon adopted libtorrent's pinhole" 'adopted'
check "[routed] and c2's" 'ctl list | grep -qE "ipv6 +dynamic +pcp +tcp +7000 +\[$C2_6\]:7000 "'
stop_pid "$lt_pid"
check "[routed] libtorrent's session end closes its pinhole" 'wait_until 5 pinhole_lacks "$C1_6 . tcp . 6881 "'

# A vanished peer's pinholes go; so do those of an allowed-ip a peer lost.
r=$(pmp c1 map tcp 8080 0 600)
e4=$(field external "$r")
r=$(pmp6 c1 pcpmap tcp 7200 0 600)
check "c1 holds an IPv6 pinhole and an IPv4 mapping" 'pinhole_has "$C1_6 . tcp . 7200 "'
in_ns gw wg set "$WG_GW" peer "$C1_KEY" allowed-ips 10.66.0.2/32
check "c1's IPv6 allowed-ip taken away closes its pinhole" 'wait_until 5 pinhole_lacks "$C1_6 . tcp . 7200 "'
check "... and leaves its IPv4 mapping" 'map_has gw "tcp . $e4 "'
in_ns gw wg set "$WG_GW" peer "$C1_KEY" allowed-ips 10.66.0.2/32,$C1_6/128
r=$(pmp c2 map udp 9000 0 600)
e2=$(field external "$r")
check "c2 holds an IPv4 mapping beside its IPv6 pinhole" 'map_has gw "udp . $e2 "'
txns=$(metric portgate_nft_transactions_total)
in_ns gw wg set "$WG_GW" peer "$C2_KEY" remove
check "c2's removal closes its pinholes" 'wait_until 5 pinhole_lacks "$C2_6 . "'
check "... and its IPv4 mapping" 'map_lacks gw udp "$e2"'
check "... both tables changed in one transaction" 'eq "$(metric portgate_nft_transactions_total)" $((txns + 1))'

# --- nat66 ------------------------------------------------------------------
n=$(reloads)
lab_policy_ipv6 nat66
kill -HUP "$DAEMON_PID"
reloaded() { [ "$(reloads)" -gt "$n" ]; }
check "[nat66] the policy is in force" 'wait_until 5 reloaded'
# Nothing routes the tunnel's addresses from outside now: only DNAT reaches.
in_ns ext ip -6 route del 2001:db8:66::/64
r=$(pmp6 c1 pcpmap tcp 7000 0 600); echo "     $r"
e=$(field external "$r")
check "[nat66] MAP over IPv6 gets a port of the range ($e)" 'in_range "$e" 20000 29999'
check "[nat66] at the external interface's IPv6 address" 'eq "$(field extaddr "$r")" $EXT6'
check "[nat66] the ip6 map sends it to c1's port 7000" 'nat66_has "tcp . $e .*: $C1_6 . 7000"'
check "[nat66] from outside, TCP to [$EXT6]:$e reaches c1 through the admin's filter" \
	'wait_until 5 tcp_says ext "[$EXT6]" "$e" c1'

# Only a change of the external IPv6 address is announced (RFC 6887
# §14.1.3): another address on the interface (listed first by the kernel)
# changes nothing. A restart with c1 listening; each window falls in the
# 16 s the start's schedule is silent after its 7th round (lab.sh).
ANNF="$TMPD/announce.nat66"
lab_stop
ann_listen "$ANNF" $GW6
lab_start || exit 1
check "[nat66] c1 hears the start's announcements up to the 7th round" 'wait_until 25 ann_rounds_reach "$ANNF" 7'
n=$(ann_after "$ANNF" 2 in_ns gw ip -6 addr add 2001:db8:e::7/64 dev eth0 nodad)
check "[nat66] another IPv6 address on the external interface: no announcement within 2 s" 'eq "$n" 0'
r=$(pmp6 c1 pcpmap tcp 7000 0 600)
check "[nat66] ... MAP still answers the external address $EXT6" 'eq "$(field extaddr "$r")" $EXT6'
n=$(ann_after "$ANNF" 2 in_ns gw ip -6 addr del $EXT6/64 dev eth0)
check "[nat66] the external IPv6 address gone: announced within the same 2 s window" 'ge "$n" 1'
r=$(pmp6 c1 pcpmap tcp 7000 0 600)
check "[nat66] ... MAP answers the remaining address" 'eq "$(field extaddr "$r")" 2001:db8:e::7'
kill "$ANN_PID" 2>/dev/null
in_ns gw ip -6 addr add $EXT6/64 dev eth0 nodad
in_ns gw ip -6 addr del 2001:db8:e::7/64 dev eth0
ext6_back() { eq "$(field extaddr "$(pmp6 c1 pcpmap tcp 7000 0 600)")" $EXT6; }
check "[nat66] ... and $EXT6 again once it is the only one" 'wait_until 5 ext6_back'

log="$TMPD/lt.nat66.log"
ip netns exec "$(ns c1)" "$LT_PY" "$LT_CLIENT" 6881 90 :: >"$log" 2>&1 &
lt_pid=$!; BG_PIDS="$BG_PIDS $lt_pid"
check "[nat66] libtorrent: a portmap_alert for its IPv6 TCP listen port" 'wait_until 20 lt_mapped'
check "[nat66] ... through PCP" 'grep -q "<== port map \[ transport: PCP protocol: tcp" "$log"'
e=$(lt_port)
check "[nat66] the granted port $e is in the policy's range" 'in_range "$e" 20000 29999'
check "[nat66] the ip6 map sends it to libtorrent's listen port 6881" 'nat66_has "tcp . $e .*: $C1_6 . 6881"'
check "[nat66] from outside, TCP to [$EXT6]:$e reaches libtorrent" 'tcp6_connects $EXT6 "$e"'
check_not "[nat66] c1's own address is not reachable from outside" 'tcp6_connects $C1_6 6881'
check "[nat66] portgatectl lists it as IPv6 through NAT" \
	'ctl --json list | grep -q "\"path\": \"nat\""'
stop_pid "$lt_pid"
check "[nat66] libtorrent's session end deletes its mapping" \
	'wait_until 5 eval "! nat66_has \"tcp . $e \""'
check "PCP MAP successes are counted" 'ge "$(metric "portgate_pcp_requests_total{opcode=\"map\",result=\"success\"}")" 4'
finish
