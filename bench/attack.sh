# bench/attack.sh - the "under attack" scenarios (issue 11), sourced by
# `bench/run --attack` once run has built the programs, found preforkd and
# the packages, and defined its helpers (server_start, server_stop, cpu_ns,
# in_ns, pf_conf, field, note, say).  Three parts, one report
# (bench/results/<date>-attack[-quick].md):
#
#   1. legitimate short connections (loadgen, c=16, 127.0.0.1..16) while
#      bench/attack.c, from 256 other addresses (127.0.1.1 ..), holds
#      idle connections (pool size, then 10x) or floods new connections;
#      the legitimate rate as a ratio to the same server's unattacked run,
#      for preforkd with the limits on and off, Apache prefork (default
#      mod_reqtimeout) and xinetd with per_source;
#   2. the hot path's cost: preforkd with `access` (10 rules) and
#      `max_per_source` against preforkd without, unattacked;
#   3. UDP reflection: 10,000 empty datagrams from 100 addresses to
#      chargen, the answer bytes per source and the amplification.
#
# Settings this preforkd does not know yet (preforkd -t refuses them) are
# left out, and the report names them.

POOL=16			# workers of every pooled server; the legit concurrency
A_SRC=127.0.1.1		# the attacker's first source address
A_NSRC=$(( POOL * 10 > 256 ? POOL * 10 : 256 ))
WARM=${WARM_SET:-2}	# seconds the attack runs before the legit clients start
# Seconds the legitimate clients run, under the attack, before the
# measured DURATION: the onset, while a server that learns who holds it
# (preforkd's tarpit: each attacking address is cut once) is learning.
# Its rate is reported on its own; the target is about what follows.
ONSET=${ONSET_SET:-5}
LEGIT_TMO=5000		# ms a legit client waits for its answer
FLOOD_INFLIGHT=64
MPS=4			# max_per_source, and xinetd's per_source
UDP_N=10000
UDP_NSRC=100
UDP_RATE=5000
if [ -z "$DURATION_SET" ]; then
	DURATION=10; [ "$QUICK" = 1 ] && DURATION=3
fi
if [ -z "$RUNS_SET" ]; then
	RUNS=3; [ "$QUICK" = 1 ] && RUNS=1
fi
HOT_DUR=5; HOT_RUNS=5
[ "$QUICK" = 1 ] && { HOT_DUR=1; HOT_RUNS=3; }
[ -n "$DURATION_SET" ] && HOT_DUR=$DURATION
SCENARIOS=${SCENARIOS_SET:-"none hold1 hold10 flood floodaside"}
A_CONTENDERS="preforkd-limits preforkd apache xinetd-ps"
[ -n "$CONTENDERS_SET" ] && A_CONTENDERS=$CONTENDERS
APACHE=$(command -v apache2 || echo /usr/sbin/apache2)
export TMP APACHE POOL MPS

# Apache and its workers (user nobody) read the document root under $TMP.
chmod 0711 "$TMP"

# --- the settings ------------------------------------------------------------

# Ten access rules: a legitimate client (127.0.0.x) walks nine of them
# before the one that lets it in, the attacker (127.0.1.x) too.
ACL_RULES='access = [ "deny 10.0.0.0/8", "deny 172.16.0.0/12", "deny 192.168.0.0/16",
  "deny 169.254.0.0/16", "deny 100.64.0.0/10", "deny 198.18.0.0/15",
  "deny 2001:db8::/32", "deny fe80::/10", "allow 127.0.0.0/8", "deny all" ];'

# The recommended limits, one setting a line, as issue 11 names them.  The
# rates are set above what the legitimate load generator sends from each
# of its 16 addresses on loopback (up to ~2,000 connections a second each):
# below it, the limits would throttle the unattacked baseline itself and
# the ratio would mean nothing.  --limits FILE replaces this list.
default_limits() {
	echo "$ACL_RULES"
	echo "max_per_source = $MPS;"
	echo 'source_prefix6 = 64;'
	echo 'max_rate_per_source = "5000/s burst 10000";'
	echo 'max_rate = "100000/s burst 200000";'
	echo 'defer_accept = 5;'
	echo 'io_timeout_busy = 0.25;'
	echo 'min_rate = 100;'
}

# probe_lines SRC DST HANDLER: keeps in DST the settings of SRC (one a line,
# a line ending in "[" or "," going on to the next) that `preforkd -t`
# accepts, one at a time, each with those kept before it; prints what it left out, one "name: why" a line.
probe_lines() {
	local src=$1 dst=$2 h=$3 d=$TMP/probe-limits one name
	mkdir -p "$d"
	: > "$dst"
	awk '/^[ \t]*#/ { next }
	     { sub(/^[ \t]+/, ""); b = b $0 }
	     /[,[][ \t]*$/ { b = b " "; next }
	     { print b; b = "" }
	     END { if (b != "") print b }' "$src" |
	while IFS= read -r one; do
		[ -n "$one" ] || continue
		# Tried with those kept so far: min_rate needs io_timeout_busy.
		{ cat "$dst"; printf '%s\n' "$one"; } > "$d/one"
		pf_conf "$d/p.conf" 7 1 "$h" 0 "$d" "$d/one"
		name=${one%%[ =]*}
		if "$PREFORKD" -t -c "$d/p.conf" >"$d/out" 2>&1; then
			printf '%s\n' "$one" >> "$dst"
		else
			echo "$name: $(grep -v 'configuration OK' "$d/out" | head -1 | sed 's/^[^:]*:[0-9]*: //')"
		fi
	done
}

if [ -n "$LIMITS_FILE" ]; then
	[ -r "$LIMITS_FILE" ] || { echo "bench/run: --limits $LIMITS_FILE: cannot read it" >&2; exit 64; }
	cp "$LIMITS_FILE" "$TMP/limits.want"
else
	default_limits > "$TMP/limits.want"
fi
{ echo "$ACL_RULES"; echo "max_per_source = $MPS;"; } > "$TMP/acl.want"
LIMITS_MISSING=$(probe_lines "$TMP/limits.want" "$TMP/limits.conf" echo)
ACL_MISSING=$(probe_lines "$TMP/acl.want" "$TMP/acl.conf" echo)
# UDP: the per-source limits the UDP built-ins have by default, written
# out (bench/udp-limits.conf): the TCP list's rates are set above the
# loopback load generator's and would lift them.
UDP_MISSING=$(probe_lines "$HERE/udp-limits.conf" "$TMP/limits-udp.conf" chargen)
# The budget those defaults give one source over the flood: the burst,
# and the rate over its sending time and the quiet wait after it.
if [ -z "$UDP_BUDGET" ]; then
	UDP_BUDGET=$(awk -v n="$UDP_N" -v r="$UDP_RATE" 'BEGIN { t = n / r + 0.5; printf "%d", 16384 + 8192 * (t == int(t) ? t : int(t) + 1) }')
	note "UDP budget: 16384 + 8192 bytes a second (max_reply_bytes_per_source's default) over the flood's $(( UDP_N / UDP_RATE )) s and the 0.5 s after: $UDP_BUDGET bytes a source"
fi
pf_conf "$TMP/probe-limits/all.conf" 7 "$POOL" echo 0 "$TMP/probe-limits" "$TMP/limits.conf"
if ! "$PREFORKD" -t -c "$TMP/probe-limits/all.conf" >"$TMP/probe-limits/all.out" 2>&1; then
	echo "bench/run: preforkd -t refuses the limits together:" >&2
	cat "$TMP/probe-limits/all.out" >&2
	exit 1
fi
[ -n "$LIMITS_MISSING" ] && note "limits not in this build (left out of preforkd-limits): $(cut -d: -f1 <<<"$LIMITS_MISSING" | tr '\n' ' ' | sed 's/ $//')"
[ -s "$TMP/limits.conf" ] || note "preforkd-limits runs with none of the limits: it is preforkd with its defaults"

# --- the other servers' configurations ----------------------------------------

# apache_conf DIR PORT WORKERS: Apache prefork, a static pool of WORKERS,
# serving a 32-byte file (the echo's size) to HTTP/1.0 GETs, no keep-alive,
# no access log; mod_reqtimeout loaded with no RequestReadTimeout, so with
# its defaults (header=20-40,MinRate=500 body=20,MinRate=500).
apache_conf() {
	local d=$1 port=$2 w=$3 m=/usr/lib/apache2/modules
	mkdir -p "$d/htdocs"
	chmod 0755 "$d" "$d/htdocs"
	printf 'abcdefghijklmnopqrstuvwxyzabcde\n' > "$d/htdocs/32.txt"
	chmod 0644 "$d/htdocs/32.txt"
	cat > "$d/httpd.conf" <<-EOF
	ServerRoot "$d"
	DefaultRuntimeDir "$d"
	PidFile "$d/httpd.pid"
	Mutex file:$d default
	LoadModule mpm_prefork_module $m/mod_mpm_prefork.so
	LoadModule authz_core_module $m/mod_authz_core.so
	LoadModule mime_module $m/mod_mime.so
	LoadModule reqtimeout_module $m/mod_reqtimeout.so
	TypesConfig /etc/mime.types
	Listen 127.0.0.1:$port
	ListenBacklog 511
	ServerName localhost
	User nobody
	Group #65534
	ErrorLog "$d/error.log"
	LogLevel warn
	DocumentRoot "$d/htdocs"
	<Directory "$d/htdocs">
	    Require all granted
	</Directory>
	KeepAlive Off
	StartServers $w
	MinSpareServers $w
	MaxSpareServers $(( w + 1 ))
	ServerLimit $w
	MaxRequestWorkers $w
	MaxConnectionsPerChild 0
	EOF
}

# xinetd_ps_conf FILE PORT: xinetd's internal echo (a process forked per
# connection), per_source as preforkd's max_per_source, instances at its
# default (no limit), cps raised as in the main bench (its default, 50 a
# second, would shut the service for 10 s under the unattacked load).
xinetd_ps_conf() {
	cat > "$1" <<-EOF
	defaults
	{
	    log_on_success =
	    log_on_failure =
	}
	service echo
	{
	    type = INTERNAL UNLISTED
	    id = echo-stream
	    socket_type = stream
	    protocol = tcp
	    port = $2
	    bind = 127.0.0.1
	    wait = no
	    user = root
	    per_source = $MPS
	    cps = 1000000 1
	}
	EOF
}
export -f apache_conf xinetd_ps_conf

# --- one measurement under attack ----------------------------------------------

# attack_measure CONTENDER SCENARIO PORT DIR: prints the legit client's
# RESULT line, the server's CPU and process count, and the attacker's
# RESULT line with its keys prefixed "a_".
attack_measure() {
	local c=$1 scen=$2 port=$3 d=$4 a b out procs apid= aout= lg=() byte=x onset sink= aport
	[ "$NETNS" = 1 ] && ip link set lo up
	mkdir -p "$d"
	if [ "$c" = apache ]; then lg=(-m http -u /32.txt); byte=G; fi
	if ! server_start "$c" "$port" "$POOL" "$d" ""; then
		echo "RESULT failed=start"
		server_stop
		return
	fi
	sleep 0.2
	case $scen in
	hold1|hold10)
		"$BIN/attack" -m hold -p "$port" -c $(( POOL * ${scen#hold} )) \
		    -d "$(( WARM + ONSET + DURATION + 1 ))" -S "$A_SRC" \
		    -n "$A_NSRC" -b "$byte" > "$d/attack.out" 2>&1 & apid=$! ;;
	flood|floodaside)
		aport=$port
		if [ "$scen" = floodaside ]; then
			# The same flood, at the least a server can be
			# (minprefork, as many workers, an echo) on another port
			# of the same machine: what the attacker and the
			# kernel's handshakes alone leave the server under test,
			# which spends nothing on the flood.
			aport=$(( port + 10000 )); byte=x
			"$BIN/minprefork" -p "$aport" -w "$POOL" > "$d/aside.out" 2>&1 &
			sink=$!
			"$BIN/supervise" wait -p "$aport" -T 10000 > /dev/null 2>&1
		fi
		"$BIN/attack" -m flood -p "$aport" -c "$FLOOD_INFLIGHT" \
		    -r "$FLOOD_RATE" -d "$(( WARM + ONSET + DURATION + 1 ))" -S "$A_SRC" \
		    -n "$A_NSRC" -b "$byte" > "$d/attack.out" 2>&1 & apid=$! ;;
	esac
	[ -n "$apid" ] && sleep "$WARM"
	onset=$("$BIN/loadgen" -p "$port" -c "$POOL" -d "$ONSET" -n "$NSRC" \
	    -t "$LEGIT_TMO" "${lg[@]}" | sed -n 's/.* rate=\([^ ]*\).*/\1/p')
	a=$(cpu_ns "$CG" "$SRVPID")
	out=$("$BIN/loadgen" -p "$port" -c "$POOL" -d "$DURATION" -n "$NSRC" \
	    -t "$LEGIT_TMO" "${lg[@]}")
	b=$(cpu_ns "$CG" "$SRVPID")
	if [ -n "$CG" ]; then
		procs=$(wc -l < "$CG/cgroup.procs")
	else
		procs=$(tree_pids "$SRVPID" | wc -l)
	fi
	if [ -n "$apid" ]; then
		wait "$apid"
		aout=$(sed -n 's/^RESULT //p' "$d/attack.out" | sed 's/\([^ ]*=\)/a_\1/g')
	fi
	if [ -n "$sink" ]; then	# its workers follow it (PR_SET_PDEATHSIG)
		kill -TERM "$sink" 2>/dev/null
		wait "$sink" 2>/dev/null
	fi
	server_stop
	echo "$out onset_rate=${onset:--} workers=$POOL cpu_ns=$(( b - a )) procs=$procs $aout"
}

# hot_measure CONTENDER PORT DIR: unattacked, c=16, HOT_DUR seconds.
hot_measure() {
	local c=$1 port=$2 d=$3 a b out
	[ "$NETNS" = 1 ] && ip link set lo up
	mkdir -p "$d"
	server_start "$c" "$port" "$POOL" "$d" "" || { echo "RESULT failed=start"; server_stop; return; }
	sleep 0.2
	a=$(cpu_ns "$CG" "$SRVPID")
	out=$("$BIN/loadgen" -p "$port" -c "$POOL" -d "$HOT_DUR" -n "$NSRC")
	b=$(cpu_ns "$CG" "$SRVPID")
	server_stop
	echo "$out workers=$POOL cpu_ns=$(( b - a ))"
}

# udp_measure NAME PORT DIR EXTRA: chargen over UDP (2 workers) and the
# reflection flood; prints attack's UDP line.
udp_measure() {
	local name=$1 port=$2 d=$3 extra=$4 out
	[ "$NETNS" = 1 ] && ip link set lo up
	mkdir -p "$d"
	pf_conf "$d/s.conf" "$port" 2 chargen 0 "$d" "$extra"
	"$PREFORKD" -f -c "$d/s.conf" > "$d/server.out" 2>&1 </dev/null &
	SRVPID=$!
	CG=
	for _ in $(seq 1 200); do
		[ -s "$d/preforkd.pid" ] && break
		sleep 0.05
	done
	sleep 0.2
	out=$("$BIN/attack" -m udp -p "$port" -N "$UDP_N" -n "$UDP_NSRC" \
	    -S 127.0.2.1 -r "$UDP_RATE" -w 500)
	kill -TERM "$SRVPID" 2>/dev/null
	wait "$SRVPID" 2>/dev/null
	echo "$out"
}
export -f attack_measure hot_measure udp_measure
export WARM ONSET DURATION LEGIT_TMO FLOOD_INFLIGHT FLOOD_RATE A_SRC A_NSRC HOT_DUR \
    UDP_N UDP_NSRC UDP_RATE

# --- the runs ---------------------------------------------------------------------

ARAW=$TMP/attack-raw.txt
: > "$ARAW"
ACT=()
for c in $A_CONTENDERS; do
	[ "${AVAIL[$c]:-1}" = 1 ] && ACT+=("$c")
done
nmeas=$(( RUNS * ${#ACT[@]} * $(wc -w <<<"$SCENARIOS") ))
say "under attack: ${ACT[*]}; scenarios $SCENARIOS; $RUNS runs of ${DURATION}s (+${WARM}s of attack alone, then ${ONSET}s of onset): $nmeas measurements, about $(( nmeas * (DURATION + WARM + ONSET + 1) / 60 + 1 )) min"
port=24000; i=0
for run in $(seq 1 "$RUNS"); do
	for scen in $SCENARIOS; do
		for c in "${ACT[@]}"; do
			i=$(( i + 1 )); port=$(( port + 1 ))
			r=$(in_ns attack_measure "$c" "$scen" "$port" "$TMP/a/$c-$scen-$run")
			printf '%s %s %s %s\n' "$c" "$scen" "$run" "$r" >> "$ARAW"
			printf '  %3d/%d %-16s %-7s run %d: %8s conn/s  timeouts %s  attacker: %s\n' \
			    "$i" "$nmeas" "$c" "$scen" "$run" "$(field rate "$r")" \
			    "$(field timeout "$r")" \
			    "$(case $scen in hold*) echo "held avg $(field a_held_avg "$r"), cut $(field a_cut "$r")" ;; flood*) echo "$(field a_rate "$r") conn/s" ;; *) echo - ;; esac)" >&2
		done
	done
done

HRAW=$TMP/hot-raw.txt
: > "$HRAW"
HOT=(preforkd preforkd-acl)
say "hot path: ${HOT[*]}, unattacked, c=$POOL, $HOT_RUNS runs of ${HOT_DUR}s"
for run in $(seq 1 "$HOT_RUNS"); do
	for c in "${HOT[@]}"; do
		port=$(( port + 1 ))
		r=$(in_ns hot_measure "$c" "$port" "$TMP/h/$c-$run")
		printf '%s %s\n' "$c" "$r" >> "$HRAW"
		printf '  %-13s run %d: %8s conn/s\n' "$c" "$run" "$(field rate "$r")" >&2
	done
done

URAW=$TMP/udp-raw.txt
: > "$URAW"
say "UDP reflection: $UDP_N empty datagrams from $UDP_NSRC addresses to chargen, $UDP_RATE a second"
UDPV=("defaults:")
[ -s "$TMP/limits-udp.conf" ] && UDPV+=("limits:$TMP/limits-udp.conf")
for v in "${UDPV[@]}"; do
	port=$(( port + 1 ))
	r=$(in_ns udp_measure "${v%%:*}" "$port" "$TMP/u/${v%%:*}" "${v#*:}")
	printf '%s %s\n' "${v%%:*}" "$r" >> "$URAW"
	say "  ${v%%:*}: $r"
done

# --- aggregation ------------------------------------------------------------------

amed() {	# amed CONTENDER SCENARIO KEY: median over runs
	awk -v c="$1" -v s="$2" -v k="$3" '$1 == c && $2 == s {
		for (i = 4; i <= NF; i++) { split($i, kv, "="); f[kv[1]] = kv[2] }
		if (k == "cpu_us") { if (f["ok"] > 0) printf "%.2f\n", f["cpu_ns"]/1000/f["ok"] }
		else if (k == "errors") print f["refused"]+f["reset"]+f["timeout"]+f["short"]+f["bad"]+f["other"]
		else if (k in f) print f[k]
		delete f }' "$ARAW" | median
}
hmed() {	# hmed CONTENDER KEY
	awk -v c="$1" -v k="$2" '$1 == c {
		for (i = 2; i <= NF; i++) { split($i, kv, "="); f[kv[1]] = kv[2] }
		if (k == "cpu_us") { if (f["ok"] > 0) printf "%.3f\n", f["cpu_ns"]/1000/f["ok"] }
		else if (k in f) print f[k]
		delete f }' "$HRAW" | median
}
ok() { awk -v v="$1" -v t="$2" -v dir="$3" 'BEGIN { if (v == "" || v == "-") print "n/a"; else if ((dir == "ge" && v >= t) || (dir == "le" && v <= t)) print "**met**"; else print "**MISSED**" }'; }
names() { cut -d: -f1 <<<"$1" | tr '\n' ' ' | sed 's/ $//'; }
# verd MISSING VALUE THRESHOLD ge|le: n/a while a setting the target is
# about is not in this build (the two sides would be the same server).
verd() {
	if [ -n "$1" ]; then
		echo "n/a: not in this build ($(names "$1"))"
	else
		ok "$2" "$3" "$4"
	fi
}
scen_name() {
	case $1 in
	none) echo "no attack" ;;
	hold1) echo "$POOL idle connections (= the pool)" ;;
	hold10) echo "$(( POOL * 10 )) idle connections (10× the pool)" ;;
	flood) echo "flood of new connections" ;;
	floodaside) echo "the same flood aimed at another server beside it" ;;
	esac
}

# scen_header: a table's head, a column per scenario.
scen_header() {
	local line scen
	line='| server |'; for scen in $SCENARIOS; do line+=" $(scen_name "$scen") |"; done
	echo "$line"
	line='|---|'; for scen in $SCENARIOS; do line+='---:|'; done
	echo "$line"
}

DATE=$(date +%Y-%m-%d)
SUFFIX=-attack; [ "$QUICK" = 1 ] && SUFFIX=-attack-quick
mkdir -p "$HERE/results"
MD=$HERE/results/$DATE$SUFFIX.md

declare -A RATIO
worst=
for c in "${ACT[@]}"; do
	base=$(amed "$c" none rate)
	for scen in hold1 hold10 flood floodaside; do
		RATIO[$c,$scen]=$(ratio "$(amed "$c" "$scen" rate)" "$base")
		if [ "$c" = preforkd-limits ] && [ "$scen" != floodaside ] &&
		    [[ " $SCENARIOS " == *" $scen "* ]]; then
			worst=$(awk -v a="$worst" -v b="${RATIO[$c,$scen]}" 'BEGIN { if (b == "-") print a; else if (a == "" || b < a) print b; else print a }')
		fi
	done
done
hp=$(hmed preforkd rate); ha=$(hmed preforkd-acl rate)
hcp=$(hmed preforkd cpu_us); hca=$(hmed preforkd-acl cpu_us)
hr=$(ratio "$ha" "$hp"); hc=$(awk -v a="$hca" -v b="$hcp" 'BEGIN { if (a == "-" || b == "-" || b == 0) print "-"; else printf "%.3f", a / b }')

udp_line() { awk -v v="$1" '$1 == v { $1 = ""; print }' "$URAW"; }
UD=$(udp_line defaults); UL=$(udp_line limits)
if [ -n "$UDP_BUDGET" ]; then
	UVERD=$(ok "$(field src_max_bytes " $([ -n "$UL" ] && echo "$UL" || echo "$UD")")" "$UDP_BUDGET" le)
else
	UVERD="n/a (no --udp-budget)"
fi

{
	echo "# preforkd under attack, $DATE$([ "$QUICK" = 1 ] && echo ' (quick)')"
	echo
	echo "- preforkd: \`$PREFORKD\` ($("$PREFORKD" -V 2>&1 | head -1)), tree at $(git -C "$TOP" rev-parse --short HEAD 2>/dev/null || echo '?')$(git -C "$TOP" diff --quiet HEAD -- src 2>/dev/null || echo ' (src/ has uncommitted changes)')"
	echo "- others: $("$APACHE" -v 2>/dev/null | sed -n 's/^Server version: //p') (mpm_prefork), xinetd $(xinetd -version 2>&1 | head -1 | sed 's/^xinetd //')"
	echo "- machine: $NCPU cores, $(sed -n 's/^model name[^:]*: //p' /proc/cpuinfo | head -1), kernel $(uname -r), load average $(cut -d' ' -f1-3 /proc/loadavg) at the end"
	echo "- legitimate load: \`loadgen\`, $POOL short connections in flight from 127.0.0.1–127.0.0.$NSRC, answer within $(( LEGIT_TMO / 1000 )) s, ${DURATION}s per measurement, median of $RUNS runs; echo (32 bytes each way) against preforkd and xinetd, an HTTP/1.0 GET of a 32-byte file against Apache"
	echo "- attacker: \`attack\` from $A_NSRC addresses ($A_SRC …), started ${WARM}s before the legitimate clients, which then run ${ONSET}s (the onset, reported on its own) before the ${DURATION}s measured; hold: one byte, then silence, opened again at once when the server closes it; flood: $FLOOD_INFLIGHT in flight, $([ "$FLOOD_RATE" = 0 ] && echo 'as fast as it can' || echo "$FLOOD_RATE a second"), one byte each, closed once connected"
	echo "- pools: $POOL workers (preforkd static pool; Apache StartServers = MaxRequestWorkers = $POOL); xinetd forks a process per connection (instances unlimited, per_source $MPS)"
	echo "- isolation: $([ "$NETNS" = 1 ] && echo 'each measurement in its own network namespace' || echo 'host loopback')"
	echo "- command: \`bench/run --attack$([ "$QUICK" = 1 ] && echo ' --quick') --duration $DURATION --runs $RUNS$([ -n "$LIMITS_FILE" ] && echo " --limits $LIMITS_FILE")$([ "$FLOOD_RATE" != 0 ] && echo " --flood-rate $FLOOD_RATE")\`, $(( $(date +%s) - T0 )) s"
	for n in "${NOTES[@]}"; do echo "- note: $n"; done
	echo
	echo '## Targets'
	echo
	echo '| target | measured | verdict |'
	echo '|---|---|---|'
	if [ -s "$TMP/limits.conf" ]; then
		lv="$(ok "$worst" 0.9 ge)$([ -n "$LIMITS_MISSING" ] && echo " (without $(names "$LIMITS_MISSING"): not in this build)")"
	else
		lv="n/a: none of the limits is in this build"
	fi
	echo "| preforkd with the recommended limits keeps ≥ 0.9× of its unattacked rate under each attack | worst ${worst}× | $lv |"
	case " $SCENARIOS " in *" floodaside "*)
		echo "| (not a target) the most a server keeps on this machine under the flood: preforkd-limits with the flood aimed at another server | ${RATIO[preforkd-limits,floodaside]:--}× | the bound |" ;;
	esac
	echo "| \`access\` (10 rules) and \`max_per_source\`: rate ≥ 0.95× of preforkd without | ${hr}× | $(verd "$ACL_MISSING" "$hr" 0.95 ge) |"
	echo "| the same: server CPU per connection ≤ 1.05× | ${hc}× | $(verd "$ACL_MISSING" "$hc" 1.05 le) |"
	echo "| UDP reflection: answer bytes per source within the budget$([ -n "$UDP_BUDGET" ] && echo " ($UDP_BUDGET bytes)") | max $(field src_max_bytes " $([ -n "$UL" ] && echo "$UL" || echo "$UD")") bytes from one source | $UVERD |"
	echo
	echo '## Legitimate rate under attack'
	echo
	echo 'Legitimate connections completed per second (median), and as a ratio to the same server without attack.'
	echo
	scen_header
	for c in $A_CONTENDERS; do
		if [ "${AVAIL[$c]:-1}" != 1 ]; then echo "| $c | ${WHY[$c]:-not run} |"; continue; fi
		line="| $c |"
		for scen in $SCENARIOS; do
			if [ "$scen" = none ]; then line+=" $(fmt0 "$(amed "$c" none rate)") |"
			else line+=" $(fmt0 "$(amed "$c" "$scen" rate)") (**${RATIO[$c,$scen]}×**) |"; fi
		done
		echo "$line"
	done
	echo
	case " $SCENARIOS " in *" floodaside "*)
		echo "*$(scen_name floodaside)*: the flood goes to bench/minprefork.c ($POOL workers) on another port of the same machine, the legitimate clients to the server of the row as before. That server spends nothing on the flood: its ratio there is the most any server could keep on this machine against this flood (what the attacker's own CPU and the kernel's handshakes leave). It is not counted in the target's verdict."
		echo ;;
	esac
	echo "The onset: the same, over the ${ONSET}s before the measurement, when the legitimate clients have just come and the server is still learning which addresses hold it (preforkd cuts each attacking address once, then holds its connections without a worker: bench/README.md)."
	echo
	scen_header
	for c in $A_CONTENDERS; do
		[ "${AVAIL[$c]:-1}" = 1 ] || continue
		line="| $c |"
		for scen in $SCENARIOS; do
			o=$(amed "$c" "$scen" onset_rate)
			if [ "$scen" = none ]; then line+=" $(fmt0 "$o") |"
			else line+=" $(fmt0 "$o") (**$(ratio "$o" "$(amed "$c" none onset_rate)")×**) |"; fi
		done
		echo "$line"
	done
	echo
	echo '| server | contender |'
	echo '|---|---|'
	echo "| preforkd-limits | preforkd, $POOL workers, with: $(grep -o '^[a-z_0-9]*' "$TMP/limits.conf" | tr '\n' ' ')$([ -s "$TMP/limits.conf" ] || echo 'none (not in this build)') |"
	echo "| preforkd | preforkd, $POOL workers, its defaults (io_timeout 60) |"
	echo "| apache | Apache prefork, $POOL workers, mod_reqtimeout defaults |"
	echo "| xinetd-ps | xinetd internal echo, per_source = $MPS |"
	echo
	echo '### The attacker and the servers, in each scenario (medians)'
	echo
	echo '| server | scenario | legit errors (timeouts) | legit p99 µs | attacker: connections held (avg, min) | attacker: cut by the server | held before the cut, ms | flood conn/s | server processes at the end |'
	echo '|---|---|---:|---:|---:|---:|---:|---:|---:|'
	for c in "${ACT[@]}"; do for scen in $SCENARIOS; do
		echo "| $c | $scen | $(amed "$c" "$scen" errors) ($(amed "$c" "$scen" timeout)) | $(amed "$c" "$scen" p99_us) | $(amed "$c" "$scen" a_held_avg), $(amed "$c" "$scen" a_held_min) | $(amed "$c" "$scen" a_cut) | $(amed "$c" "$scen" a_cut_mean_ms) | $(fmt0 "$(amed "$c" "$scen" a_rate)") | $(amed "$c" "$scen" procs) |"
	done; done
	echo
	echo '## Cost of the checks on the hot path (unattacked)'
	echo
	echo "preforkd, $POOL workers, c=$POOL short echo connections, median of $HOT_RUNS alternating runs of ${HOT_DUR}s."
	echo
	echo '| server | conn/s | server µs CPU/conn | runs (conn/s) |'
	echo '|---|---:|---:|---|'
	for c in "${HOT[@]}"; do
		echo "| $c | $(fmt0 "$(hmed "$c" rate)") | $(hmed "$c" cpu_us) | $(awk -v c="$c" '$1 == c { for (i = 2; i <= NF; i++) if ($i ~ /^rate=/) printf "%s%.0f", (n++ ? ", " : ""), substr($i, 6) }' "$HRAW") |"
	done
	echo "| ratio | ${hr}× | ${hc}× | |"
	echo
	echo "preforkd-acl adds: $(grep -o '^[a-z_0-9]*' "$TMP/acl.conf" | tr '\n' ' ')$([ -s "$TMP/acl.conf" ] || echo 'nothing (not in this build)')"
	echo
	echo '## UDP reflection (chargen)'
	echo
	echo "$UDP_N empty datagrams, round robin from $UDP_NSRC addresses (127.0.2.1 …), $UDP_RATE a second, to preforkd's chargen over UDP (2 workers); answers read until none came for 0.5 s. Amplification at the IP level (28 bytes of IPv4 and UDP header on every datagram): *per answer* is what one answered datagram yields (what chargen is without a limit), *over the flood* is all answer bytes over all request bytes."
	echo
	echo '| preforkd | answered | answer bytes | sources answered | max bytes / source | median bytes / source | max answers / source | amplification per answer | amplification over the flood |'
	echo '|---|---:|---:|---:|---:|---:|---:|---:|---:|'
	for v in "${UDPV[@]}"; do
		l=" $(udp_line "${v%%:*}")"
		echo "| ${v%%:*} | $(field answers "$l") of $(field sent "$l") | $(field ans_bytes "$l") | $(field sources_answered "$l") | $(field src_max_bytes "$l") | $(field src_median_bytes "$l") | $(field src_max_answers "$l") | $(field amp_answered "$l")× | $(field amp_total "$l")× |"
	done
	echo
	echo "\"defaults\" is this build's chargen with no limit written; \"limits\" adds $(grep -o '^[a-z_0-9]*' "$TMP/limits-udp.conf" 2>/dev/null | tr '\n' ' ')$([ -s "$TMP/limits-udp.conf" ] || echo 'nothing: not in this build, row not run')."
	echo
	if [ -n "$LIMITS_MISSING$ACL_MISSING$UDP_MISSING" ]; then
		echo '## Settings left out (this build'"'"'s preforkd -t refused them)'
		echo
		echo '```'
		{ sed 's/^/echo service: /' <<<"$LIMITS_MISSING"
		  sed 's/^/echo service: /' <<<"$ACL_MISSING"
		  sed 's/^/udp chargen service: /' <<<"$UDP_MISSING"; } |
		    grep -v ': $' | sort -u
		echo '```'
		echo
	fi
	echo '## Settings asked for'
	echo
	echo '```'
	cat "$TMP/limits.want"
	echo '```'
	echo
	echo '## Raw results'
	echo
	echo '<details><summary>one line per measurement: server scenario run, the legit RESULT line, the server CPU and processes, the attacker (a_…)</summary>'
	echo
	echo '```'
	cat "$ARAW" "$HRAW" "$URAW"
	echo '```'
	echo
	echo '</details>'
} > "$MD"

echo
echo "legitimate conn/s under attack (ratio to the same server unattacked), median of $RUNS:"
printf '%-16s' server; for scen in $SCENARIOS; do printf '%18s' "$scen"; done; echo
for c in "${ACT[@]}"; do
	printf '%-16s' "$c"
	for scen in $SCENARIOS; do
		if [ "$scen" = none ]; then printf '%18s' "$(fmt0 "$(amed "$c" none rate)")"
		else printf '%18s' "$(fmt0 "$(amed "$c" "$scen" rate)") (${RATIO[$c,$scen]}x)"; fi
	done
	echo
done
echo
echo "hot path: preforkd $(fmt0 "$hp") conn/s, $hcp µs CPU/conn; with access+max_per_source $(fmt0 "$ha") conn/s, $hca µs CPU/conn: ${hr}x rate, ${hc}x CPU"
for v in "${UDPV[@]}"; do
	l=" $(udp_line "${v%%:*}")"
	echo "UDP chargen (${v%%:*}): $(field answers "$l")/$(field sent "$l") answered, max $(field src_max_bytes "$l") bytes from one source, amplification $(field amp_answered "$l")x per answer, $(field amp_total "$l")x over the flood"
done
[ -n "$LIMITS_MISSING" ] && echo "not in this build: $(names "$LIMITS_MISSING")"
echo
echo "report: $MD"
say "done"
