#!/bin/bash
# SPDX-License-Identifier: GPL-2.0-or-later
# Operating portgated: portgatectl against the real mappings, metrics scraped
# with curl, the daemon with CAP_NET_ADMIN alone, and the documented recipe
# for a firewall whose forward policy is drop.
. "$(dirname "$0")/lib.sh"
. "$(dirname "$0")/lab.sh"
CTL="$PWD/$BUILD/portgatectl"
lab_up || exit 1
lab_policy <<YAML
metrics:
  listen: 127.0.0.1:9834
YAML
lab_start || exit 1
ctl() { in_ns gw "$CTL" -s "$TMPD/control.sock" "$@"; }

p1=$(field external "$(pmp c1 map tcp 8080 0 600)")
pmp c1 map udp 8080 0 600 >/dev/null
p2=$(field external "$(pmp c2 map udp 5000 0 300)")
ctl status | sed 's/^/     /'
st=$(ctl status)
check "status: the external address" 'grep -q "external address: $EXT" <<<"$st"'
check "status: the mapping counts" 'grep -q "mappings: *2 udp, 1 tcp" <<<"$st"'
ctl list | sed 's/^/     /'
check "list shows c1's TCP mapping with its target" 'ctl list | grep -qE "tcp +$p1 +10.66.0.2:8080 "'
json=$(ctl --json list)
n_json=$(grep -c '"external_port"' <<<"$json")
n_kernel=$(in_ns gw nft list map ip portgate forwards | grep -oE '(tcp|udp) \. [0-9]+ ' | wc -l)
check "list --json has as many mappings as the kernel map ($n_kernel)" '[ "$n_json" = "$n_kernel" ]'
check "list --json names c2's port" 'grep -q "\"external_port\": $p2" <<<"$json"'
ctl peers | sed 's/^/     /'
check "peers lists both peers with their allowed-ips" '[ "$(ctl peers | grep -c "10.66.0.[23]/32")" = 2 ]'

check "drop tcp/$p1 answers: dropped 1" 'ctl drop "tcp/$p1" | grep -q "dropped 1"'
check "(gone from the map)" 'map_lacks gw tcp "$p1"'
check "drop PEER answers: dropped 1 (all of c2's mappings)" 'ctl drop "$C2_KEY" | grep -q "dropped 1"'
check "(gone from the map)" 'map_lacks gw udp "$p2"'
ctl drop nonsense >/dev/null 2>&1; rc=$?
check "a bad drop is refused with exit 1" '[ "$rc" = 1 ]'
printf 'peers:\n  "%s": { deny: true, name: c1-laptop }\n' "$C1_KEY" >>"$CONF"
check "reload through portgatectl applies the policy" 'ctl reload | grep -q reloaded'
check "(c1's remaining mapping was denied and dropped)" 'map_lacks gw udp "$p1"'
name_of() { ctl peers | awk -v k="$1" '$1 == k { print $2 }'; }
check "peers shows c1's name from the policy" 'eq "$(name_of "$C1_KEY")" c1-laptop'
check "and c2 without one" 'eq "$(name_of "$C2_KEY")" -'
lab_policy <<YAML
metrics:
  listen: 127.0.0.1:9834
YAML
ctl reload >/dev/null

# Metrics, checked against what happened.
metric() { in_ns gw curl -s http://127.0.0.1:9834/metrics | awk -v m="$1" '$1 == m { print $2 }'; }
in_ns gw curl -s http://127.0.0.1:9834/metrics | grep -E '^portgate_(mappings|requests_total|nft_transactions_total|peers |conntrack)' | sed 's/^/     /'
check "metrics: mappings gauge matches (0 tcp left)" '[ "$(metric "portgate_mappings{protocol=\"tcp\"}")" = 0 ]'
m1=$(metric 'portgate_requests_total{opcode="1",result="success"}')
m2=$(metric 'portgate_requests_total{opcode="2",result="success"}')
check "metrics: 3 successful mapping requests counted ($m1 UDP + $m2 TCP)" 'eq "${m1:+${m2:+$((m1 + m2))}}" 3'
check "metrics: 2 peers" '[ "$(metric portgate_peers)" = 2 ]'
check "metrics: a 404 for other paths" '[ "$(in_ns gw curl -s -o /dev/null -w "%{http_code}" http://127.0.0.1:9834/)" = 404 ]'

# The daemon as the service runs it: not root, CAP_NET_ADMIN alone.
lab_stop TERM
check "the daemon exits cleanly and leaves the table" 'in_ns gw nft list table ip portgate'
ctl status >/dev/null 2>&1; rc=$?
check "portgatectl says the daemon is not running (exit 3)" '[ $rc = 3 ]'
# userspace WireGuard's UAPI socket is root's (0700), and wireguard-go shuts
# its socket when the file's owner or mode change: a root-run relay hands the
# daemon a socket of its own (policy key uapi_socket), as docs/operations.md says.
bg_ns gw socat UNIX-LISTEN:"$TMPD/uapi.sock",fork,user=nobody,mode=600 \
	UNIX-CONNECT:"/var/run/wireguard/$WG_GW.sock"
# Its control socket goes where it may write (systemd's RuntimeDirectory).
mkdir -p "$TMPD/run"; chown nobody "$TMPD/run"
chmod 755 "$TMPD"
sed -e "s|socket: $TMPD/control.sock|socket: $TMPD/run/control.sock|" "$CONF" >"$TMPD/nobody.yaml"
printf 'uapi_socket: %s\n' "$TMPD/uapi.sock" >>"$TMPD/nobody.yaml"
chmod 644 "$TMPD/nobody.yaml"
ip netns exec "$(ns gw)" setpriv --reuid=nobody --regid=nogroup --clear-groups \
	--inh-caps=-all,+net_admin --ambient-caps=-all,+net_admin --bounding-set=-all,+net_admin \
	"$PGD" -f -c "$TMPD/nobody.yaml" >>"$DLOG" 2>&1 &
DAEMON_PID=$!; BG_PIDS="$BG_PIDS $DAEMON_PID"
check "portgated starts as nobody with CAP_NET_ADMIN only" 'wait_until 5 daemon_listening'
check "its process has CAP_NET_ADMIN and no other capability" 'grep -q "CapEff:.*0000000000001000" /proc/$DAEMON_PID/status'
check "its process runs as nobody" '[ "$(stat -c %U /proc/$DAEMON_PID)" = nobody ]'
# Another unprivileged user is told why portgatectl cannot ask (its
# socket is 0600, the daemon's): permission, not "not running".
as_daemon_user() { ip netns exec "$(ns gw)" setpriv --reuid=daemon --regid=daemon --clear-groups "$@"; }
as_daemon_user "$CTL" -s "$TMPD/run/control.sock" status >/dev/null 2>"$TMPD/denied"; rc=$?
check "portgatectl without permission exits 1, not 3 ($rc)" '[ $rc = 1 ]'
check "... and says permission denied and why" 'grep -q "permission denied on .* control.group" "$TMPD/denied"'
r=$(pmp c1 map tcp 8081 0 60); p=$(field external "$r")
echo_servers c1 8081 c1
check "non-root: request -> forward" 'tcp_says ext $EXT "$p" c1'
in_ns gw wg set "$WG_GW" peer "$C1_KEY" remove
check "non-root: peer removed -> mapping dropped" 'wait_until 3 map_lacks gw tcp "$p"'
lab_readd_c1
lab_stop TERM

# A firewall whose forward policy is drop, and the one line from the docs.
lab_start || exit 1
wait_until 10 handshakes_done 2
p=$(field external "$(pmp c1 map tcp 8081 0 60)")
check "(mapping for the firewall test: port $p)" '[ -n "$p" ]'
check "without the firewall it passes" 'tcp_says ext $EXT "$p" c1'
in_ns gw nft -f - <<NFT
table inet filter {
	chain forward {
		type filter hook forward priority filter; policy drop;
		ct state established,related accept
	}
}
NFT
check_not "a forward policy of drop blocks the forwarded connection" 'tcp_says ext $EXT "$p" c1'
in_ns gw nft add rule inet filter forward ct status dnat accept
check "with 'ct status dnat accept' it passes" 'tcp_says ext $EXT "$p" c1'
finish
