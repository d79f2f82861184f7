#!/bin/bash
# SPDX-License-Identifier: GPL-2.0-or-later
# external.advertise: the box sits behind a 1:1 NAT, so clients are told
# another address than its interface's (natpmpc's op 0, portgatectl status,
# PCP over IPv6 with nat66), while forwards keep matching the interface's
# address.
. "$(dirname "$0")/lib.sh"
. "$(dirname "$0")/lab.sh"
ADV=192.0.2.7
ADV6=2001:db8:e::77
LAB_ADVERTISE=$ADV lab_up || exit 1
lab_ipv6 || exit 1
printf 'ipv6:\n  mode: nat66\n  external: { advertise: "%s" }\n' $ADV6 |
	LAB_ADVERTISE=$ADV lab_policy
lab_start || exit 1
CTL="$PWD/$BUILD/portgatectl"

natpmpc_c1() { in_ns c1 timeout 10 natpmpc -g $GWIN "$@" 2>&1; }
out=$(natpmpc_c1)
echo "$out" | sed 's/^/     /'
check "natpmpc op 0 reports the advertised address" 'grep -q "Public IP address : $ADV" <<<"$out"'
check_not "and not the interface's" 'grep -q "Public IP address : $EXT" <<<"$out"'

out=$(natpmpc_c1 -a 0 8080 tcp 60)
port=$(echo "$out" | sed -n 's/.*Mapped public port \([0-9]*\) protocol TCP to local port 8080.*/\1/p')
check "natpmpc gets a TCP mapping" '[ -n "$port" ]'
echo_servers c1 8080 c1
check "a connection from ext to the interface's address is forwarded to c1" \
	'tcp_says ext $EXT "$port" c1'

status=$(in_ns gw "$CTL" -s "$TMPD/control.sock" status)
echo "$status" | sed 's/^/     /'
check "status tells the advertised address" 'grep -q "^external address: $ADV$" <<<"$status"'
check "and the address forwards match" 'grep -q "^forwards match:   $EXT$" <<<"$status"'
check "the kernel's rule matches the interface's address" \
	'in_ns gw nft list set ip portgate external | grep -q "$EXT"'

# nat66: PCP over IPv6 is told ipv6.external.advertise; DNAT still matches
# the interface's IPv6 address.
in_ns ext ip -6 route del 2001:db8:66::/64	# only DNAT reaches the tunnel
check "portgated listens on the tunnel's IPv6 address" 'wait_until 5 daemon_listening6'
r=$(pmp6 c1 pcpmap tcp 7000 0 600); echo "     $r"
e=$(field external "$r")
check "[nat66] MAP over IPv6 gets a port ($e)" 'in_range "$e" 20000 29999'
check "[nat66] told the advertised IPv6 address" 'eq "$(field extaddr "$r")" $ADV6'
echo_servers6 c1 7000 c1
check "[nat66] TCP from outside to the interface's [$EXT6]:$e reaches c1" \
	'tcp_says ext "[$EXT6]" "$e" c1'
finish
