#!/bin/bash
# SPDX-License-Identifier: GPL-2.0-or-later
# portgated end to end with the real natpmpc client and real WireGuard.
# natpmpc -a PUBLIC PRIVATE PROTO LIFETIME: PUBLIC is only a suggestion.
. "$(dirname "$0")/lib.sh"
. "$(dirname "$0")/lab.sh"
lab_up || exit 1
lab_start || exit 1

natpmpc_c1() { in_ns c1 timeout 10 natpmpc -g $GWIN "$@" 2>&1; }
out=$(natpmpc_c1)
echo "$out" | sed 's/^/     /'
check "natpmpc op 0 reports the external address" 'grep -q "Public IP address : $EXT" <<<"$out"'

out=$(natpmpc_c1 -a 0 8080 tcp 60)
echo "$out" | sed 's/^/     /'
port=$(echo "$out" | sed -n 's/.*Mapped public port \([0-9]*\) protocol TCP to local port 8080.*/\1/p')
check "natpmpc gets a TCP mapping" '[ -n "$port" ]'
echo_servers c1 8080 c1
check "a connection from ext reaches c1 through the forwarded port" 'tcp_says ext $EXT "$port" c1'

out=$(natpmpc_c1 -a 0 8080 udp 60)
uport=$(echo "$out" | sed -n 's/.*Mapped public port \([0-9]*\) protocol UDP to local port 8080.*/\1/p')
check "natpmpc gets the same port for UDP ($uport)" 'eq "$uport" "$port"'
check "UDP from ext reaches c1 through the forwarded port" 'udp_says ext $EXT "$port" c1'
check "the mapping is one element of the map" 'map_has gw "tcp . $port "'

out=$(natpmpc_c1 -a 0 8080 tcp 0)
check "natpmpc deletes the TCP mapping" 'map_lacks gw tcp "$port"'
check_not "and the forward is gone" 'tcp_says ext $EXT "$port" c1'
check "UDP mapping untouched by the TCP delete" 'udp_says ext $EXT "$port" c1'

natpmpc_c1 -a 0 9000 udp 60 >/dev/null
natpmpc_c1 -a 0 9001 udp 60 >/dev/null
natpmpc_c1 -a 0 9002 tcp 60 >/dev/null
out=$(natpmpc_c1 -a 0 0 udp 0)
udp_left() { ip netns exec "$(ns gw)" nft list map ip portgate forwards | grep -c 'udp \.' ; }
tcp_left() { ip netns exec "$(ns gw)" nft list map ip portgate forwards | grep -c 'tcp \.' ; }
check "delete-all for UDP removed every UDP mapping" '[ "$(udp_left)" = 0 ]'
check "and left the TCP one" '[ "$(tcp_left)" = 1 ]'
check "the daemon logged the creation" 'grep -q "mapping created: peer" "$DLOG"'
finish
