#!/bin/bash
# SPDX-License-Identifier: GPL-2.0-or-later
# UPnP IGD served by portgated (issue 24), in the WireGuard lab, with the
# real upnpc (miniupnpc): discovery over the tunnel, mappings on the one
# table NAT-PMP and PCP use, each peer seeing and touching only its own,
# and nothing for the outside (ext, or a source forged as a peer's).
# upnpc -i: the lab's external address is a documentation address, which
# upnpc would call "not connected" and stop at.
. "$(dirname "$0")/lib.sh"
. "$(dirname "$0")/lab.sh"
if ! command -v upnpc >/dev/null; then
	skip "UPnP served by portgated" "no upnpc (miniupnpc); scripts/install-deps installs it"
	finish; exit
fi
lab_up || exit 1
lab_policy <<YAML
upnp: { port: 5000, version: 2 }
metrics:
  listen: 127.0.0.1:9834
YAML
lab_start || exit 1
http_listening() { in_ns gw ss -Hltn "sport = :5000" | grep -q .; }
check "portgated listens for UPnP's HTTP on 5000/tcp" 'wait_until 5 http_listening'

# A client sends its search to the group through its tunnel: the group is
# in its allowed-ips for the gateway (a full tunnel has it anyway).
for n in c1 c2; do
	dev=$WG_C1; [ $n = c2 ] && dev=$WG_C2
	in_ns $n wg set "$dev" peer "$(cat "$TMPD/gw.pub")" \
		allowed-ips 10.66.0.0/24,203.0.113.0/24,239.255.255.250/32
done
metric() { in_ns gw curl -s http://127.0.0.1:9834/metrics | sed -n "s/^$1 //p"; }
answered() { metric 'portgate_upnp_searches_total{result="answered"}'; }
upnpc_on() { local n=$1 dev=$WG_C1; shift; [ $n = c2 ] && dev=$WG_C2
	in_ns $n timeout 20 upnpc -i -m "$dev" "$@" 2>&1; }

out=$(upnpc_on c1 -s)
echo "$out" | sed 's/^/     c1 -s: /'
check "upnpc on c1 finds the gateway's IGD through the tunnel (SSDP, description)" \
	'grep -q "IGD : http://$GWIN:5000/ctl/IPConn" <<<"$out"'
check "upnpc reads the external address" 'grep -q "ExternalIPAddress = $EXT" <<<"$out"'

out=$(upnpc_on c1 -e c1-web -a 10.66.0.2 8080 21000 TCP 600)
echo "$out" | sed 's/^/     c1 -a: /'
check "upnpc adds a TCP mapping 21000 -> c1:8080" \
	'grep -q "external $EXT:21000 TCP is redirected to internal 10.66.0.2:8080" <<<"$out"'
check "the kernel holds it" 'map_has gw "tcp . 21000 .*10.66.0.2 . 8080"'
out=$(upnpc_on c1 -a 10.66.0.2 8080 21000 UDP 600)
check "upnpc adds the UDP mapping of the same port" \
	'grep -q "external $EXT:21000 UDP is redirected to internal 10.66.0.2:8080" <<<"$out"'
echo_servers c1 8080 c1
check "TCP from ext reaches c1 through the UPnP mapping" 'tcp_says ext $EXT 21000 c1'
check "UDP from ext reaches c1 through the UPnP mapping" 'udp_says ext $EXT 21000 c1'

out=$(upnpc_on c1 -l)
echo "$out" | sed 's/^/     c1 -l: /'
check "upnpc -l lists the TCP mapping with its description" \
	'grep -qE "TCP +21000->10.66.0.2:8080 +.c1-web." <<<"$out"'
check "portgatectl lists it as via upnp" \
	'in_ns gw "$PWD/$BUILD/portgatectl" -s "$TMPD/control.sock" list | grep -q upnp'

# c2 neither sees nor deletes c1's mappings, nor maps to c1's address.
out=$(upnpc_on c2 -l)
echo "$out" | sed 's/^/     c2 -l: /'
check_not "c2's list does not show c1's mapping" 'grep -q "21000->" <<<"$out"'
out=$(upnpc_on c2 -d 21000 TCP)
check "c2 deleting c1's port gets NoSuchEntryInArray (714)" 'grep -q "714" <<<"$out"'
check "and c1's mapping stands" 'map_has gw "tcp . 21000 "'
out=$(upnpc_on c2 -a 10.66.0.2 9090 21001 TCP 600)
check "c2 mapping to c1's address is not authorized (606)" 'grep -q "606" <<<"$out"'
out=$(upnpc_on c2 -a 10.66.0.3 9090 21000 TCP 600)
check "c2 asking for c1's port gets ConflictInMappingEntry (718)" 'grep -q "718" <<<"$out"'

# NAT-PMP and UPnP share the one table.
r=$(pmp c1 map tcp 8080 0 600)
check "NAT-PMP sees the UPnP mapping (c1's 8080 is on 21000)" 'eq "$(field external "$r")" 21000'
r=$(pmp c1 map tcp 7000 0 600); np=$(field external "$r")
out=$(upnpc_on c1 -l)
check "UPnP lists the NAT-PMP mapping (port $np)" 'grep -qE "TCP +$np->10.66.0.2:7000" <<<"$out"'

out=$(upnpc_on c1 -d 21000 TCP)
check "upnpc deletes the TCP mapping" 'wait_until 2 map_lacks gw tcp 21000'
check "the UDP one stays" 'map_has gw "udp . 21000 "'

# IGD:2's calls (upnpc -L, -n, -N) and WANCommonInterfaceConfig (-s).
out=$(upnpc_on c1 -L)
echo "$out" | sed 's/^/     c1 -L: /'
check "upnpc -L lists c1's UDP mapping (GetListOfPortMappings)" \
	'grep -qE "UDP +21000->10.66.0.2:8080" <<<"$out"'
out=$(upnpc_on c1 -n 10.66.0.2 8082 21000 TCP 600)
echo "$out" | sed 's/^/     c1 -n: /'
any=$(sed -n 's/.*external [0-9.]*:\([0-9]*\) TCP is redirected to internal 10.66.0.2:8082.*/\1/p' <<<"$out")
check "upnpc -n gets a port through AddAnyPortMapping ($any)" 'map_has gw "tcp . $any .*10.66.0.2 . 8082"'
out=$(upnpc_on c1 -N 20000 29999 TCP)
check "upnpc -N deletes c1's TCP mappings in a range (DeletePortMappingRange)" \
	'wait_until 2 map_lacks gw tcp "$any"'
check "and leaves its UDP one" 'map_has gw "udp . 21000 "'
check "a success counted in portgate_upnp_actions_total" \
	'ge "$(metric "portgate_upnp_actions_total{result=\"0\"}")" 8'

# The outside gets no SSDP answer: a unicast search to each gateway
# address, plain and forged with c1's address as its source (the answer
# would go to c1 through the tunnel, so the gateway's count tells). A
# multicast search on ext's link reaches nothing: the group is joined on
# the WireGuard interface only.
msearch() { printf 'M-SEARCH * HTTP/1.1\r\nHOST: 239.255.255.250:1900\r\nMAN: "ssdp:discover"\r\nMX: 1\r\nST: ssdp:all\r\n\r\n'; }
in_ns ext ip addr add 10.66.0.2/32 dev eth0
in_ns ext ip route add $GWIN/32 via $EXT
before=$(answered)
for dst in $EXT $GWIN; do
	msearch | in_ns ext socat -u - UDP-SENDTO:$dst:1900,bind=203.0.113.2
	msearch | in_ns ext socat -u - UDP-SENDTO:$dst:1900,bind=10.66.0.2
done
# A real search after the forged ones: the count grows by it alone.
msearch | in_ns c1 socat -u - UDP-SENDTO:$GWIN:1900
answered_by() { [ "$(answered)" -ge "$1" ]; }
wait_until 5 answered_by $((before + 1))
check "searches from outside the tunnel (forged as c1's too) are not answered" \
	'eq "$(answered)" "$((before + 1))"'

# ... and cannot reach the control URL: the kernel's guard drops the HTTP
# port to the tunnel address from any other interface.
guard_tcp() { in_ns gw nft list chain ip portgate input | sed -n 's/.*tcp dport 5000 .*counter packets \([0-9]*\).*/\1/p'; }
ext_get() { in_ns ext curl -s -m 3 --interface "$2" -o /dev/null -w '%{http_code}' "http://$1:5000/rootDesc.xml"; }
check "the input chain guards 5000/tcp beside 5351/udp" '[ -n "$(guard_tcp)" ]'
check_not "ext cannot fetch the description at the tunnel address" 'eq "$(ext_get $GWIN 203.0.113.2)" 200'
check_not "nor with c1's address as its source" 'eq "$(ext_get $GWIN 10.66.0.2)" 200'
check "the kernel's guard dropped those connections" 'ge "$(guard_tcp)" 2'
check_not "ext cannot fetch it at the external address" 'eq "$(ext_get $EXT 203.0.113.2)" 200'
check "c1 can" 'eq "$(in_ns c1 curl -s -m 3 -o /dev/null -w "%{http_code}" http://$GWIN:5000/rootDesc.xml)" 200'

# Descriptions are served within the peer's rate (50/s, bursts of 100 in
# the lab), as searches and calls are: a flood on one connection meets
# 503, and the peer is answered again once its rate allows.
c1_get() { in_ns c1 curl -s -m 3 -o /dev/null -w '%{http_code}\n' "$@"; }
flood=$(c1_get $(for _ in $(seq 1 300); do echo "http://$GWIN:5000/rootDesc.xml"; done))
check "the first of 300 description GETs in a row is answered" 'eq "$(head -n 1 <<<"$flood")" 200'
check "past c1's rate they get 503" 'grep -qx 503 <<<"$flood"'
answered_again() { eq "$(c1_get "http://$GWIN:5000/rootDesc.xml")" 200; }
check "c1 is answered again after" 'wait_until 3 answered_again'

# A restart adopts the UPnP mapping as UPnP (the kernel comment); its
# description was in memory only.
upnpc_on c1 -e kept -a 10.66.0.2 8090 21010 TCP 600 >/dev/null
lab_stop
lab_start || exit 1
wait_until 5 http_listening
check "after a restart portgatectl still lists c1's 21010 as via upnp" \
	'in_ns gw "$PWD/$BUILD/portgatectl" -s "$TMPD/control.sock" list | grep -E "upnp" | grep -q 21010'
out=$(upnpc_on c1 -l)
check "and upnpc lists it, its description empty" 'grep -qE "TCP +21010->10.66.0.2:8090 +.." <<<"$out"'

# libtorrent with only UPnP: a mapping for its listen port (in the lab's
# port range: a port outside it is 718, on which libtorrent 2.0 gives up),
# reachable from ext while it runs.
if ! /usr/bin/python3 -c 'import libtorrent' 2>/dev/null; then
	skip "libtorrent (UPnP only) through portgated" "no python3-libtorrent"
else
	LT="$TMPD/libtorrent.out"
	bg_ns c1 timeout 60 /usr/bin/python3 "$PWD/tests/netns/lt_upnp.py" 10.66.0.2 26881 20 >"$LT" 2>&1
	wait_until 40 grep -q '^ready' "$LT"
	sed 's/^/     libtorrent: /' "$LT"
	check "libtorrent (UPnP only) maps its TCP port through portgated" 'grep -q "^mapped 26881 .*tcp" "$LT"'
	check "and its UDP port" 'grep -q "^mapped 26881 .*udp" "$LT"'
	check "the kernel forwards 26881 to c1" 'map_has gw "tcp . 26881 .*10.66.0.2 . 26881"'
	check "ext connects to libtorrent through it" \
		'in_ns ext timeout 5 socat -u /dev/null TCP:$EXT:26881,connect-timeout=3'
fi

# A peer removed from the interface loses its UPnP mappings.
in_ns gw wg set "$WG_GW" peer "$C1_KEY" remove
check "c1's UPnP mappings go with the peer" 'wait_until 5 map_lacks gw udp 21000'
check "and the adopted one too" 'map_lacks gw tcp 21010'
finish
