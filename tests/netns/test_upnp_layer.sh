#!/bin/bash
# SPDX-License-Identifier: GPL-2.0-or-later
# The UPnP protocol layer (src/upnp) judged by real clients before the
# daemon serves it: upnpc (miniupnpc) and libtorrent against
# tests/netns/upnplayer (the layer on sockets, mappings in memory; no
# kernel, no WireGuard), for IGD v2 and v1, across a veth pair.
. "$(dirname "$0")/lib.sh"
if ! command -v upnpc >/dev/null; then
	skip "UPnP layer with real clients" "no upnpc (miniupnpc); scripts/install-deps installs it"
	finish; exit
fi
GW=192.0.2.1 C1=192.0.2.2
mkns gw
mkns c1
veth gw "u$PG_ID" $GW/24 c1 "c$PG_ID" $C1/24
in_ns c1 ip route add default via $GW

start_layer() {	# VERSION: what it served goes beside this test's log
	LOG="${TESTLOG:-$BUILD/tests/netns}/test_upnp_layer.v$1.log"
	mkdir -p "$(dirname "$LOG")"
	bg_ns gw "$BUILD/tests/netns/upnplayer" $GW 5000 "u$PG_ID" "$1" >"$LOG"
	wait_until 5 grep -q '^ready' "$LOG"
}
stop_layer() { kill "${BG_PIDS##* }" 2>/dev/null; }
# -i: upnpc calls an IGD whose external address is reserved (203.0.113.7,
# a documentation address) "not connected?" and would stop there.
upnpc_c1() { in_ns c1 timeout 20 upnpc -i -m "c$PG_ID" "$@" 2>&1; }
served() { grep -c -- "$1" "$LOG"; }

# ---- IGD v2 ----------------------------------------------------------------
start_layer 2 || { record "upnplayer starts" 1; finish; exit; }
out=$(upnpc_c1 -s)
echo "$out" | sed 's/^/     v2 -s: /'
check "upnpc finds the IGD from our SSDP answer and description" 'grep -q "IGD : http://$GW:5000/ctl/IPConn" <<<"$out"'
check "upnpc reads the external address" 'grep -q "ExternalIPAddress = 203.0.113.7" <<<"$out"'
check "upnpc reads the link properties (WANCommonInterfaceConfig)" 'grep -q "MaxBitRateDown : 1000000000 bps" <<<"$out"'
check "upnpc reads the status as connected" 'grep -q "Status : Connected" <<<"$out"'

out=$(upnpc_c1 -e portgate-test -a $C1 8080 40000 TCP 3600)
echo "$out" | sed 's/^/     v2 -a: /'
check "upnpc adds a TCP mapping" 'grep -q "external 203.0.113.7:40000 TCP is redirected to internal $C1:8080 (duration=3600)" <<<"$out"'
out=$(upnpc_c1 -a $C1 8081 40001 UDP)
check "upnpc adds a UDP mapping with lease 0 (given the maximum)" 'grep -q "external 203.0.113.7:40001 UDP is redirected to internal $C1:8081 (duration=604800)" <<<"$out"'

out=$(upnpc_c1 -l)
echo "$out" | sed 's/^/     v2 -l: /'
check "upnpc -l lists the TCP mapping (GetGenericPortMappingEntry)" 'grep -qE "TCP +40000->$C1:8080 +.portgate-test. .. 3600" <<<"$out"'
check "upnpc -l lists the UDP mapping" 'grep -qE "UDP +40001->$C1:8081" <<<"$out"'

out=$(upnpc_c1 -L)
echo "$out" | sed 's/^/     v2 -L: /'
check "upnpc -L lists through GetListOfPortMappings" 'grep -qE "TCP +40000->$C1:8080 .*portgate-test" <<<"$out"'

out=$(upnpc_c1 -n $C1 8082 40000 TCP 600)
echo "$out" | sed 's/^/     v2 -n: /'
check "upnpc -n gets a port through AddAnyPortMapping" 'grep -qE "external 203.0.113.7:[0-9]+ TCP is redirected to internal $C1:8082" <<<"$out"'

out=$(upnpc_c1 -d 40000 TCP)
check "upnpc deletes the TCP mapping" 'eq "$(served "DeletePortMapping: 0")" 1'
out=$(upnpc_c1 -l)
check_not "and -l no longer lists it" 'grep -qE "TCP +40000->" <<<"$out"'
out=$(upnpc_c1 -d 40000 TCP)
check "deleting it again is NoSuchEntryInArray (714)" 'grep -q "714" <<<"$out"'

out=$(upnpc_c1 -N 40000 40010 UDP)
check "upnpc -N deletes a range (DeletePortMappingRange)" 'eq "$(served "DeletePortMappingRange: 0")" 1'
out=$(upnpc_c1 -l)
check_not "and the UDP mapping in it is gone" 'grep -qE "UDP +40001->" <<<"$out"'

# upnpc 2.2.4 sends its description unescaped: a strict parser refuses it
# with a clear error and adds nothing.
out=$(upnpc_c1 -e 'a <b>' -a $C1 8083 40005 TCP 60)
check "an unescaped description is refused (402)" 'grep -q "402" <<<"$out"'
out=$(upnpc_c1 -l)
check_not "and nothing was added" 'grep -qE "TCP +40005->" <<<"$out"'
stop_layer

# ---- IGD v1 ----------------------------------------------------------------
start_layer 1 || { record "upnplayer starts (v1)" 1; finish; exit; }
out=$(upnpc_c1 -a $C1 8080 40000 TCP 3600)
check "v1: upnpc adds a mapping" 'grep -q "external 203.0.113.7:40000 TCP is redirected to internal $C1:8080" <<<"$out"'
out=$(upnpc_c1 -L)
check "v1: GetListOfPortMappings (v2 only) is Invalid Action (401)" 'ge "$(served "GetListOfPortMappings: 401")" 1'

# libtorrent 2.0 with only UPnP: a mapping for its listen port, TCP and UDP.
out=$(in_ns c1 timeout 40 /usr/bin/python3 "$PWD/tests/netns/lt_upnp.py" "$C1" 6881 2>&1)
echo "$out" | sed 's/^/     libtorrent: /'
check "libtorrent (UPnP only) maps its TCP port through the layer" 'grep -q "^mapped 6881 .*tcp" <<<"$out"'
check "libtorrent maps its UDP port" 'grep -q "^mapped 6881 .*udp" <<<"$out"'
stop_layer
finish
