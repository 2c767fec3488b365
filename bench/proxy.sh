# bench/proxy.sh - the fleet scenarios of issue 12, sourced by bench/run
# (--proxy): what PROXY protocol v2 and a Prometheus scrape cost preforkd's
# echo, each measured side by side with the same echo without them.
#
#  - PROXY: preforkd-echo (plain) against preforkd-proxy (the same echo
#    service with proxy_protocol = "v2", proxy_from = [ "127.0.0.0/8" ];
#    loadgen -P v2 sends the header a balancer would, a fixed client
#    address per client slot), and preforkd-proxycrc (the header with its
#    CRC32C TLV, which preforkd verifies).  Target: >= 0.95x of plain.
#  - metrics: preforkd-metrics (the echo service plus a metrics service on
#    port + 1000) without a scraper, against preforkd-scraped, the very
#    same config while a scraper fetches GET /metrics every second for the
#    whole run (curl when installed, bash's /dev/tcp otherwise; the scrapes
#    answered 200 are counted).  Target: the echo rate does not move.
#
# Short connections (one request, one echo, close: the PROXY header costs
# once per connection, so this is where it shows most), at each
# concurrency of PROXY_CONCS, median of RUNS runs, contenders alternated
# within each run.  The machine this runs on is usually shared: a ratio
# is only as good as the run-to-run spread next to it.

PROXY_CONCS=${PROXY_CONCS:-"16 64"}
PROXYRAW=$TMP/proxy-raw.txt
: > "$PROXYRAW"
PROXY_CONTENDERS="preforkd-echo preforkd-proxy preforkd-proxycrc preforkd-metrics preforkd-scraped"

# The settings of each row, probed with preforkd -t (a build without
# issue 12's settings reports them as not available).
proxy_prepare() {
	local d=$TMP/probe-proxy
	mkdir -p "$d"
	printf '%s\n' 'proxy_protocol = "v2";' 'proxy_from = [ "127.0.0.0/8" ];' \
	    > "$TMP/proxy.conf"
	AVAIL[preforkd-echo]=1
	AVAIL[preforkd-proxy]=1
	AVAIL[preforkd-proxycrc]=1
	AVAIL[preforkd-metrics]=1
	AVAIL[preforkd-scraped]=1
	pf_conf "$d/p.conf" 7 1 echo 0 "$d" "$TMP/proxy.conf"
	if ! "$PREFORKD" -t -c "$d/p.conf" >"$d/out" 2>&1; then
		AVAIL[preforkd-proxy]=0; AVAIL[preforkd-proxycrc]=0
		WHY[preforkd-proxy]="not available in this build (preforkd -t: $(head -1 "$d/out" | sed 's/^[^:]*:[0-9]*: //'))"
		WHY[preforkd-proxycrc]=${WHY[preforkd-proxy]}
	fi
	pf_conf "$d/m.conf" 7 1 echo 0 "$d"
	pf_metrics_service "$d/m.conf" 8
	if ! "$PREFORKD" -t -c "$d/m.conf" >"$d/out" 2>&1; then
		AVAIL[preforkd-metrics]=0; AVAIL[preforkd-scraped]=0
		WHY[preforkd-metrics]="not available in this build (preforkd -t: $(head -1 "$d/out" | sed 's/^[^:]*:[0-9]*: //'))"
		WHY[preforkd-scraped]=${WHY[preforkd-metrics]}
	fi
	if command -v curl >/dev/null 2>&1; then
		SCRAPER=curl
	else
		SCRAPER=bash
	fi
}

# The loadgen and scraper arguments of a row.
proxy_lgargs() {
	case $1 in
	preforkd-proxy) echo "-P v2" ;;
	preforkd-proxycrc) echo "-P v2crc" ;;
	*) echo "" ;;
	esac
}

# proxy_errors RESULT: its failed connections of every kind ("-" if none
# was measured: the server did not start).
proxy_errors() {
	awk '{ for (i = 1; i <= NF; i++) { split($i, kv, "="); f[kv[1]] = kv[2] } }
	END { if (!("ok" in f)) print "-"; else print f["refused"]+f["reset"]+f["timeout"]+f["short"]+f["bad"]+f["other"] }' <<<"$1"
}

proxy_run() {
	local conc run c r i=0 n port=26000 act=()
	proxy_prepare
	for c in $PROXY_CONTENDERS; do [ "${AVAIL[$c]}" = 1 ] && act+=("$c"); done
	n=$(( $(wc -w <<<"$PROXY_CONCS") * RUNS * ${#act[@]} ))
	say "proxy and metrics: ${act[*]}, concurrency $PROXY_CONCS, $RUNS runs of ${DURATION}s: $n measurements"
	export SCRAPER TMP
	for conc in $PROXY_CONCS; do
		for run in $(seq 1 "$RUNS"); do
			for c in "${act[@]}"; do
				i=$(( i + 1 )); port=$(( port + 1 ))
				export LGARGS="$(proxy_lgargs "$c")"
				r=$(in_ns measure "$c" "$conc" shared "$port" "$TMP/p/$c-$conc-$run")
				printf '%s %s %s %s %s\n' "$c" shared "$conc" "$run" "$r" >> "$PROXYRAW"
				printf '  %3d/%d %-18s c=%-3s run %d: %8s conn/s  errors %s%s\n' "$i" "$n" "$c" "$conc" "$run" \
				    "$(field rate "$r")" "$(proxy_errors "$r")" \
				    "$([ "$c" = preforkd-scraped ] && echo "  scrapes $(field scrapes "$r")")" >&2
			done
		done
	done
	unset LGARGS
}

# pagg CONTENDER CONC KEY: median over runs (cpu_us: µs of server CPU per
# connection; errors: failed connections of every kind).
pagg() {
	awk -v c="$1" -v conc="$2" -v k="$3" '
	$1 == c && $3 == conc {
		for (i = 5; i <= NF; i++) { split($i, kv, "="); f[kv[1]] = kv[2] }
		if (k == "cpu_us") { if (f["ok"] > 0) printf "%.2f\n", f["cpu_ns"]/1000/f["ok"] }
		else if (k == "errors") print f["refused"]+f["reset"]+f["timeout"]+f["short"]+f["bad"]+f["other"]
		else if (k in f) print f[k]
		delete f
	}' "$PROXYRAW" | median
}

# pspread CONTENDER CONC: the lowest and highest rate of its runs.
pspread() {
	awk -v c="$1" -v conc="$2" '
	$1 == c && $3 == conc {
		for (i = 5; i <= NF; i++) { split($i, kv, "="); if (kv[1] == "rate") r = kv[2] }
		if (lo == "" || r < lo) lo = r; if (hi == "" || r > hi) hi = r
	}
	END { if (lo == "") print "-"; else printf "%.0f–%.0f\n", lo, hi }' "$PROXYRAW"
}

# The row each contender is compared with.
proxy_base() {
	case $1 in
	preforkd-proxy|preforkd-proxycrc) echo preforkd-echo ;;
	preforkd-scraped) echo preforkd-metrics ;;
	*) echo "" ;;
	esac
}

# proxy_table: the Markdown table; sets PROXY_WORST and SCRAPE_WORST (the
# lowest ratio of each pair over the concurrencies).
proxy_table() {
	local c conc line b r pr
	PROXY_WORST=; PAIRED_WORST=; SCRAPE_WORST=
	line='| contender | compared with |'
	for conc in $PROXY_CONCS; do line+=" c=$conc conn/s | runs | ratio | paired | errors | µs CPU/conn |"; done
	echo "$line"
	line='|---|---|'; for conc in $PROXY_CONCS; do line+='---:|---:|---:|---:|---:|---:|'; done
	echo "$line"
	for c in $PROXY_CONTENDERS; do
		b=$(proxy_base "$c")
		if [ "${AVAIL[$c]:-0}" != 1 ]; then
			echo "| $c | ${WHY[$c]:-not run} |"
			continue
		fi
		line="| $c | ${b:--} |"
		for conc in $PROXY_CONCS; do
			r=-; pr=-
			[ -n "$b" ] && r=$(ratio "$(pagg "$c" "$conc" rate)" "$(pagg "$b" "$conc" rate)")
			[ -n "$b" ] && pr=$(ratio "$(paired "$PROXYRAW" "$c" "$b" "$conc")" 1)
			line+=" $(fmt0 "$(pagg "$c" "$conc" rate)") | $(pspread "$c" "$conc") | $r | $pr | $(pagg "$c" "$conc" errors) | $(pagg "$c" "$conc" cpu_us) |"
			if [ "$c" = preforkd-proxy ] || [ "$c" = preforkd-proxycrc ]; then
				PROXY_WORST=$(awk -v a="$PROXY_WORST" -v b="$r" 'BEGIN{print (a==""||(b!="-"&&b<a))?b:a}')
				PAIRED_WORST=$(awk -v a="$PAIRED_WORST" -v b="$pr" 'BEGIN{print (a==""||(b!="-"&&b<a))?b:a}')
			elif [ "$c" = preforkd-scraped ]; then
				SCRAPE_WORST=$(awk -v a="$SCRAPE_WORST" -v b="$r" 'BEGIN{print (a==""||(b!="-"&&b<a))?b:a}')
			fi
		done
		echo "$line"
	done
}

# proxy_section: the report's section (Markdown).
proxy_section() {
	echo "## PROXY protocol v2 and a scraped metrics service, echo over short connections"
	echo
	echo "loadgen -m short (connect, 32-byte request, its echo, close), the client sockets spread over 127.0.0.1–127.0.0.$NSRC; preforkd's built-in echo, one worker per client (at least $NCPU). Median of $RUNS runs of ${DURATION}s, contenders alternated within each run; *runs* is the lowest and highest rate of the runs; *ratio* is the ratio of the two medians, *paired* the median of each run's own ratio (the two measured back to back)."
	echo
	echo "- preforkd-proxy: \`proxy_protocol = \"v2\"; proxy_from = [ \"127.0.0.0/8\" ];\`, loadgen -P v2 (a PROXY v2 header, TCP4, a fixed client address per client slot, before each request); preforkd-proxycrc: the same header with its CRC32C TLV (loadgen -P v2crc), verified by preforkd."
	echo "- preforkd-metrics: the echo service plus \`{ name = \"metrics\"; handler = \"metrics\"; workers = 1; }\` on another port, nobody scraping; preforkd-scraped: the same while a scraper ($SCRAPER) fetches GET /metrics every second (scrapes answered 200 are in the raw results as scrapes=)."
	echo
	proxy_table
	echo
	echo "Targets: PROXY v2 ≥ 0.95× of plain echo (worst: ${PROXY_WORST:-?}× by medians, ${PAIRED_WORST:-?}× paired); scraped every second, the echo rate does not move (worst: ${SCRAPE_WORST:-?}×). The machine is shared with other work and has $NCPU cores: ratios between 0.9 and 1.1 are within what two runs of the same configuration differ by here (compare the *runs* columns); only a ratio outside the other row's spread means something."
	echo
	echo '<details><summary>raw results</summary>'
	echo
	echo '```'
	cat "$PROXYRAW"
	echo '```'
	echo
	echo '</details>'
}

# proxy_report: bench/run --proxy: run, print, write the report.
proxy_report() {
	local md
	proxy_run
	mkdir -p "$HERE/results"
	md=$HERE/results/$(date +%Y-%m-%d)-proxy$([ "$QUICK" = 1 ] && echo -quick).md
	{
		echo "# preforkd benchmark, PROXY protocol and metrics, $(date +%Y-%m-%d)$([ "$QUICK" = 1 ] && echo ' (quick)')"
		echo
		echo "- preforkd: \`$PREFORKD\` ($("$PREFORKD" -V 2>&1 | head -1)), tree at $(git -C "$TOP" rev-parse --short HEAD 2>/dev/null || echo '?')"
		echo "- command: \`bench/run --proxy$([ "$QUICK" = 1 ] && echo ' --quick') --duration $DURATION --runs $RUNS\`, $(( $(date +%s) - T0 )) s"
		echo "- machine: $NCPU cores, $(sed -n 's/^model name[^:]*: //p' /proc/cpuinfo | head -1), kernel $(uname -r), load average $(cut -d' ' -f1-3 /proc/loadavg) at the end"
		for n in "${NOTES[@]}"; do echo "- note: $n"; done
		echo
		proxy_section
	} > "$md"
	proxy_table | sed 's/^| //; s/ |$//' | column -t -s'|' 2>/dev/null
	echo
	echo "report: $md"
}
