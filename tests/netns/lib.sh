# SPDX-License-Identifier: GPL-2.0-or-later
# Shared by the namespace tests (bash). Every namespace, interface and process
# a test makes is named after its PID and removed on exit, pass or fail.
set -u
PG_ID="pg$$"
BUILD="${BUILD:-build}"
NAMESPACES=""
WG_DEVS=""
BG_PIDS=""
TESTS_FAILED=0
TESTS_PASSED=0
TESTS_SKIPPED=0

ns() { echo "$PG_ID-$1"; }
in_ns() { local n=$1; shift; ip netns exec "$(ns "$n")" "$@"; }

cleanup() {
	local n p
	# Keep the daemon's log (sanitizer reports included) beside the test's.
	if [ -n "${DLOG:-}" ] && [ -f "$DLOG" ]; then
		mkdir -p "${TESTLOG:-$BUILD/tests/netns}"
		cp "$DLOG" "${TESTLOG:-$BUILD/tests/netns}/$(basename "$0" .sh).portgated.log"
	fi
	disown -a 2>/dev/null	# no job notices after the result line
	for p in $BG_PIDS; do kill "$p" 2>/dev/null; done
	for n in $NAMESPACES; do
		for p in $(ip netns pids "$(ns "$n")" 2>/dev/null); do kill -9 "$p" 2>/dev/null; done
	done
	sleep 0.2
	for n in $NAMESPACES; do ip netns del "$(ns "$n")" 2>/dev/null; done
	# wireguard-go keeps its UAPI socket in the one shared /var/run/wireguard,
	# and a killed one leaves it behind.
	for p in $WG_DEVS; do rm -f "/var/run/wireguard/$p.sock"; done
}
trap cleanup EXIT
trap 'exit 130' INT TERM

mkns() {
	ip netns add "$(ns "$1")" || exit 1
	NAMESPACES="$NAMESPACES $1"
	in_ns "$1" ip link set lo up
	in_ns "$1" sysctl -qw net.ipv4.ip_forward=1
}

# veth NS1 IF1 ADDR1/LEN NS2 IF2 ADDR2/LEN
veth() {
	ip link add "$2" netns "$(ns "$1")" type veth peer name "$5" netns "$(ns "$4")" || exit 1
	in_ns "$1" ip addr add "$3" dev "$2"
	in_ns "$4" ip addr add "$6" dev "$5"
	in_ns "$1" ip link set "$2" up
	in_ns "$4" ip link set "$5" up
}

# bg_ns NS CMD...: a background process in NS whose PID is the command's own
# (ip netns exec execs it), so that kill reaches it.
bg_ns() { local n=$1; shift; ip netns exec "$(ns "$n")" "$@" & BG_PIDS="$BG_PIDS $!"; }

# record WHAT STATUS: one result line and the counts.
record() {
	if [ "$2" -eq 0 ]; then
		TESTS_PASSED=$((TESTS_PASSED + 1)); echo "ok   $1"
	else
		TESTS_FAILED=$((TESTS_FAILED + 1)); echo "FAIL $1"
	fi
}
# check WHAT 'CONDITION': the one quoted condition (any shell: `[ ... ]`, a
# function, a pipeline, `A && B`) must succeed; check_not: it must fail.
# Exactly two arguments, so that `check WHAT [ A ] && [ B ]`, whose second
# half the shell would run after the result was recorded, is a failure of
# its own rather than a check that cannot fail.
check() { _check "$@"; }
check_not() { _check_neg=1 _check "$@"; }
_check() {
	local _pg_neg=${_check_neg:-0} _pg_rc
	if [ $# -ne 2 ]; then
		record "${1:-?}: malformed check: give one quoted condition ($# arguments)" 1
		return 1
	fi
	eval "$2"; _pg_rc=$?
	if [ "$_pg_neg" = 1 ]; then [ "$_pg_rc" -ne 0 ]; _pg_rc=$?; fi
	record "$1" "$_pg_rc"
	return "$_pg_rc"
}
# skip WHAT WHY: a check this kernel or machine cannot run; never a pass.
skip() {
	TESTS_SKIPPED=$((TESTS_SKIPPED + 1)); echo "skip $1 ($2)"
}

finish() {
	if [ "$TESTS_FAILED" -gt 0 ] && [ -n "${DLOG:-}" ] && [ -f "$DLOG" ]; then
		echo "--- last lines of portgated's log:"
		tail -n 20 "$DLOG"
	fi
	echo "$TESTS_PASSED passed, $TESTS_FAILED failed, $TESTS_SKIPPED skipped"
	[ "$TESTS_FAILED" -eq 0 ] && [ $((TESTS_PASSED + TESTS_SKIPPED)) -gt 0 ]
}

# kernel_at_least MAJOR MINOR: the running kernel is that version or newer.
kernel_at_least() {
	local v; v=$(uname -r)
	local major=${v%%.*} rest=${v#*.}
	local minor=${rest%%[!0-9]*}
	[ "$major" -gt "$1" ] || { [ "$major" -eq "$1" ] && [ "$minor" -ge "$2" ]; }
}

# One condition each, false on an empty value (two empty strings are not
# equal, an empty number is in no range):
eq() { [ -n "$1" ] && [ "$1" = "$2" ]; }		# A equals B
ne() { [ -n "$1" ] && [ "$1" != "$2" ]; }		# A is something other than B
ge() { [ -n "$1" ] && [ "$1" -ge "$2" ]; }		# number A >= B
le() { [ -n "$1" ] && [ "$1" -le "$2" ]; }		# number A <= B
in_range() { ge "$1" "$2" && le "$1" "$3"; }		# LO <= A <= HI
# count_of PATTERN TEXT: how many lines of TEXT match PATTERN.
# gone PID: the process has ended.
gone() { ! kill -0 "$1" 2>/dev/null; }
count_of() { grep -c -- "$1" <<<"$2"; }
# map_has NS PATTERN: the gateway's forwards map lists an element matching it.
map_has() { in_ns "$1" nft list map ip portgate forwards | grep -q -- "$2"; }
# map_elements NS: "proto port address port" for each element of the
# forwards map, sorted (timeouts and comments left out).
map_elements() {
	in_ns "$1" nft list map ip portgate forwards |
		grep -oE '(tcp|udp) \. [0-9]+ [^:]*: [0-9.]+ \. [0-9]+' |
		sed -E 's/^(tcp|udp) \. ([0-9]+) [^:]*: ([0-9.]+) \. ([0-9]+)$/\1 \2 \3 \4/' | sort
}
# map_lacks NS PROTO PORT: no element for that port, and the port is known
# (an empty port never counts as gone).
map_lacks() { [ -n "$3" ] && ! map_has "$1" "$2 . $3 "; }

# wait_until SECONDS CMD...: polls every 0.1 s. CMD is run as a command:
# `wait_until 5 ! kill -0 PID` would run a command named "!" and always
# time out, so it is refused (use a function such as gone).
# PG_WAIT_SCALE multiplies every deadline: the VM (tests/vm/check) runs
# under software emulation, where one ip/nft/conntrack call costs 50-300 ms
# and a loaded CI host more. A deadline only bounds a wait that succeeds
# early, so a larger one costs nothing when the condition comes true.
wait_until() {
	local deadline=$(( $(date +%s%N) / 1000000 + $1 * 1000 * ${PG_WAIT_SCALE:-1} )); shift
	if [ "${1:-}" = "!" ]; then
		echo "wait_until: CMD cannot start with !; wrap the condition in a function" >&2
		return 2
	fi
	while ! "$@" 2>/dev/null; do
		[ $(( $(date +%s%N) / 1000000 )) -ge "$deadline" ] && return 1
		sleep 0.1
	done
}

# Echo servers: TCP and UDP on PORT in namespace NS, answering "NAME:line".
# Each answering child waits -t for sed's answer after the request's end:
# socat's own 0.5 s was shorter than a fork of sed under the VM's
# emulation, and the echo was lost ("sed: couldn't flush stdout"). The
# child ends as soon as sed does, so a longer -t costs a passing check
# nothing.
echo_servers() {
	local n=$1 port=$2 name=$3 t=$((2 * ${PG_WAIT_SCALE:-1}))
	bg_ns "$n" socat -t "$t" TCP-LISTEN:"$port",reuseaddr,fork SYSTEM:"sed -u 's/^/$name:/'"
	bg_ns "$n" socat -t "$t" UDP-RECVFROM:"$port",reuseaddr,fork SYSTEM:"sed -u 's/^/$name:/'"
	wait_until 5 in_ns "$n" sh -c "ss -Hltn sport = :$port | grep -q ." &&
		wait_until 5 in_ns "$n" sh -c "ss -Hlun sport = :$port | grep -q ."
}

# The same over IPv6 (socat's TCP-LISTEN is IPv4 only): beside them.
echo_servers6() {
	local n=$1 port=$2 name=$3 t=$((2 * ${PG_WAIT_SCALE:-1}))
	bg_ns "$n" socat -t "$t" TCP6-LISTEN:"$port",ipv6only=1,reuseaddr,fork SYSTEM:"sed -u 's/^/$name:/'"
	bg_ns "$n" socat -t "$t" UDP6-RECVFROM:"$port",ipv6only=1,reuseaddr,fork SYSTEM:"sed -u 's/^/$name:/'"
	wait_until 5 in_ns "$n" sh -c "ss -6Hltn sport = :$port | grep -q ." &&
		wait_until 5 in_ns "$n" sh -c "ss -6Hlun sport = :$port | grep -q ."
}

# tcp_says NS ADDR PORT EXPECTED: one line over TCP, the echo must match.
# socat waits -t seconds for the answer after its input ends (0.5 s by
# default): too short under the VM's emulation, where the echo server's
# fork of sed alone can take longer. The server closes after answering, so
# a longer -t costs a passing check nothing. Every bound scales with
# PG_WAIT_SCALE (see wait_until).
tcp_says() {
	local got k=${PG_WAIT_SCALE:-1}
	got=$(echo ping | in_ns "$1" timeout $((5 * k)) socat -T $((3 * k)) -t $((2 * k)) - \
		TCP:"$2":"$3",connect-timeout=$((2 * k)) 2>/dev/null)
	[ "$got" = "$4:ping" ]
}

# conn_open NS ADDR PORT: a long-lived TCP connection from NS (a coproc);
# line_through NAME LINE: one line through it, echoed by echo_servers NAME.
conn_open() {
	[ -n "${CONN_PID:-}" ] && kill "$CONN_PID" 2>/dev/null
	coproc CONN { ip netns exec "$(ns "$1")" socat -T 30 STDIO TCP:"$2":"$3" 2>/dev/null; }
	CONN_IN=${CONN[1]:-} CONN_OUT=${CONN[0]:-}
}
line_through() {
	local got
	[ -n "${CONN_IN:-}" ] && echo "$2" >&"$CONN_IN" 2>/dev/null &&
		read -r -t 3 got <&"$CONN_OUT" && [ "$got" = "$1:$2" ]
}

# udp_says NS ADDR PORT EXPECTED: the same over UDP; nothing closes a UDP
# exchange, so -t (how long to wait for the answer: socat's 0.5 s times
# PG_WAIT_SCALE) is what a pass costs.
udp_says() {
	local got k=${PG_WAIT_SCALE:-1}
	got=$(echo ping | in_ns "$1" timeout $((5 * k)) socat -T $((2 * k)) -t "$((k * 5 / 10)).$((k * 5 % 10))" - \
		UDP:"$2":"$3" 2>/dev/null)
	[ "$got" = "$4:ping" ]
}

# wg_kernel: the WireGuard implementation the lab uses, decided once: the
# kernel's when its module is loaded or loads (Debian's kernels, the VM of
# scripts/vm), else wireguard-go (this machine's kernel has none).
# PG_WG=kernel or PG_WG=go forces one.
wg_kernel() {
	if [ -z "${PG_WG:-}" ]; then
		PG_WG=go
		if [ -d /sys/module/wireguard ] || modprobe -q wireguard 2>/dev/null; then
			PG_WG=kernel
		fi
	fi
	[ "$PG_WG" = kernel ]
}
# wg_backend: what portgated's tracker reports reading that implementation.
wg_backend() { if wg_kernel; then echo kernel; else echo uapi; fi; }

# wg_up NS IFNAME ADDR/LEN PRIVATE_KEY_FILE [LISTEN_PORT]: a WireGuard
# interface, kernel or wireguard-go as wg_kernel decides.
wg_up() {
	local n=$1 dev=$2 addr=$3 key=$4 port=${5:-}
	if wg_kernel; then
		in_ns "$n" ip link add "$dev" type wireguard ||
			{ echo "kernel WireGuard $dev could not be made"; return 1; }
	else
		WG_DEVS="$WG_DEVS $dev"
		WG_PROCESS_FOREGROUND=1 ip netns exec "$(ns "$n")" wireguard-go "$dev" >/dev/null 2>&1 &
		BG_PIDS="$BG_PIDS $!"
		disown $!	# killed with its namespace at the end; no job notice
		wait_until 5 test -S "/var/run/wireguard/$dev.sock" || { echo "wireguard-go $dev did not start"; return 1; }
	fi
	in_ns "$n" wg set "$dev" private-key "$key" ${port:+listen-port "$port"} || return 1
	in_ns "$n" ip addr add "$addr" dev "$dev"
	in_ns "$n" ip link set "$dev" up
}

# A fresh key pair in files $DIR/NAME.key and $DIR/NAME.pub.
wg_keypair() {
	(umask 077; wg genkey >"$TMPD/$1.key")
	wg pubkey <"$TMPD/$1.key" >"$TMPD/$1.pub"
}
TMPD=$(mktemp -d)
trap 'cleanup; rm -rf "$TMPD"' EXIT
