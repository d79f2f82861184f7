#!/bin/bash
# SPDX-License-Identifier: GPL-2.0-or-later
# The operator's HTTP API (issue 23 §1): the token, the routes, static
# forwards added and removed at run time (one transaction each, kept in the
# daemon's state file across restarts and reloads, never in the policy),
# the same refusals as the policy's forwards, portgatectl forward, [IPv6]
# listen and TLS.
. "$(dirname "$0")/lib.sh"
. "$(dirname "$0")/lab.sh"
CTL="$PWD/$BUILD/portgatectl"
lab_up || exit 1
TOKEN=$(head -c 24 /dev/urandom | base64 | tr -d '/+=')
printf '%s\n' "$TOKEN" >"$TMPD/api.token"
chmod 600 "$TMPD/api.token"
API_LISTEN=127.0.0.1:9835
api_policy() {	# extra top-level YAML on stdin
	lab_policy <<YAML
state_dir: $TMPD/state
api:
  listen: "$API_LISTEN"
  token_file: $TMPD/api.token
$(cat)
peers:
  "$C1_KEY":
    name: alice
    forwards:
      - { protocol: tcp, external: 2222, internal: 22 }
      - { protocol: udp, external: 2500-2502 }
  "$C2_KEY": { name: bob }
YAML
}
LAB_RESERVED="20022, 20100-20109"
api_policy </dev/null
lab_start || exit 1
URL=http://127.0.0.1:9835
# api METHOD PATH [BODY]: the answer's body, then its status on a line.
api() {
	in_ns gw curl -s -g -X "$1" -H "Authorization: Bearer $TOKEN" ${3:+--data-binary "$3"} \
		-w '\n%{http_code}' "$URL$2"
}
status_of() { tail -n 1 <<<"$1"; }
body_of() { sed '$d' <<<"$1"; }
jfield() { /usr/bin/python3 -c 'import json,sys; d=json.load(sys.stdin)
for k in sys.argv[1].split("."): d=d[int(k)] if isinstance(d,list) else d[k]
print(d)' "$1"; }
ctl() { in_ns gw "$CTL" -s "$TMPD/control.sock" "$@"; }
# forwards "PROTO PORT ADDRESS PORT": the map holds exactly that element.
forwards() { map_elements gw | grep -qx -- "$1"; }
pct() { /usr/bin/python3 -c 'import sys,urllib.parse; print(urllib.parse.quote(sys.argv[1], safe=""))' "$1"; }
C1_URLSAFE=$(tr '+/' '-_' <<<"$C1_KEY")

# --- the token ------------------------------------------------------------
r=$(in_ns gw curl -s -w '\n%{http_code}' $URL/api/status)
check "no token: 401" 'eq "$(status_of "$r")" 401'
r=$(in_ns gw curl -s -w '\n%{http_code}' -H "Authorization: Bearer x$TOKEN" $URL/api/status)
check "a wrong token: 401" 'eq "$(status_of "$r")" 401'
r=$(in_ns gw curl -s -w '\n%{http_code}' -H "Authorization: Bearer ${TOKEN%?}" $URL/api/status)
check "the token without its last character: 401" 'eq "$(status_of "$r")" 401'
r=$(api GET /api/status)
check "the token: status 200" 'eq "$(status_of "$r")" 200'
check "status names the interface" 'eq "$(body_of "$r" | jfield interface)" "$WG_GW"'
r=$(in_ns gw curl -s -w '\n%{http_code}' $URL/)
check "the web page is served without the token (it holds no data)" 'eq "$(status_of "$r")" 200'
check "... and is the page" 'grep -q "<title>portgate</title>" <<<"$r"'

# --- reading ----------------------------------------------------------------
p=$(field external "$(pmp c1 map udp 6881 0 600)")
r=$(api GET /api/portforwards)
dyn() { body_of "$r" | /usr/bin/python3 -c 'import json,sys; m=[x for x in json.load(sys.stdin)["mappings"] if x["kind"]=="dynamic"]; print(m[0][sys.argv[1]] if m else "")' "$1"; }
check "GET /api/portforwards lists c1's NAT-PMP mapping" 'eq "$(dyn external_port)" "$p"'
check "... with its peer's name" 'eq "$(dyn peer_name)" alice'
check "... and its remaining lifetime in seconds" 'in_range "$(dyn remaining)" 590 600'
r=$(api GET /api/clients/alice/portforwards)
check "GET /api/clients/alice/portforwards (by name): 200" 'eq "$(status_of "$r")" 200'
check "... carries the peer's key and name" 'eq "$(body_of "$r" | jfield name)" alice'
check "... and its mappings (the dynamic one, the policy's tcp 2222 and udp 2500-2502)" 'eq "$(body_of "$r" | jfield mappings | grep -o external_port | wc -l)" 5'
r=$(api GET "/api/clients/$(pct "$C1_KEY")/portforwards")
check "by the percent-encoded key: alice" 'eq "$(body_of "$r" | jfield name)" alice'
r=$(api GET "/api/clients/$C1_URLSAFE/portforwards")
check "by the URL-safe key: alice" 'eq "$(body_of "$r" | jfield name)" alice'
r=$(api GET /api/clients/bob/portforwards)
check "bob has no mappings" 'eq "$(body_of "$r" | jfield mappings)" "[]"'
r=$(api GET /api/clients/nobody/portforwards)
check "an unknown client: 404" 'eq "$(status_of "$r")" 404'
r=$(api GET /api/nothing)
check "an unknown path: 404" 'eq "$(status_of "$r")" 404'
r=$(api POST /api/status '{}')
check "POST on a GET path: 405" 'eq "$(status_of "$r")" 405'

# --- adding -------------------------------------------------------------------
echo_servers c1 22 c1
echo_servers c2 7000 c2
cp "$CONF" "$TMPD/policy.before"
r=$(api POST /api/clients/alice/portforwards '{"protocol": "tcp", "external": 2300, "internal": 22}')
body_of "$r" | sed 's/^/     /'
check "POST a static forward: 201" 'eq "$(status_of "$r")" 201'
check "... installed" 'eq "$(body_of "$r" | jfield installed)" True'
check "it is in the map without a timeout: tcp 2300 to c1's port 22" 'forwards "tcp 2300 10.66.0.2 22"'
check "traffic from outside reaches c1 through 2300" 'tcp_says ext $EXT 2300 c1'
check "the daemon's state file holds it" 'grep -q "\"external\": 2300" "$TMPD/state/forwards.json"'
check "the policy file is untouched" 'cmp -s "$CONF" "$TMPD/policy.before"'
r=$(api GET /api/forwards)
check "GET /api/forwards shows it as added at run time" 'body_of "$r" | grep -q "\"external\":2300,[^}]*\"origin\":\"runtime\""'
r=$(api POST /api/clients/bob/portforwards '{"protocol": "udp", "external": 2301, "internal": 7000}')
check "bob gets udp 2301 to his port 7000" 'eq "$(status_of "$r")" 201'
check "... which carries traffic" 'udp_says ext $EXT 2301 c2'

# --- refused, with the policy's reasons -------------------------------------------
refused() {	# NAME PEER BODY STATUS REASON
	local got want=$4 why=$5
	got=$(api POST "/api/clients/$2/portforwards" "$3")
	check "$1: $want" 'eq "$(status_of "$got")" "$want"'
	check "$1: says: $why" 'body_of "$got" | grep -q "$why"'
}
refused "the policy's forward's port for bob" bob '{"protocol": "tcp", "external": 2222}' 409 "already forwarded to peer alice"
refused "a reserved port" bob '{"protocol": "tcp", "external": 20022}' 409 "reserved"
refused "the NAT-PMP port" bob '{"protocol": "udp", "external": 5351}' 409 "NAT-PMP"
refused "c1's dynamic mapping's port for bob" bob "{\"protocol\": \"udp\", \"external\": $p}" 409 "held by a mapping"
refused "the gateway's own address as the target" alice '{"protocol": "tcp", "external": 2302, "address": "10.66.0.1"}' 409 "an address of the gateway itself"
refused "bob's address for alice (the target rule)" alice '{"protocol": "tcp", "external": 2304, "address": "10.66.0.3"}' 409 "not in the peer's allowed-ips"
refused "an unknown key" alice '{"protocol": "tcp", "external": 2302, "via": 1}' 400 "unknown key"
refused "not JSON" alice 'protocol=tcp' 400 "not JSON"
refused "port 0" alice '{"protocol": "tcp", "external": 0}' 400 "port number"
big=$(head -c 20000 /dev/zero | tr '\0' ' ')
r=$(api POST /api/clients/alice/portforwards "{$big}")
check "a body over 16 KiB: 413" 'eq "$(status_of "$r")" 413'
check "nothing refused reached the map (tcp 2302)" 'map_lacks gw tcp 2302'
check "... nor tcp 2304" 'map_lacks gw tcp 2304'

# --- port ranges (issue 23 §3) ------------------------------------------------
count_in_map() { map_elements gw | grep -c "^$1 $2"; }
check "the policy's range udp 2500-2502 is three elements" 'eq "$(count_in_map udp 250)" 3'
q=$(field external "$(pmp c2 map tcp 20105 20105 600)")
check "ports.reserved range 20100-20109: a suggestion of 20105 gets another port" 'ne "$q" 20105'
echo_servers c1 8081 c1
r=$(api POST /api/clients/alice/portforwards '{"protocol": "tcp", "external": "2400-2409", "internal": "8072-8081"}')
check "POST a range tcp 2400-2409 to 8072-8081: 201" 'eq "$(status_of "$r")" 201'
check "... ten elements in the map" 'eq "$(count_in_map tcp 240)" 10'
check "... port by port: 2409 to 8081" 'forwards "tcp 2409 10.66.0.2 8081"'
check "the outside host reaches c1 through 2409" 'tcp_says ext $EXT 2409 c1'
r=$(api GET /api/forwards)
check "the range is one entry in GET /api/forwards" 'body_of "$r" | grep -q "\"external\":\"2400-2409\",\"internal\":\"8072-8081\""'
check "... and in the state file" 'grep -q "\"external\": \"2400-2409\"" "$TMPD/state/forwards.json"'
refused "a range over 1,000 ports" alice '{"protocol": "tcp", "external": "3000-4000"}' 400 "at most 1000"
refused "a range crossing a reserved port" bob '{"protocol": "tcp", "external": "20095-20100"}' 409 "20100 is reserved"
refused "a range over alice's range" bob '{"protocol": "tcp", "external": "2405-2415"}' 409 "2405 is already forwarded to peer alice"
r=$(api DELETE /api/clients/alice/portforwards/tcp/2403)
check "DELETE of one port of the range: 200" 'eq "$(status_of "$r")" 200'
check "... removes the whole range in one go" 'eq "$(count_in_map tcp 240)" 0'

# --- across a restart, a lost table and a reload ---------------------------------
lab_stop KILL
in_ns gw nft delete table ip portgate
lab_start || exit 1
check "after a crash and a lost table the state file's forward is back" 'wait_until 5 forwards "tcp 2300 10.66.0.2 22"'
check "... and carries traffic" 'wait_until 5 tcp_says ext $EXT 2300 c1'
kill -HUP "$DAEMON_PID"
check "a reload keeps it" 'wait_until 3 grep -q "policy reloaded" "$DLOG"'
check "... in the map" 'forwards "tcp 2300 10.66.0.2 22"'

# --- removing ---------------------------------------------------------------------
r=$(api DELETE /api/clients/alice/portforwards/tcp/2222)
check "DELETE of the policy file's forward: 409" 'eq "$(status_of "$r")" 409'
check "... which stays" 'forwards "tcp 2222 10.66.0.2 22"'
r=$(api DELETE /api/clients/bob/portforwards/tcp/2300)
check "DELETE of alice's forward as bob: 404" 'eq "$(status_of "$r")" 404'
r=$(api DELETE /api/clients/alice/portforwards/tcp/2300)
check "DELETE of alice's forward: 200" 'eq "$(status_of "$r")" 200'
check "it leaves the map" 'map_lacks gw tcp 2300'
check_not "no traffic reaches 2300" 'tcp_says ext $EXT 2300 c1'
check "the state file no longer holds it" '! grep -q "\"external\": 2300" "$TMPD/state/forwards.json"'
# (The lost table took c1's mapping: it asks again, as a client would.)
p=$(field external "$(pmp c1 map udp 6881 0 600)")
check "c1 maps udp 6881 again" 'map_has gw "udp . $p "'
r=$(api DELETE "/api/clients/alice/portforwards/udp/$p")
check "DELETE of c1's dynamic mapping: 200" 'eq "$(status_of "$r")" 200'
check "it leaves the map" 'map_lacks gw udp "$p"'

# --- portgatectl forward -------------------------------------------------------------
check "portgatectl forward add alice tcp/2303 22" 'ctl forward add alice tcp/2303 22'
check "... reaches c1" 'tcp_says ext $EXT 2303 c1'
ctl forward list | sed 's/^/     /'
check "forward list shows it by name, added at run time" 'ctl forward list | grep -qE "^alice +runtime +tcp +2303 "'
check "forward list shows the policy's forward" 'ctl forward list | grep -qE "^alice +policy +tcp +2222 "'
check "the API sees what portgatectl added" 'api GET /api/forwards | grep -q "\"external\":2303"'
check "a refusal exits 1 with the reason" 'ctl forward add bob tcp/2222 2>&1 | grep -q "already forwarded"'
check "portgatectl forward del alice tcp/2303" 'ctl forward del alice tcp/2303'
check "... it leaves the map" 'map_lacks gw tcp 2303'
check "portgatectl forward add bob udp/2600-2604 7000 (a range to one start port)" 'ctl forward add bob udp/2600-2604 7000'
check "... its last port goes to bob's 7004" 'forwards "udp 2604 10.66.0.3 7004"'
check "forward list shows the range as one entry" 'ctl forward list | grep -qE "^bob +runtime +udp +2600-2604 +\(peer\):7000-7004 "'
check "portgatectl forward del bob udp/2602 removes the whole range" 'ctl forward del bob udp/2602'
check "... from the map" 'map_lacks gw udp 2600'

# --- start-up errors, [IPv6] and TLS ---------------------------------------------------
lab_stop TERM
chmod 644 "$TMPD/api.token"
out=$(in_ns gw timeout 10 "$PGD" -f -c "$CONF" 2>&1); rc=$?
check "a world-readable token file stops the start (exit 1)" 'eq "$rc" 1'
check "... saying why" 'grep -q "others may read" <<<"$out"'
chmod 600 "$TMPD/api.token"
API_LISTEN="[::1]:9835"
api_policy </dev/null
lab_start || exit 1
URL="http://[::1]:9835"
r=$(api GET /api/status)
check "api.listen [::1]:9835 answers over IPv6" 'eq "$(status_of "$r")" 200'
lab_stop TERM
if command -v openssl >/dev/null; then
	openssl req -x509 -newkey rsa:2048 -nodes -days 1 -subj /CN=localhost \
		-addext subjectAltName=IP:127.0.0.1 -keyout "$TMPD/api.key" -out "$TMPD/api.crt" 2>/dev/null
	API_LISTEN=127.0.0.1:9835
	api_policy <<YAML
  tls_cert: $TMPD/api.crt
  tls_key: $TMPD/api.key
YAML
	lab_start || exit 1
	URL=https://127.0.0.1:9835
	r=$(in_ns gw curl -s --cacert "$TMPD/api.crt" -H "Authorization: Bearer $TOKEN" -w '\n%{http_code}' $URL/api/status)
	check "TLS: https with the certificate answers 200" 'eq "$(status_of "$r")" 200'
	r=$(in_ns gw curl -s -w '%{http_code}' -H "Authorization: Bearer $TOKEN" http://127.0.0.1:9835/api/status)
	check_not "TLS: plain HTTP gets no 200" 'eq "$r" 200'
else
	skip "TLS" "no openssl to make a certificate"
fi
finish
