#!/bin/bash
# SPDX-License-Identifier: GPL-2.0-or-later
# external.advertise: the box sits behind a 1:1 NAT, so clients are told
# another address than its interface's (natpmpc's op 0, portgatectl status),
# while forwards keep matching the interface's address.
. "$(dirname "$0")/lib.sh"
. "$(dirname "$0")/lab.sh"
ADV=192.0.2.7
LAB_ADVERTISE=$ADV lab_up || exit 1
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
finish
