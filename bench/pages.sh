#!/usr/bin/env bash
# bench/pages.sh - which writable pages a worker touches for one short
# connection: the footprint that each worker brings back into the TLB and
# the caches when hundreds of workers take turns on a core.  Starts the
# server with one worker in a fresh network namespace, warms it up, then
# three times: clears the worker's referenced bits (/proc/PID/clear_refs),
# makes one echo round trip, and lists the writable mappings with pages
# referenced since (smaps "Referenced", KiB).  File-backed text pages are
# left out: their referenced bit is shared with every process that maps
# them.  Needs root.  Not part of `make check`.
#
#   bench/pages.sh preforkd PATH     (an echo service, 1 worker)
#   bench/pages.sh minprefork -      (bench/minprefork.c, 1 worker)
set -u
kind=$1 path=$2
HERE=$(cd "$(dirname "$0")" && pwd)
BIN=$(mktemp -d /tmp/preforkd-pages.XXXXXX)
trap 'rm -rf "$BIN"' EXIT
make -s -C "$HERE" BUILDDIR="$BIN" >/dev/null || exit 1
one() {
	local port=31997 d=$BIN/run srv w i
	ip link set lo up
	mkdir -p "$d"
	if [ "$kind" = preforkd ]; then
		cat > "$d/s.conf" <<-E2
		user = "root";
		pid_file = "$d/pid";
		error_log = "$d/err";
		log_level = "notice";
		services = ( { name = "b"; listen = "127.0.0.1:$port"; handler = "echo"; workers = 1; } );
		E2
		set -- "$path" -f -c "$d/s.conf"
	else
		set -- "$BIN/minprefork" -p "$port" -w 1
	fi
	"$@" > "$d/out" 2>&1 &
	srv=$!
	"$BIN/supervise" wait -p "$port" -T 20000 || { kill "$srv"; return 1; }
	sleep 0.3
	w=$(awk -v pp="$srv" '{ s = $0; sub(/.*\) /, "", s); split(s, f, " "); if (f[2] == pp) print $1 }' /proc/[0-9]*/stat 2>/dev/null | head -1)
	"$BIN/loadgen" -p "$port" -c 1 -d 0.2 -n 16 >/dev/null
	for i in 1 2 3; do
		echo 1 > "/proc/$w/clear_refs"
		"$BIN/supervise" wait -p "$port" -T 1000
		sleep 0.1
		awk '/^[0-9a-f]+-[0-9a-f]+ / { m = $1 " " $2 " " ($6 == "" ? "[anon]" : $6) }
		    /^Referenced:/ { if ($2 > 0 && m ~ / rw/) { print "  " m, $2; t += $2 } }
		    END { print "round trip " NR ": " t " KiB in writable pages" }' "/proc/$w/smaps" |
		    sed "s/round trip [0-9]*/round trip $i/"
	done
	kill -TERM "$srv"; sleep 0.3; kill -KILL "$w" 2>/dev/null
	wait "$srv" 2>/dev/null
}
export -f one; export kind path BIN
unshare -n bash -c one
