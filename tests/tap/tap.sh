# tap.sh - TAP for the tests written in bash (tests/install/check,
# tests/package/run), the shell's counterpart of basic.c: each check prints
# "ok N - what" or "not ok N - what", tap_done prints the plan and says
# whether all passed.  Sourced, never run.
#
# SPDX-License-Identifier: MIT

tap_n=0
tap_failed=0

# ok STATUS WHAT - one check: passed when STATUS is 0.  With TAP_COPY set
# to a file, the line is added to it too (.ci/run counts them there when
# make prints them among its own lines).
ok() {
	local line
	tap_n=$((tap_n + 1))
	if [ "$1" -eq 0 ]; then
		line="ok $tap_n - $2"
	else
		line="not ok $tap_n - $2"
		tap_failed=$((tap_failed + 1))
	fi
	echo "$line"
	[ -n "${TAP_COPY:-}" ] && echo "$line" >>"$TAP_COPY"
	return "$1"
}

# skip WHY - a check that cannot run here (counted apart, not as passed).
skip() {
	tap_n=$((tap_n + 1))
	echo "ok $tap_n # SKIP $1"
	[ -n "${TAP_COPY:-}" ] && echo "ok $tap_n # SKIP $1" >>"$TAP_COPY"
	return 0
}

# check WHAT COMMAND... - run the command; ok when it exits 0.
check() {
	local what=$1
	shift
	"$@"
	ok $? "$what"
}

# like TEXT NEEDLE WHAT - ok when TEXT contains NEEDLE; shows TEXT if not.
like() {
	case $1 in
	*"$2"*) ok 0 "$3" ;;
	*)	ok 1 "$3"; diag "wanted: $2" "got: $1" ;;
	esac
}

# diag LINE... - comments, one a line.
diag() {
	local line
	for line in "$@"; do
		printf '%s\n' "$line" | sed 's/^/# /'
	done
}

# tap_done - the plan; status 0 only when every check passed.
tap_done() {
	echo "1..$tap_n"
	[ -n "${TAP_COPY:-}" ] && echo "1..$tap_n" >>"$TAP_COPY"
	[ "$tap_failed" -eq 0 ]
}

# tap_wait SECONDS COMMAND... - poll COMMAND every 0.1 s until it exits 0
# (status 0) or SECONDS pass (status 1).
tap_wait() {
	local end=$(($(date +%s) + $1))
	shift
	until "$@"; do
		[ "$(date +%s)" -ge "$end" ] && return 1
		sleep 0.1
	done
}

# tap_echo PORT [MESSAGE] - one round trip to the echo service at
# 127.0.0.1:PORT over TCP (bash's /dev/tcp): status 0 when MESSAGE (one
# line) came back within 10 s.
tap_echo() {
	local msg=${2:-hello} line= fd
	exec {fd}<>"/dev/tcp/127.0.0.1/$1" 2>/dev/null || return 1
	printf '%s\n' "$msg" >&"$fd"
	read -r -t 10 line <&"$fd"
	exec {fd}>&-
	[ "$line" = "$msg" ]
}

# tap_port LOG SERVICE - the TCP port SERVICE listens on, from the
# daemon's "service S: listening on tcp HOST:PORT" line in LOG.
tap_port() {
	sed -n "s/.*service $2: listening on tcp [^ ]*:\([0-9]*\) .*/\1/p" \
	    "$1" | head -n 1
}
