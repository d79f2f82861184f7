#!/bin/bash
# SPDX-License-Identifier: GPL-2.0-or-later
# portgate-client behind portgated, with the real apps from Debian's
# packages behind the tunnel: transmission-daemon (RPC) in c1 and
# qbittorrent-nox (WebUI, a password set) in c2, each with its own client
# (one app per port: two apps cannot listen on one port). The apps' own APIs must report
# the mapped port as their listen port and a connection from the outside
# host must reach them; then the port changes at the gateway, the gateway
# loses its state, an app restarts with its old port, and the tunnel stops
# answering (recovery after N failures, not again before the cooldown).
. "$(dirname "$0")/lib.sh"
. "$(dirname "$0")/lab.sh"
PGC="$PWD/$BUILD/portgate-client"
CTL="$PWD/$BUILD/portgatectl"
check "transmission-daemon is installed (scripts/install-deps)" 'command -v transmission-daemon >/dev/null'
check "qbittorrent-nox is installed (scripts/install-deps)" 'command -v qbittorrent-nox >/dev/null'
[ "$TESTS_FAILED" = 0 ] || { finish; exit 1; }
lab_up || exit 1
lab_start || exit 1
ctl() { in_ns gw "$CTL" -s "$TMPD/control.sock" "$@"; }
reloads() { grep -c "policy reloaded" "$DLOG"; }

# --- the apps: Transmission in c1, qBittorrent in c2 ----------------------------
TR="$TMPD/transmission"; QB="$TMPD/qbt"
transmission_start() {	# with peer-port 51413, as a fresh install has
	mkdir -p "$TR/dl"
	cat >"$TR/settings.json" <<JSON
{ "peer-port": 51413, "peer-port-random-on-start": false, "port-forwarding-enabled": false,
  "rpc-enabled": true, "rpc-bind-address": "127.0.0.1", "rpc-port": 9091,
  "rpc-authentication-required": true, "rpc-username": "tr", "rpc-password": "tr-pass",
  "rpc-whitelist-enabled": false, "dht-enabled": false, "lpd-enabled": false,
  "pex-enabled": false, "utp-enabled": false, "download-dir": "$TR/dl",
  "incomplete-dir-enabled": false, "watch-dir-enabled": false }
JSON
	ip netns exec "$(ns c1)" transmission-daemon -f -g "$TR" >>"$TMPD/transmission.log" 2>&1 &
	TR_PID=$!; BG_PIDS="$BG_PIDS $TR_PID"
}
transmission_start
qbt_start c2 "$QB" qb-pass
echo tr-pass >"$TMPD/tr.pass"; echo qb-pass >"$TMPD/qb.pass"
chmod 600 "$TMPD/tr.pass" "$TMPD/qb.pass"

# The apps' own view of their port.
tr_port() {
	local sid
	sid=$(in_ns c1 curl -s -u tr:tr-pass -o /dev/null -D - http://127.0.0.1:9091/transmission/rpc |
		sed -n 's/^X-Transmission-Session-Id: *\([^\r]*\).*/\1/p')
	in_ns c1 curl -s -u tr:tr-pass -H "X-Transmission-Session-Id: $sid" \
		-d '{"method":"session-get","arguments":{"fields":["peer-port"]}}' \
		http://127.0.0.1:9091/transmission/rpc | sed -n 's/.*"peer-port":\([0-9]*\).*/\1/p'
}
# tr_is PORT, qb_is PORT: asked afresh at every try of wait_until.
tr_is() { eq "$(tr_port)" "$1"; }
qb_is() { eq "$(qb_port)" "$1"; }
check "transmission's RPC is up" 'wait_until 10 tr_is 51413'
check "qBittorrent's WebUI is up" 'wait_until 20 qb_is 6881'

# --- portgate-client in c1 ---------------------------------------------------
cat >"$TMPD/hook" <<'SH'
#!/bin/sh
echo "$1" >>"$(dirname "$0")/hook.calls"
SH
chmod +x "$TMPD/hook"
cat >"$TMPD/client.yaml" <<YAML
interface: $WG_C1
lifetime: 6
renew_every: 2
retry_every: 1
port_file: $TMPD/forwarded_port
hook: $TMPD/hook
transmission:
  url: http://127.0.0.1:9091/transmission/rpc
  username: tr
  password_file: $TMPD/tr.pass
recovery:
  command: echo recovered >>$TMPD/recoveries
  after: 3
  cooldown: 40
metrics_listen: 127.0.0.1:9835
YAML
check "the configuration passes -n" '"$PGC" -n -c "$TMPD/client.yaml" >/dev/null'
ip netns exec "$(ns c1)" "$PGC" -f -d -c "$TMPD/client.yaml" >"$TMPD/client.log" 2>&1 &
CL_PID=$!; BG_PIDS="$BG_PIDS $CL_PID"
cat >"$TMPD/client2.yaml" <<YAML
interface: $WG_C2
lifetime: 6
renew_every: 2
retry_every: 1
qbittorrent:
  url: http://127.0.0.1:8089
  username: admin
  password_file: $TMPD/qb.pass
delete_on_stop: true
YAML
ip netns exec "$(ns c2)" "$PGC" -f -c "$TMPD/client2.yaml" >"$TMPD/client2.log" 2>&1 &
CL2_PID=$!; BG_PIDS="$BG_PIDS $CL2_PID"
port_file() { cat "$TMPD/forwarded_port" 2>/dev/null; }
check "the forwarded port is written to the port file" 'wait_until 10 test -s "$TMPD/forwarded_port"'
p=$(port_file); echo "     forwarded port $p"
check "... a port of the policy's range" 'in_range "$p" 20000 29999'
check "the gateway forwards it to c1's same port (internal 1)" 'map_elements gw | grep -qx "tcp $p 10.66.0.2 $p"'
check "transmission's RPC reports it as its peer-port" 'wait_until 10 tr_is "$p"'
check "the hook ran with the port" 'wait_until 5 grep -qx "$p" "$TMPD/hook.calls"'
tcp_connects() { in_ns ext timeout 5 bash -c "exec 3<>/dev/tcp/$1/$2" 2>/dev/null; }
check "a TCP connection from outside to $EXT:$p reaches Transmission" 'tcp_connects $EXT "$p"'
# c2's client: qBittorrent's own API reports the port c2 was granted.
c2_port() { map_elements gw | awk '$1 == "tcp" && $3 == "10.66.0.3" { print $2 }'; }
c2_mapped() { [ -n "$(c2_port)" ]; }
check "c2's client has a mapping" 'wait_until 10 c2_mapped'
p2=$(c2_port); echo "     c2's forwarded port $p2"
check "qBittorrent's API reports it as its listen_port" 'wait_until 10 qb_is "$p2"'
check "a TCP connection from outside to $EXT:$p2 reaches qBittorrent" 'wait_until 5 tcp_connects $EXT "$p2"'
metric() { in_ns c1 curl -s http://127.0.0.1:9835/metrics | sed -n "s/^$1 //p"; }
check "metrics: portgate_renewer_port is the port" 'eq "$(metric portgate_renewer_port)" "$p"'
check "metrics: Transmission told, by app" 'ge "$(metric "portgate_renewer_app_updates_total{app=\"transmission\",result=\"ok\"}")" 1'

# --- portgate-client check ----------------------------------------------------
out=$(in_ns c1 "$PGC" -c "$TMPD/client.yaml" check); rc=$?
echo "$out" | sed 's/^/     /'
check "check: all well, exit 0" 'eq "$rc" 0'
check "check: the verdict says so" 'grep -q "verdict: the port is forwarded and the apps use it" <<<"$out"'
check "check: the handshake step passed" 'grep -qE "^ok +handshake" <<<"$out"'
# Another internal port is another mapping: the apps do not listen on it.
sed 's/^lifetime: 6$/lifetime: 6\ninternal_port: 7777/' "$TMPD/client.yaml" >"$TMPD/other.yaml"
out=$(in_ns c1 "$PGC" -c "$TMPD/other.yaml" check); rc=$?
echo "$out" | grep -E "^FAIL" | sed 's/^/     /'
check "check: an app off the forwarded port is caught, exit 1" 'eq "$rc" 1'
check "... as forwarded but firewalled" 'grep -q "forwarded but firewalled" <<<"$out"'
sed "s/^interface: .*/&\ngateway: 10.66.0.9/" "$TMPD/client.yaml" >"$TMPD/wrong.yaml"
out=$(in_ns c1 "$PGC" -c "$TMPD/wrong.yaml" check); rc=$?
check "check: a gateway that does not answer is explained" 'grep -q "^FAIL gateway .*no answer from 10.66.0.9:5351" <<<"$out"'
sed "s/^interface: .*/interface: lo\ngateway: 10.66.0.1/" "$TMPD/client.yaml" >"$TMPD/notwg.yaml"
out=$(in_ns c1 "$PGC" -c "$TMPD/notwg.yaml" check); rc=$?
echo "$out" | sed "s/^/     /"
check "check: an interface that is not WireGuard is explained" 'grep -q "^FAIL wireguard .*cannot read lo" <<<"$out"'

# --- the port changes at the gateway ------------------------------------------
n=$(reloads)
LAB_RESERVED="20022, $p, $p2" lab_policy </dev/null
kill -HUP "$DAEMON_PID"
reloaded() { [ "$(reloads)" -gt "$n" ]; }
check "the gateway reserves the port (reload)" 'wait_until 3 reloaded'
changed() { ne "$(port_file)" "$p"; }
check "the client gets a new port within a renewal" 'wait_until 6 changed'
q=$(port_file); echo "     new port $q"
check "transmission is told the new port" 'wait_until 6 tr_is "$q"'
c2_moved() { ne "$(c2_port)" "$p2"; }
check "c2 gets a new port too" 'wait_until 6 c2_moved'
q2=$(c2_port)
check "qBittorrent is told the new port" 'wait_until 6 qb_is "$q2"'
check "a TCP connection from outside to the new port $q reaches Transmission" 'wait_until 5 tcp_connects $EXT "$q"'
check "and to $q2, qBittorrent" 'wait_until 5 tcp_connects $EXT "$q2"'

# --- the gateway loses its state -----------------------------------------------
# Clients allow 2 s of slack when they compare epochs (RFC 6886 §3.6): the
# gateway has run long enough for a restart from 0 to be told apart.
epoch_ge() { ge "$(ctl status | sed -n 's/^epoch: *//p')" "$1"; }
wait_until 15 epoch_ge 8
lab_stop TERM
in_ns gw nft delete table ip portgate
lab_start || exit 1
check "after the gateway lost its state, the mapping is back" 'wait_until 8 map_has gw "tcp . $q "'
epoch_noticed() { grep -q "epoch went back" "$TMPD/client.log"; }
check "the client noticed the epoch going back" 'wait_until 3 epoch_noticed'

# --- an app restarts with its old port --------------------------------------------
kill "$TR_PID"; wait_until 10 gone "$TR_PID"
transmission_start
check "transmission restarted with its old port 51413, is told again" 'wait_until 15 tr_is "$q"'

# --- the tunnel stops answering: recovery, once per cooldown ------------------------
lab_stop TERM
check "after 3 failed renewals the recovery command runs" 'wait_until 40 test -s "$TMPD/recoveries"'
sleep 12	# more failures than the limit, well inside the 40 s cooldown
check "... and not again before the cooldown" 'eq "$(grep -c recovered "$TMPD/recoveries")" 1'
check "the failures are logged" 'grep -q "renewal failed (no answer from the gateway" "$TMPD/client.log"'
kill "$CL_PID"
check "the client stops on SIGTERM" 'wait_until 5 gone "$CL_PID"'

# --- delete_on_stop ---------------------------------------------------------
lab_start || exit 1
check "c2's client maps again once the gateway is back" 'wait_until 10 c2_mapped'
p3=$(c2_port)
kill "$CL2_PID"
check "c2's client (delete_on_stop) stops" 'wait_until 5 gone "$CL2_PID"'
check "... and its mapping is gone from the gateway at once" 'wait_until 2 map_lacks gw tcp "$p3"'
finish
