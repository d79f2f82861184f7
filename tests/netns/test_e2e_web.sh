#!/bin/bash
# SPDX-License-Identifier: GPL-2.0-or-later
# The web page in a real browser (issue 23 §2): Debian's chromium, driven
# through chromium-driver and python3-selenium (web_driver.py) inside the
# gateway's namespace. Signs in, sees a NAT-PMP mapping appear, adds a
# static forward through the form and reaches it from the outside host,
# removes it; a wrong token is refused. Saves the screenshots beside its
# log (web-page.png is the one docs/ and the README show).
. "$(dirname "$0")/lib.sh"
. "$(dirname "$0")/lab.sh"
PY=/usr/bin/python3
if ! [ -x /usr/bin/chromium ] || ! [ -x /usr/bin/chromedriver ] ||
   ! $PY -c "import selenium" 2>/dev/null; then
	skip "the web page in a browser" "chromium, chromium-driver or python3-selenium missing (scripts/install-deps)"
	finish
	exit $?
fi
lab_up || exit 1
TOKEN=$(head -c 24 /dev/urandom | base64 | tr -d '/+=')
printf '%s\n' "$TOKEN" >"$TMPD/api.token"
chmod 600 "$TMPD/api.token"
lab_policy <<YAML
state_dir: $TMPD/state
api:
  listen: 127.0.0.1:9835
  token_file: $TMPD/api.token
peers:
  "$C1_KEY": { name: alice-laptop }
  "$C2_KEY": { name: bob-desktop }
YAML
lab_start || exit 1
echo_servers c1 8080 c1

# The browser: one command line in, one answer line out.
coproc WEB { ip netns exec "$(ns gw)" env HOME="$TMPD" $PY "$PWD/tests/netns/web_driver.py" 2>"$TMPD/web_driver.err"; }
BG_PIDS="$BG_PIDS $WEB_PID"
WEB_IN=${WEB[1]} WEB_OUT=${WEB[0]}
web() {
	local answer
	echo "$*" >&"$WEB_IN" && read -r -t 30 answer <&"$WEB_OUT" && echo "$answer"
}
read -r -t 60 ready <&"$WEB_OUT"
check "chromium started (through chromium-driver)" 'eq "${ready:-}" ready'
[ "${ready:-}" = ready ] || { cat "$TMPD/web_driver.err"; finish; exit 1; }

web open http://127.0.0.1:9835/ >/dev/null
check "the page asks for the token" 'eq "$(web shown login)" yes'
check "a wrong token: sign-in answered" 'eq "$(web login wrong-token-0123456789)" ok'
answer=$(web message)
echo "     page: $answer"
check "a wrong token is refused, and the page says so" 'grep -q "token was refused" <<<"$answer"'
check "... the peers stay hidden" 'eq "$(web shown view)" no'

check "the right token: signed in" 'eq "$(web login "$TOKEN")" ok'
check "the peers are listed by name" 'eq "$(web wait_text peers 5 alice-laptop)" yes'
check "... both of them" 'eq "$(web wait_text peers 5 bob-desktop)" yes'
p=$(field external "$(pmp c1 map udp 6881 0 600)")
check "a NAT-PMP mapping appears by itself (refresh)" 'eq "$(web wait_text peers 10 "$p → 10.66.0.2:6881")" yes'
check "... shown as dynamic via natpmp" 'eq "$(web wait_text peers 1 natpmp)" yes'

answer=$(web add "$C1_KEY" tcp 2400 8080)
echo "     form: $answer"
check "the form adds tcp 2400 to alice-laptop's port 8080" 'grep -q "Added tcp 2400" <<<"$answer"'
check "it is in the map" 'map_elements gw | grep -qx "tcp 2400 10.66.0.2 8080"'
check "the outside host reaches c1 through 2400" 'tcp_says ext $EXT 2400 c1'
check "the page lists it" 'eq "$(web wait_text peers 5 "2400 → 10.66.0.2:8080")" yes'
check "screenshot saved" 'eq "$(web screenshot "$PWD/${TESTLOG:-$BUILD/tests/netns}/web-page.png")" ok'
check "a phone-sized screenshot too" 'eq "$(web screenshot "$PWD/${TESTLOG:-$BUILD/tests/netns}/web-phone.png" 390 844)" ok'

answer=$(web add "$C2_KEY" udp 5351 5351)
echo "     form: $answer"
check "the form shows the daemon's refusal (NAT-PMP port)" 'grep -q "NAT-PMP" <<<"$answer"'
answer=$(web remove 2400)
check "Remove takes it out" 'grep -q "Removed tcp 2400" <<<"$answer"'
check "it leaves the map" 'map_lacks gw tcp 2400'
check_not "the outside host no longer reaches c1 through 2400" 'tcp_says ext $EXT 2400 c1'
check "the page no longer lists it" 'eq "$(web wait_gone peers 5 "2400 →")" yes'
web quit >/dev/null
finish
