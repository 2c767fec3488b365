# bench/udp.sh - the UDP echo scenario, sourced by bench/run (--udp, and
# --scale for its UDP rows): preforkd's echo over UDP against the least a
# preforking UDP echo server can be (bench/minudp.c), closed loop (loadgen
# -m udp: one datagram in flight per client socket, each socket on its own
# source address and port), at each concurrency in UDP_CONCS; and a second
# preforkd row with the settings of --udp-limits FILE (issue 11's
# per-source UDP rate limits at their defaults, once they exist).  Both
# servers run UDP_WORKERS workers.  Figures: answers a second, datagrams
# lost (not answered within 200 ms), server CPU per answer, medians of
# RUNS runs, contenders alternated.

UDP_CONCS=${UDP_CONCS:-"1 16 64"}
UDP_WORKERS=${UDP_WORKERS:-4}
UDPRAW=$TMP/udp-raw.txt
: > "$UDPRAW"
UDP_CONTENDERS="preforkd-udp preforkd-udplimits minudp"

# The limits row: settings of the snippet file, each probed with -t.
udp_limits_prepare() {
	local line kept=0 d=$TMP/probe-udplimits
	: > "$TMP/udplimits.conf"
	UDP_LIMITS_LEFT=
	if [ ! -r "$UDP_LIMITS" ]; then
		AVAIL[preforkd-udplimits]=0
		WHY[preforkd-udplimits]="no file $UDP_LIMITS"
		return
	fi
	mkdir -p "$d"
	while IFS= read -r line; do
		case $line in ''|'#'*) continue ;; esac
		printf '%s\n' "$line" > "$d/one.conf"
		pf_conf "$d/p.conf" 7 1 udpecho 0 "$d" "$d/one.conf"
		if "$PREFORKD" -t -c "$d/p.conf" >/dev/null 2>&1; then
			printf '%s\n' "$line" >> "$TMP/udplimits.conf"
			kept=$(( kept + 1 ))
		else
			UDP_LIMITS_LEFT+="${UDP_LIMITS_LEFT:+; }$line"
		fi
	done < "$UDP_LIMITS"
	if [ "$kept" = 0 ]; then
		AVAIL[preforkd-udplimits]=0
		if [ -n "$UDP_LIMITS_LEFT" ]; then
			WHY[preforkd-udplimits]="not available in this build (preforkd -t refuses: $UDP_LIMITS_LEFT)"
		else
			WHY[preforkd-udplimits]="no setting in $(basename "$UDP_LIMITS") yet (issue 11's per-source UDP rate limits)"
		fi
	else
		AVAIL[preforkd-udplimits]=1
	fi
}

udp_run() {
	local conc run c r i=0 n port=24000 act=()
	udp_limits_prepare
	AVAIL[preforkd-udp]=1; AVAIL[minudp]=1
	for c in $UDP_CONTENDERS; do [ "${AVAIL[$c]}" = 1 ] && act+=("$c"); done
	n=$(( $(wc -w <<<"$UDP_CONCS") * RUNS * ${#act[@]} ))
	say "udp echo: ${act[*]}, $UDP_WORKERS workers, concurrency $UDP_CONCS, $RUNS runs of ${DURATION}s: $n measurements"
	# TMP too: measure runs in a new namespace's shell, and the
	# udplimits contender reads its settings from $TMP/udplimits.conf
	export WORKERS=$UDP_WORKERS LGARGS="-m udp -t 200" TMP
	for conc in $UDP_CONCS; do
		for run in $(seq 1 "$RUNS"); do
			for c in "${act[@]}"; do
				i=$(( i + 1 )); port=$(( port + 1 ))
				r=$(in_ns measure "$c" "$conc" shared "$port" "$TMP/u/$c-$conc-$run")
				printf '%s %s %s %s %s\n' "$c" shared "$conc" "$run" "$r" >> "$UDPRAW"
				printf '  %3d/%d %-18s c=%-3s run %d: %8s answers/s  lost %s\n' "$i" "$n" "$c" "$conc" "$run" \
				    "$(field rate "$r")" "$(field lost "$r")" >&2
			done
		done
	done
	unset WORKERS LGARGS
}

# uagg CONTENDER CONC KEY: median over runs (cpu_us: µs of server CPU per answer)
uagg() {
	awk -v c="$1" -v conc="$2" -v k="$3" '
	$1 == c && $3 == conc {
		for (i = 5; i <= NF; i++) { split($i, kv, "="); f[kv[1]] = kv[2] }
		if (k == "cpu_us") { if (f["ok"] > 0) printf "%.2f\n", f["cpu_ns"]/1000/f["ok"] }
		else if (k in f) print f[k]
		delete f
	}' "$UDPRAW" | median
}

# udp_table: the Markdown table; sets UDP_WORST (lowest ratio to minudp)
# and UDP_LOST (most datagrams lost by preforkd in a median).
udp_table() {
	local c conc line r rr pp
	UDP_WORST=; UDP_LOST=0
	line='| contender |'; for conc in $UDP_CONCS; do line+=" c=$conc answers/s | lost |"; done
	line+=' vs minimal (medians; paired) |'; for conc in $UDP_CONCS; do line+=" c=$conc µs CPU/answer |"; done
	echo "$line"
	line='|---|'; for conc in $UDP_CONCS; do line+='---:|---:|'; done; line+='---|'
	for conc in $UDP_CONCS; do line+='---:|'; done
	echo "$line"
	for c in $UDP_CONTENDERS; do
		if [ "${AVAIL[$c]:-0}" != 1 ]; then
			echo "| $c | ${WHY[$c]:-not run} |"
			continue
		fi
		line="| $c |"; rr=; pp=
		for conc in $UDP_CONCS; do
			if [ "$c" = minudp ]; then pp+="1.00 "
			else pp+="$(ratio "$(paired "$UDPRAW" "$c" minudp "$conc")" 1) "; fi
			line+=" $(fmt0 "$(uagg "$c" "$conc" rate)") | $(uagg "$c" "$conc" lost) |"
			r=$(ratio "$(uagg "$c" "$conc" rate)" "$(uagg minudp "$conc" rate)")
			rr+="$r "
			if [ "$c" = preforkd-udp ]; then
				UDP_WORST=$(awk -v a="$UDP_WORST" -v b="$r" 'BEGIN{print (a==""||(b!="-"&&b<a))?b:a}')
				UDP_LOST=$(awk -v a="$UDP_LOST" -v b="$(uagg "$c" "$conc" lost)" 'BEGIN{print (b!="-"&&b>a)?b:a}')
			fi
		done
		line+=" $(echo $rr | sed 's/ /, /g') (paired $(echo $pp | sed 's/ /, /g')) |"
		for conc in $UDP_CONCS; do line+=" $(uagg "$c" "$conc" cpu_us) |"; done
		echo "$line"
	done
}

# udp_section: the report's UDP section (Markdown).
udp_section() {
	echo "## UDP echo, closed loop ($UDP_WORKERS workers each)"
	echo
	echo "loadgen -m udp: one 32-byte datagram in flight per client socket, the sockets spread over 127.0.0.1–127.0.0.$NSRC; a datagram not answered within 200 ms counts lost and the socket sends the next. Median of $RUNS runs of ${DURATION}s, contenders alternated; *paired* is the median of each run's own ratio to minudp (the two measured one after the other). preforkd: the built-in echo over udp://; minudp: bench/minudp.c (blocking recvfrom/sendto)."
	[ -n "${UDP_LIMITS_LEFT:-}" ] && [ "${AVAIL[preforkd-udplimits]}" = 1 ] &&
	    echo "preforkd-udplimits: left out, refused by this build: $UDP_LIMITS_LEFT."
	[ "${AVAIL[preforkd-udplimits]}" = 1 ] &&
	    echo "preforkd-udplimits: with $(tr '\n' ' ' < "$TMP/udplimits.conf")"
	echo
	udp_table
	echo
	echo "Targets: preforkd ≥ 1.0× minudp at every concurrency (worst: ${UDP_WORST:-?}×), ≥ 1.3× at c=64 with batching ($(ratio "$(uagg preforkd-udp 64 rate)" "$(uagg minudp 64 rate)")×), no datagram lost at c ≤ 64 (most lost in a median: ${UDP_LOST:-?})."
	echo
	echo '<details><summary>raw results</summary>'
	echo
	echo '```'
	cat "$UDPRAW"
	echo '```'
	echo
	echo '</details>'
}

# udp_report: bench/run --udp on its own: run, print, write the report.
udp_report() {
	local md
	udp_run
	mkdir -p "$HERE/results"
	md=$HERE/results/$(date +%Y-%m-%d)$([ "$QUICK" = 1 ] && echo -quick)-udp.md
	{
		echo "# preforkd benchmark, UDP echo, $(date +%Y-%m-%d)$([ "$QUICK" = 1 ] && echo ' (quick)')"
		echo
		echo "- preforkd: \`$PREFORKD\` ($("$PREFORKD" -V 2>&1 | head -1)), tree at $(git -C "$TOP" rev-parse --short HEAD 2>/dev/null || echo '?')"
		echo "- machine: $NCPU cores, $(sed -n 's/^model name[^:]*: //p' /proc/cpuinfo | head -1), kernel $(uname -r), load average $(cut -d' ' -f1-3 /proc/loadavg) at the end"
		for n in "${NOTES[@]}"; do echo "- note: $n"; done
		echo
		udp_section
	} > "$md"
	udp_table | sed 's/^| //; s/ |$//' | column -t -s'|' 2>/dev/null
	echo
	echo "report: $md"
}
