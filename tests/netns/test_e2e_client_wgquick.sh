#!/bin/bash
# SPDX-License-Identifier: GPL-2.0-or-later
# portgate-client where torrent users run it: a tunnel set up as wg-quick
# does with Table=51820 (the tunnel's routes in table 51820, an ip rule
# for everything not marked 51820, the WireGuard socket marked), and a
# tunnel address that is not in the gateway's /24 (Mullvad-like: 10.66.5.7,
# gateway 10.66.0.1), the gateway named only by the via of table 51820's
# default route. The old discovery read /proc/net/route's main table and
# guessed 10.66.5.1; the kernel's route lookup finds 10.66.0.1. Then what
# gluetun's users read: the port file, GET /v1/openvpn/portforwarded, and
# when the forward is lost, the port file emptied and the down_hook run.
# And -n with flags refuses what the run could not use.
. "$(dirname "$0")/lib.sh"
. "$(dirname "$0")/lab.sh"
PGC="$PWD/$BUILD/portgate-client"
ME=10.66.5.7

# --- -n refuses what the run could not use (no namespace needed) ------------
refused() {	# WANT ARGS...: -n exits 1 and says WANT
	local want=$1 out rc; shift
	out=$("$PGC" -n "$@" 2>&1); rc=$?
	[ "$rc" = 1 ] && grep -qF -- "$want" <<<"$out"
}
check "-n -o with a relative port file is refused" 'refused "-o forwarded_port: must be an absolute path" -i wg0 -o forwarded_port'
: >"$TMPD/plain"; chmod 644 "$TMPD/plain"
check "-n -x with a file that is not executable is refused" 'refused "$TMPD/plain is not an executable file" -i wg0 -x "$TMPD/plain"'
check "-n -X with a directory is refused" 'refused "/etc is not an executable file" -i wg0 -X /etc'
check "-n -i with a name no interface can have is refused" 'refused "-i wg/0: an interface name has no /" -i wg/0'
check "-n -m with a host name is refused" 'refused "-m localhost:9835: must be ADDRESS:PORT" -i wg0 -m localhost:9835'
check "-n accepts flags the run can use" '"$PGC" -n -i wg0 -o /run/x/port -x /bin/true -X /bin/true -m "[::1]:9835" >/dev/null'

lab_up || exit 1
lab_start || exit 1

# --- the tunnel as wg-quick makes it with Table=51820 --------------------------
# The gateway's side: c1's peer also owns 10.66.5.7, routed into the tunnel.
in_ns gw wg set "$WG_GW" peer "$C1_KEY" allowed-ips "10.66.0.2/32,$ME/32"
in_ns gw ip route add "$ME/32" dev "$WG_GW"
# c1: the address, the routes in table 51820 with the gateway as via
# (networkd's Gateway=, or a PostUp), the rules, the marked socket.
in_ns c1 ip addr add "$ME/32" dev "$WG_C1"
in_ns c1 ip addr del 10.66.0.2/32 dev "$WG_C1"
in_ns c1 ip route del 10.66.0.0/24 dev "$WG_C1"
in_ns c1 ip route del 203.0.113.0/24 dev "$WG_C1"
in_ns c1 wg set "$WG_C1" fwmark 51820 peer "$(cat "$TMPD/gw.pub")" allowed-ips 0.0.0.0/0
in_ns c1 ip route add default via $GWIN dev "$WG_C1" onlink table 51820
in_ns c1 ip rule add not fwmark 51820 table 51820
in_ns c1 ip rule add table main suppress_prefixlength 0
main_default_on_wg() { in_ns c1 awk -v d="$WG_C1" '$1 == d && $2 == "00000000"' /proc/net/route | grep -q .; }
check_not "the main table holds no default route through the tunnel (all the old discovery read)" 'main_default_on_wg'
routed_by_51820() { in_ns c1 ip route get $GWIN from "$ME" | grep -q "via $GWIN dev $WG_C1 table 51820"; }
check "the kernel routes $ME to the gateway by table 51820" 'routed_by_51820'

# --- the client finds the gateway and keeps the forward ------------------------
cat >"$TMPD/down" <<'SH'
#!/bin/sh
echo "$1" >>"$(dirname "$0")/down.calls"
SH
chmod +x "$TMPD/down"
cat >"$TMPD/client.yaml" <<YAML
interface: $WG_C1
lifetime: 6
renew_every: 2
retry_every: 1
port_file: $TMPD/forwarded_port
down_hook: $TMPD/down
metrics_listen: 127.0.0.1:9835
YAML
check "the configuration passes -n" '"$PGC" -n -c "$TMPD/client.yaml" >/dev/null'
ip netns exec "$(ns c1)" "$PGC" -f -d -c "$TMPD/client.yaml" >"$TMPD/client.log" 2>&1 &
CL_PID=$!; BG_PIDS="$BG_PIDS $CL_PID"
started() { grep -q "gateway .*:5351" "$TMPD/client.log"; }
wait_until 5 started
grep -m1 "gateway .*:5351" "$TMPD/client.log" | sed 's/^/     /'
check "the client takes the via of table 51820's default route as its gateway" 'grep -q "gateway $GWIN:5351 (the via of the tunnel.s route (/0 in table 51820))" "$TMPD/client.log"'
check "the port file gets the forwarded port" 'wait_until 10 test -s "$TMPD/forwarded_port"'
p=$(cat "$TMPD/forwarded_port"); echo "     forwarded port $p"
check "... one of the policy's range" 'in_range "$p" 20000 29999'
check "the gateway forwards it to $ME" 'map_elements gw | grep -qx "tcp $p $ME $p"'
forwarded() { in_ns c1 curl -s http://127.0.0.1:9835/v1/openvpn/portforwarded; }
says_port() { eq "$(forwarded)" "{\"port\":$1}"; }
check "GET /v1/openvpn/portforwarded says {port: $p}" 'says_port "$p"'
ctype() { in_ns c1 curl -s -o /dev/null -w '%{content_type}' http://127.0.0.1:9835/v1/openvpn/portforwarded; }
check "... as application/json" 'eq "$(ctype)" application/json'
metrics() { in_ns c1 curl -s http://127.0.0.1:9835/metrics; }
check "metrics: portgate_renewer_port is the port" 'metrics | grep -qx "portgate_renewer_port $p"'
# every_series_helped: at least one series, and each TYPE has its HELP.
every_series_helped() { metrics | awk '/^# HELP /{h[$3]=1} /^# TYPE /{t[$3]=1; n++} END{for (s in t) if (!h[s]) { print "no HELP: " s; exit 1 } exit !n}'; }
check "metrics: every series has a HELP line" 'every_series_helped'
# own_prefix_only: series there, none named like the gateway's.
own_prefix_only() { local m; m=$(metrics); grep -q "^portgate_renewer_" <<<"$m" && ! grep -q "^portgate_client_" <<<"$m"; }
check "metrics: portgate_renewer_*, nothing named like the gateway's portgate_client_*" 'own_prefix_only'

# --- the forward is lost: the port file emptied, the down_hook run ----------------
lab_stop TERM
empty() { [ -e "$TMPD/forwarded_port" ] && ! [ -s "$TMPD/forwarded_port" ]; }
check "when the gateway stops answering, the port file is emptied" 'wait_until 30 empty'
check "the down_hook ran with the lost port" 'wait_until 5 grep -qx "$p" "$TMPD/down.calls"'
check "GET /v1/openvpn/portforwarded says {port: 0}" 'says_port 0'
check "... and only once" 'eq "$(wc -l <"$TMPD/down.calls")" 1'

# --- the gateway is back: the same port again ------------------------------------
lab_start || exit 1
filled() { [ -s "$TMPD/forwarded_port" ]; }
check "the port file is filled again once the gateway answers" 'wait_until 15 filled'
check "... with the same port (ports are deterministic)" 'eq "$(cat "$TMPD/forwarded_port")" "$p"'
check "GET /v1/openvpn/portforwarded says the port again" 'says_port "$p"'
kill "$CL_PID"
check "the client stops on SIGTERM" 'wait_until 5 gone "$CL_PID"'
finish
