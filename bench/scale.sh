# bench/scale.sh - what a large pool costs (issue 14's "Done when"),
# sourced by bench/run --scale after bench/udp.sh.  For each pool size in
# SIZES, each in a fresh network namespace and a fresh preforkd (one echo
# service, a control socket):
#   - start: from fork+exec of `preforkd -f` to N live workers and an echo
#     answered (bench/supervise start), and per worker against the
#     machine's own fork+exit+wait of N children in the same run
#     (bench/scale fork);
#   - idle worker USS (smaps_rollup, median of 3 workers) and the master's
#     CPU over IDLE_S idle seconds;
#   - reload: HUP, until N new workers are alive and none of the old ones
#     is left (bench/scale regen), while `preforkd -s status` runs again
#     and again (bench/scale status): its latency, p50, p99 and max;
#   - stop: TERM, until the master and every worker are gone.
# Then many services against one (issue 14, point 4: 200 services of 2
# workers each against one service of 400: start, reload, status during
# the reload, stop), the 256-worker row (preforkd against the minimal
# server at c=256, median of 5 runs, alternated) and the UDP echo rows
# (bench/udp.sh).
# Writes bench/results/<date>-scale.md (or -scale-quick.md).

SIZES=${SIZES:-"4 64 1024 4096 16384"}
if [ -z "$IDLE_S" ]; then
	if [ "$QUICK" = 1 ]; then IDLE_S=5; else IDLE_S=60; fi
fi
# The timed parts of each size: --runs, 3 by default, 1 with --quick.
if [ -n "$RUNS_SET" ]; then SCALE_RUNS=$RUNS_SET
elif [ "$QUICK" = 1 ]; then SCALE_RUNS=1
else SCALE_RUNS=3; fi
SCALERAW=$TMP/scale-raw.txt
: > "$SCALERAW"

# scale_fits N: whether this machine can hold a reload of N workers: prints
# why not, or nothing.  The old generation retires in step with the new
# one (policy_retire_old), so a reload has about N workers alive, a few
# batches more (the regen line's peak shows it); a quarter more is asked.
scale_fits() {
	local n=$1 pidmax nproc memkb need peak
	pidmax=$(cat /proc/sys/kernel/pid_max)
	nproc=$(ls -d /proc/[0-9]* 2>/dev/null | wc -l)
	peak=$(( n + n / 4 + 256 ))
	if [ $(( peak + nproc )) -gt "$pidmax" ]; then
		echo "a reload needs about $peak workers alive at once; pid_max is $pidmax with $nproc processes running"
		return
	fi
	if [ "$(ulimit -u)" != unlimited ] && [ $(( peak + nproc )) -gt "$(ulimit -u)" ]; then
		echo "RLIMIT_NPROC is $(ulimit -u)"
		return
	fi
	memkb=$(awk '/^MemAvailable:/ {print $2}' /proc/meminfo)
	need=$(( peak * 400 ))	# KiB: a worker's private pages, page tables, kernel stack
	[ "$need" -gt "$memkb" ] && echo "a reload needs about $(( need / 1024 )) MiB; $(( memkb / 1024 )) MiB available"
}

scale_conf() {	# scale_conf FILE PORT N DIR
	{
		echo 'user = "root";'
		echo "pid_file = \"$4/preforkd.pid\";"
		echo "error_log = \"$4/error.log\";"
		echo "control_socket = \"$4/ctl\";"
		echo 'log_level = "notice";'
		echo 'shutdown_timeout = 30;'
		echo 'services = ( {'
		echo '  name = "bench";'
		echo "  listen = \"127.0.0.1:$2\";"
		echo '  handler = "echo";'
		echo "  workers = $3;"
		echo '  backlog = 511;'
		echo '} );'
	} > "$1"
}

# scale_conf_many FILE PORT NSVC PER DIR: NSVC echo services of PER workers
# each, on ports PORT, PORT+1, ...
scale_conf_many() {
	local i
	{
		echo 'user = "root";'
		echo "pid_file = \"$5/preforkd.pid\";"
		echo "error_log = \"$5/error.log\";"
		echo "control_socket = \"$5/ctl\";"
		echo 'log_level = "notice";'
		echo 'shutdown_timeout = 30;'
		echo 'services = ('
		for i in $(seq 1 "$3"); do
			[ "$i" -gt 1 ] && echo ','
			echo "  { name = \"s$i\"; listen = \"127.0.0.1:$(( $2 + i - 1 ))\"; handler = \"echo\"; workers = $4; backlog = 511; }"
		done
		echo ');'
	} > "$1"
}

# scale_stop PID: TERM, timed until PID and its workers are gone (scale's
# RESULT line); whatever is left then is killed.
scale_stop() {
	local w
	"$BIN/scale" stop -P "$1" -T 120000
	for w in $(tree_pids "$1"); do kill -KILL "$w" 2>/dev/null; done
}

# scale_regen_sampled PID N CONF DIR: a reload of PID's N workers while
# `preforkd -c CONF -s status` runs again and again (one every 5 ms at
# most): scale's regen line, then its status line (the latency).
scale_regen_sampled() {
	rm -f "$4/done"
	"$BIN/scale" status -d 600000 -i 5 -f "$4/done" -- "$PREFORKD" -c "$3" -s status > "$4/status.txt" &
	sleep 0.2
	"$BIN/scale" regen -P "$1" -n "$2" -T 300000
	touch "$4/done"; wait
	cat "$4/status.txt"
}

# scale_one N DIR: one pool size, in its own namespace; key=value lines,
# each with run=R.  The timed parts (the two fork yardsticks, start,
# reload, stop) are measured SCALE_RUNS times, alternated, each run with a
# fresh preforkd: on a small machine one measurement of a start or a reload
# of thousands of processes swings by half from the next, so one of each
# is a coin toss.  The first run also takes the USS, the idle CPU and the
# status-sampled reload.
scale_one() {
	local n=$1 d=$2 port=25000 r pid w ws uss a b t0 t1 tck run
	[ "$NETNS" = 1 ] && ip link set lo up
	mkdir -p "$d"
	scale_conf "$d/s.conf" "$port" "$n" "$d"
	tck=$(getconf CLK_TCK)
	for run in $(seq 1 "$SCALE_RUNS"); do
		echo "fork run=$run $("$BIN/scale" fork -n "$n")"
		echo "forklive run=$run $("$BIN/scale" fork -l -n "$n")"
		# the least a preforking server's start can be: minprefork's
		# N workers, each forked and run to a blocking accept()
		r=$("$BIN/supervise" start -p $(( port + 1 )) -n "$n" -T 300000 -- "$BIN/minprefork" -p $(( port + 1 )) -w "$n" 2>>"$d/err")
		echo "minstart run=$run $r"
		pid=$(sed -n 's/.* pid=\([0-9]*\).*/\1/p' <<<"$r")
		if [ -n "$pid" ]; then
			# and the least a reload can be: HUP, and minprefork
			# forks each worker's successor and TERMs the worker
			# (at most N + 256 alive)
			sleep 1
			echo "minregen run=$run $("$BIN/scale" regen -P "$pid" -n "$n" -T 300000)"
			sleep 1
			scale_stop "$pid" > /dev/null
		fi
		r=$("$BIN/supervise" start -p "$port" -n "$n" -T 300000 -- "$PREFORKD" -f -c "$d/s.conf" 2>>"$d/err")
		echo "start run=$run $r"
		pid=$(sed -n 's/.* pid=\([0-9]*\).*/\1/p' <<<"$r")
		[ -n "$pid" ] || return
		sleep 1
		if [ "$run" = 1 ]; then
			# three idle workers' USS
			ws=$(proc_table | awk -v pp="$pid" '$2 == pp && $3 != "Z" { print $1 }' | head -3)
			uss=$(for w in $ws; do awk '/^Private_(Clean|Dirty):/ {u+=$2} END {print u+0}' "/proc/$w/smaps_rollup"; done | median)
			echo "uss run=$run kib=$uss master_kib=$(awk '/^Private_(Clean|Dirty):/ {u+=$2} END {print u+0}' "/proc/$pid/smaps_rollup")"
			# the master's CPU while idle
			a=$(awk '{print $14 + $15}' "/proc/$pid/stat"); t0=$(date +%s.%N)
			sleep "$IDLE_S"
			b=$(awk '{print $14 + $15}' "/proc/$pid/stat"); t1=$(date +%s.%N)
			echo "idle run=$run $(awk -v a="$a" -v b="$b" -v t0="$t0" -v t1="$t1" -v hz="$tck" 'BEGIN { printf "s=%.1f cpu_pct=%.3f", t1 - t0, (b - a) / hz / (t1 - t0) * 100 }')"
		fi
		# reload, alone (its time)
		echo "regen run=$run $("$BIN/scale" regen -P "$pid" -n "$n" -T 300000)"
		sleep 1
		if [ "$run" = 1 ]; then
			# again with the status command sampled meanwhile (its
			# latency; a status of thousands of workers is work for
			# the master and the machine, so that reload is slower)
			r=$(scale_regen_sampled "$pid" "$n" "$d/s.conf" "$d")
			echo "regensampled run=$run $(sed -n 1p <<<"$r")"
			echo "status run=$run $(sed -n 2p <<<"$r")"
		fi
		echo "stop run=$run $(scale_stop "$pid")"
		sleep 1
	done
}
# scale_services DIR: MANY_SVC services of MANY_PER workers each, and one
# service of as many workers, alternated, SCALE_RUNS runs each: start,
# reload with `preforkd -s status` sampled meanwhile (its latency), stop.
# key=value lines, each with kind (many, one) and run=R.
scale_services() {
	local d=$1 n=$(( MANY_SVC * MANY_PER )) port=27000 run k r pid
	[ "$NETNS" = 1 ] && ip link set lo up
	mkdir -p "$d/many" "$d/one"
	scale_conf_many "$d/many/s.conf" "$port" "$MANY_SVC" "$MANY_PER" "$d/many"
	scale_conf "$d/one/s.conf" "$port" "$n" "$d/one"
	for run in $(seq 1 "$SCALE_RUNS"); do
		for k in one many; do
			r=$("$BIN/supervise" start -p "$port" -n "$n" -T 300000 -- "$PREFORKD" -f -c "$d/$k/s.conf" 2>>"$d/err")
			echo "$k start run=$run $r"
			pid=$(sed -n 's/.* pid=\([0-9]*\).*/\1/p' <<<"$r")
			[ -n "$pid" ] || return
			sleep 1
			r=$(scale_regen_sampled "$pid" "$n" "$d/$k/s.conf" "$d")
			echo "$k regen run=$run $(sed -n 1p <<<"$r")"
			echo "$k status run=$run $(sed -n 2p <<<"$r")"
			sleep 1
			echo "$k stop run=$run $(scale_stop "$pid")"
			sleep 1
		done
	done
}
MANY_SVC=${MANY_SVC:-200}
MANY_PER=${MANY_PER:-2}
export -f scale_one scale_services scale_regen_sampled scale_stop scale_conf scale_conf_many median
export MANY_SVC MANY_PER
export IDLE_S SCALE_RUNS

for n in $SIZES; do
	why=$(scale_fits "$n")
	if [ -z "$why" ]; then
		scale_conf "$TMP/scale-probe.conf" 7 "$n" "$TMP"
		"$PREFORKD" -t -c "$TMP/scale-probe.conf" > "$TMP/scale-probe.out" 2>&1 ||
		    why="preforkd -t: $(head -1 "$TMP/scale-probe.out" | sed 's/^[^:]*:[0-9]*: //')"
	fi
	if [ -n "$why" ]; then
		echo "$n skipped $why" >> "$SCALERAW"
		say "scale: $n workers skipped: $why"
		continue
	fi
	say "scale: $n workers (start, idle ${IDLE_S}s, reload with status sampled, stop)"
	in_ns scale_one "$n" "$TMP/scale-$n" | sed "s/^/$n /" >> "$SCALERAW"
	grep "^$n " "$SCALERAW" | sed 's/^/  /' >&2
done

# Many services against one of as many workers.
MANYRAW=$TMP/many-raw.txt
say "scale: $MANY_SVC services of $MANY_PER workers against one of $(( MANY_SVC * MANY_PER )), $SCALE_RUNS runs"
in_ns scale_services "$TMP/many" > "$MANYRAW"
sed 's/^/  /' "$MANYRAW" >&2

# The 256-worker row: preforkd against the minimal server, c=256.
say "256 workers at c=256: preforkd and minprefork alternated, 5 runs of ${DURATION}s"
ROWRAW=$TMP/row-raw.txt
: > "$ROWRAW"
port=26000
for run in 1 2 3 4 5; do
	for c in preforkd minprefork; do
		port=$(( port + 1 ))
		r=$(in_ns measure "$c" 256 shared "$port" "$TMP/row/$c-$run" 2>/dev/null)
		printf '%s shared 256 %s %s\n' "$c" "$run" "$r" >> "$ROWRAW"
		printf '  %-10s run %d: %8s conn/s\n' "$c" "$run" "$(field rate "$r")" >&2
	done
done
ragg() { awk -v c="$1" -v k="$2" '$1 == c {
	for (i = 5; i <= NF; i++) { split($i, kv, "="); f[kv[1]] = kv[2] }
	if (k == "cpu_us") { if (f["ok"] > 0) printf "%.2f\n", f["cpu_ns"]/1000/f["ok"] }
	else if (k in f) print f[k]
	delete f }' "$ROWRAW" | median; }

udp_run

# --- the report -------------------------------------------------------------

sall() {	# sall N KIND KEY: the values of every run, in run order
	awk -v n="$1" -v kind="$2" -v k="$3" '$1 == n && $2 == kind {
		for (i = 3; i <= NF; i++) { split($i, kv, "="); if (kv[1] == k) print kv[2] } }' "$SCALERAW"
}
sget() {	# sget N KIND KEY: the median over the runs
	sall "$@" | median
}
# spaired N KIND1 KEY1 KIND2 KEY2 DIV: the median over the runs of each
# run's own KIND1.KEY1 / DIV / KIND2.KEY2 (the two measured back to back).
spaired() {
	awk -v n="$1" -v k1="$2" -v f1="$3" -v k2="$4" -v f2="$5" -v div="$6" '
	$1 == n && ($2 == k1 || $2 == k2) {
		delete f
		for (i = 3; i <= NF; i++) { split($i, kv, "="); f[kv[1]] = kv[2] }
		if ($2 == k1 && (f1 in f)) a[f["run"]] = f[f1]
		if ($2 == k2 && (f2 in f)) b[f["run"]] = f[f2]
	}
	END { for (r in a) if ((r in b) && b[r] > 0) printf "%.4f\n", a[r] / div / b[r] }' "$SCALERAW" | median |
	    awk '{ if ($1 == "-") print "-"; else printf "%.2f", $1 }'
}
# marginal N START_MS FORK_US: what a start of N costs per worker beyond
# the start of the smallest pool measured (the daemon's own exec, parse and
# bind, and the first answer, are paid once, not per worker), and that
# against the fork yardstick: "µs (ratio)".
marginal() {
	local n0 s0
	n0=$(for m in $SIZES; do grep -q "^$m skipped" "$SCALERAW" || echo "$m"; done | sort -n | head -1)
	s0=$(sget "$n0" start ready_ms)
	awk -v n="$1" -v s="$2" -v f="$3" -v n0="$n0" -v s0="$s0" 'BEGIN {
		if (n <= n0 || s == "-" || s0 == "-" || f == "-" || f == 0) { print "-"; exit }
		m = (s - s0) * 1000 / (n - n0); printf "%.0f (%.2f)", m, m / f }'
}
# mall KIND PART KEY: the values of every run of the many-services rows;
# mget: their median; mpaired PART KEY: the median over the runs of each
# run's own many ÷ one (the two measured one after the other).
mall() {
	awk -v kind="$1" -v part="$2" -v k="$3" '$1 == kind && $2 == part {
		for (i = 3; i <= NF; i++) { split($i, kv, "="); if (kv[1] == k) print kv[2] } }' "$MANYRAW"
}
mget() {
	mall "$@" | median
}
mpaired() {
	awk -v part="$1" -v k="$2" '$2 == part {
		delete f
		for (i = 3; i <= NF; i++) { split($i, kv, "="); f[kv[1]] = kv[2] }
		if (k in f) v[$1, f["run"]] = f[k]; runs[f["run"]] = 1
	}
	END { for (r in runs) if ((("many", r) in v) && (("one", r) in v) && v["one", r] > 0)
		printf "%.4f\n", v["many", r] / v["one", r] }' "$MANYRAW" | median |
	    awk '{ if ($1 == "-") print "-"; else printf "%.2f", $1 }'
}
SMD=$HERE/results/$(date +%Y-%m-%d)-scale$([ "$QUICK" = 1 ] && echo -quick).md
mkdir -p "$HERE/results"
uss4=$(sget 4 uss kib)
{
	echo "# preforkd at scale, $(date +%Y-%m-%d)$([ "$QUICK" = 1 ] && echo ' (quick)')"
	echo
	echo "- preforkd: \`$PREFORKD\` ($("$PREFORKD" -V 2>&1 | head -1)), tree at $(git -C "$TOP" rev-parse --short HEAD 2>/dev/null || echo '?')"
	echo "- machine: $NCPU cores, $(sed -n 's/^model name[^:]*: //p' /proc/cpuinfo | head -1), kernel $(uname -r), $(awk '/^MemTotal:/ {printf "%d MiB", $2/1024}' /proc/meminfo), pid_max $(cat /proc/sys/kernel/pid_max); load average $(cut -d' ' -f1-3 /proc/loadavg) at the end"
	echo "- command: \`bench/run --scale$([ "$QUICK" = 1 ] && echo ' --quick') --sizes \"$SIZES\" --idle $IDLE_S\`, $(( $(date +%s) - T0 )) s"
	for n in "${NOTES[@]}"; do echo "- note: $n"; done
	echo
	echo "## Pools"
	echo
	echo "One echo service of N workers, a fresh preforkd each. *minimal server's start*: bench/minprefork.c started the same way with N workers, each forked and run to a blocking accept() (the least a preforking server's start can be; its workers do nothing else). *marginal*: (start of N − start of the smallest pool measured) ÷ (N − its size), the cost of each worker beyond the daemon's own start (exec, configuration, binding, the first answer), against *fork*. The timed columns (fork, start, reload, stop) are the median of $SCALE_RUNS runs, alternated, each with a fresh preforkd; a ratio is that of the medians, then *paired*: the median of each run's own ratio (its two figures measured one after the other). USS, idle CPU and status come from the first run. *fork* is the machine's own cost, measured just before: N children forked that exit at once, then all reaped (the issue's yardstick); *fork, N alive*: N children forked that stay alive until the last is forked (what N processes alive at once cost this machine's fork), then killed. *start*: fork+exec of \`preforkd -f\` to N live workers and an echo answered. *reload*: HUP until N new workers live and none of the old is left; *peak*: the most workers alive at once meanwhile. *minimal reload*: the same HUP to bench/minprefork.c, which forks each worker's successor and then TERMs the worker (no handler: it dies where it waits), with at most N + 256 alive at once, the least a reload can be; so *its ÷ minimal start* is what this machine allows the reload ÷ start ratio to be. *status*: \`preforkd -s status\` run again and again during a second reload (one every 5 ms at most; that reload's time in brackets). *idle CPU*: the master over ${IDLE_S} s. *USS*: an idle worker's private pages (median of 3)."
	echo
	echo '| workers | fork+exit+wait µs/child | fork, N alive µs/child | start ms | start µs/worker | ÷ fork (paired) | ÷ fork, N alive (paired) | marginal µs/worker ÷ fork | minimal start ms | start ÷ minimal (paired) | reload ms (new all / old gone; peak) | reload ÷ start (paired) | minimal reload ms | its ÷ minimal start (paired) | reload ÷ minimal reload (paired) | status during reload: samples, failed, p50 / p99 / max ms | stop ms | master idle CPU % | idle worker USS KiB | vs 4 workers |'
	echo '|---:|---:|---:|---:|---:|---:|---:|---:|---:|---:|---|---:|---:|---:|---:|---|---:|---:|---:|---:|'
	for n in $SIZES; do
		if grep -q "^$n skipped" "$SCALERAW"; then
			echo "| $n | skipped: $(sed -n "s/^$n skipped //p" "$SCALERAW") |"
			continue
		fi
		fk=$(sget "$n" fork us_per_child); fl=$(sget "$n" forklive us_per_child)
		st=$(sget "$n" start ready_ms)
		spw=$(awk -v s="$st" -v n="$n" 'BEGIN { if (s > 0) printf "%.0f", s * 1000 / n; else print "-" }')
		rl=$(sget "$n" regen done_ms); mrl=$(sget "$n" minregen done_ms)
		kn=$(awk -v n="$n" 'BEGIN { print n / 1000 }')	# ms -> µs per worker
		echo "| $n | $fk | $fl | $st | $spw | $(ratio "$spw" "$fk") ($(spaired "$n" start ready_ms fork us_per_child "$kn")) | $(ratio "$spw" "$fl") ($(spaired "$n" start ready_ms forklive us_per_child "$kn")) | $(marginal "$n" "$st" "$fk") | $(sget "$n" minstart ready_ms) | $(ratio "$st" "$(sget "$n" minstart ready_ms)") ($(spaired "$n" start ready_ms minstart ready_ms 1)) | $rl ($(sget "$n" regen new_all_ms) / $(sget "$n" regen old_gone_ms); $(sget "$n" regen peak)) | $(ratio "$rl" "$st") ($(spaired "$n" regen done_ms start ready_ms 1)) | $mrl | $(ratio "$mrl" "$(sget "$n" minstart ready_ms)") ($(spaired "$n" minregen done_ms minstart ready_ms 1)) | $(ratio "$rl" "$mrl") ($(spaired "$n" regen done_ms minregen done_ms 1)) | $(sget "$n" status samples), $(sget "$n" status failed), $(sget "$n" status p50_ms) / $(sget "$n" status p99_ms) / $(sget "$n" status max_ms) ($(sget "$n" regensampled done_ms) ms) | $(sget "$n" stop ms) | $(sget "$n" idle cpu_pct) | $(sget "$n" uss kib) | $(ratio "$(sget "$n" uss kib)" "$uss4") |"
	done
	echo
	echo "Every run (ms, in run order):"
	echo
	for n in $SIZES; do
		grep -q "^$n skipped" "$SCALERAW" && continue
		echo "- $n workers: fork $(sall "$n" fork us_per_child | tr '\n' ' ')µs/child; minimal start $(sall "$n" minstart ready_ms | tr '\n' ' '); start $(sall "$n" start ready_ms | tr '\n' ' '); reload $(sall "$n" regen done_ms | tr '\n' ' '); minimal reload $(sall "$n" minregen done_ms | tr '\n' ' '); stop $(sall "$n" stop ms | tr '\n' ' ')"
	done
	echo
	echo "Targets (issue 14): start per worker ≤ 1.3× fork+exit+wait; reload ≤ 1.5× start; status ≤ 100 ms at every point of a 4,096-worker reload; master idle CPU ≤ 0.1 %; worker USS at 4,096 within 10 % of at 4."
	echo
	echo "## $MANY_SVC services of $MANY_PER workers against one of $(( MANY_SVC * MANY_PER ))"
	echo
	echo "The same $(( MANY_SVC * MANY_PER )) echo workers, as $MANY_SVC services of $MANY_PER (each on a port of its own) and as one service, alternated, a fresh preforkd each, median of $SCALE_RUNS runs. *start* and *stop* as above; *reload*: HUP until all new workers live and no old one is left, while \`preforkd -s status\` runs again and again (one every 5 ms at most; its latency). Issue 14: many services start, reload, report status and stop as promptly as one service of as many workers."
	echo
	echo '| configuration | start ms | reload ms | status during reload: samples, failed, p50 / p99 / max ms | stop ms |'
	echo '|---|---:|---:|---|---:|'
	for k in one many; do
		if [ "$k" = one ]; then echo -n "| one service of $(( MANY_SVC * MANY_PER ))"; else echo -n "| $MANY_SVC services of $MANY_PER"; fi
		echo " | $(mget "$k" start ready_ms) | $(mget "$k" regen done_ms) | $(mget "$k" status samples), $(mget "$k" status failed), $(mget "$k" status p50_ms) / $(mget "$k" status p99_ms) / $(mget "$k" status max_ms) | $(mget "$k" stop ms) |"
	done
	echo "| many ÷ one (paired) | $(ratio "$(mget many start ready_ms)" "$(mget one start ready_ms)") ($(mpaired start ready_ms)) | $(ratio "$(mget many regen done_ms)" "$(mget one regen done_ms)") ($(mpaired regen done_ms)) | p50 $(ratio "$(mget many status p50_ms)" "$(mget one status p50_ms)"), max $(ratio "$(mget many status max_ms)" "$(mget one status max_ms)") | $(ratio "$(mget many stop ms)" "$(mget one stop ms)") ($(mpaired stop ms)) |"
	echo
	for k in one many; do
		echo "- $k, every run: start $(mall "$k" start ready_ms | tr '\n' ' '); reload $(mall "$k" regen done_ms | tr '\n' ' '); stop $(mall "$k" stop ms | tr '\n' ' ')"
	done
	echo
	echo "## 256 workers at c=256"
	echo
	echo "Short echo connections (bench/run's workload), preforkd and bench/minprefork.c, 256 workers each, alternated, median of 5 runs of ${DURATION}s."
	echo
	echo '| contender | conn/s (median) | runs | server µs CPU/conn |'
	echo '|---|---:|---|---:|'
	for c in preforkd minprefork; do
		echo "| $c | $(fmt0 "$(ragg "$c" rate)") | $(awk -v c="$c" '$1 == c { for (i = 5; i <= NF; i++) { split($i, kv, "="); if (kv[1] == "rate") printf "%.0f ", kv[2] } }' "$ROWRAW") | $(ragg "$c" cpu_us) |"
	done
	echo
	echo "preforkd ÷ minimal: rate $(ratio "$(ragg preforkd rate)" "$(ragg minprefork rate)")× (target ≥ 0.95), CPU per connection $(ratio "$(ragg preforkd cpu_us)" "$(ragg minprefork cpu_us)")× (target ≤ 1.1)."
	echo
	udp_section
	echo
	echo '## Raw'
	echo
	echo '```'
	cat "$SCALERAW" "$MANYRAW" "$ROWRAW"
	echo '```'
} > "$SMD"
echo
sed -n '/^## Pools/,/^## UDP/p' "$SMD" | grep '^|'
echo
echo "report: $SMD"
say "done"
