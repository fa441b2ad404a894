#!/bin/sh
# phiaudit demo: a synthetic patient-data tree, the agent watching it, a few
# accesses (a clinician's read, a listing, a denied read, a bulk grep, a
# symlink from outside, an access elsewhere that is NOT recorded), and the
# records as they arrive. Synthetic data only; nothing outside the demo
# directory is touched.
set -eu
agent=${1:-build/phiauditd}
cli=${2:-build/phiaudit}
demo=${PHIAUDIT_DEMO_DIR:-/tmp/phiaudit-demo}
phi="$demo/srv/phi"
out="$demo/records.jsonl"
logs="$demo/log"
# A demo keeps its chain key beside the log; a real host must not.
key="$demo/chain.key"

if [ "$(id -u)" != 0 ]; then
	echo "demo: run as root (sudo make demo): the agent loads BPF programs" >&2
	exit 1
fi

rm -rf "$demo"
mkdir -p "$phi/patients" "$demo/elsewhere"
chmod 755 "$demo" "$demo/srv" "$phi" "$phi/patients"
i=0
for name in "Ada Lovelace" "Alan Turing" "Grace Hopper" "Edsger Dijkstra" "Barbara Liskov"; do
	i=$((i + 1))
	id=$((1000 + i))
	mkdir -p "$phi/patients/$id"
	printf 'MRN,%s\nname,%s (synthetic)\ndx,J45.909\nrx,albuterol\n' "$id" "$name" \
		> "$phi/patients/$id/chart.csv"
done
printf 'restricted\n' > "$phi/patients/1003/psych-notes.txt"
chmod 600 "$phi/patients/1003/psych-notes.txt"
printf 'not patient data\n' > "$demo/elsewhere/readme.txt"
ln -s "$phi/patients/1001/chart.csv" "$demo/elsewhere/shortcut.csv"

# Detection thresholds small enough for a 5-patient tree (a real server
# keeps the defaults: 100 files or 500 MiB a minute per process, ...).
mkdir -p "$demo/etc"
chmod 700 "$demo/etc"
cat > "$demo/etc/detect.conf" <<'CONF'
// demo only: a handful of charts counts as a bulk read
{ "detection": { "scopes": {
    "process": { "window": "30s", "files": 4 },
    "user": { "enabled": false }, "session": { "enabled": false } } } }
CONF
chmod 600 "$demo/etc/detect.conf"

echo "== creating the log's chain key (a real host keeps it off the host)"
"$agent" --init-key --log-dir "$logs" > "$key" 2> /dev/null
chmod 600 "$key"
echo
echo "== watching $phi (synthetic records for 5 patients)"
"$agent" --watch "$phi" --log-dir "$logs" --jsonl "$out" \
	--detect-config "$demo/etc/detect.conf" --alert-syslog none 2> "$demo/agent.log" &
pid=$!
trap 'kill "$pid" 2>/dev/null || true' EXIT INT TERM
n=0
until grep -q "ready:" "$demo/agent.log" 2>/dev/null; do
	n=$((n + 1))
	if [ $n -gt 100 ] || ! kill -0 "$pid" 2>/dev/null; then
		echo "demo: the agent did not start:" >&2
		cat "$demo/agent.log" >&2
		exit 1
	fi
	sleep 0.1
done
sed 's/^/   /' "$demo/agent.log"

# Show each record as a line: time, who, what, which file, outcome.
show() {
	sed -n "$1,\$p" "$out" | awk '
	function field(re,   m) { if (match($0, re)) { m = substr($0, RSTART, RLENGTH); sub(/^"[a-z_]*":"?/, "", m); sub(/"$/, "", m); return m } return "" }
	# the accessed file: the last "file" object (the program and its
	# parent'"'"'s come first, in actor.process)
	function lastpath(   rest, m) { rest = $0; m = ""
		while (match(rest, /"file":\{"path":"[^"]*"/)) { m = substr(rest, RSTART + 16, RLENGTH - 17); rest = substr(rest, RSTART + RLENGTH) }
		return m }
	/"class_uid":1001/ {
		printf "   %s  %-6s %-8s pid %-7s uid %-6s %-8s %s%s\n",
			substr(field("\"time_dt\":\"[^\"]*\""), 12, 12), field("\"activity_name\":\"[^\"]*\""),
			field("\"name\":\"[^\"]*\""), field("\"pid\":[0-9]*"),
			field("\"uid\":\"[0-9]*\""), field("\"status\":\"[^\"]*\""), lastpath(),
			index($0, "\"path_source\":\"user\"") ? "   (denied; path as requested)" : ""
	}
	/"class_uid":2004/ && /"activity_id":1/ {
		printf "   %s  ALERT  %s\n", substr(field("\"time_dt\":\"[^\"]*\""), 12, 12),
			field("\"title\":\"[^\"]*\"")
	}'
}

step() {
	echo
	echo "== $1"
	shift
	before=$(wc -l < "$out")
	"$@" > /dev/null 2>&1 || true
	sleep 0.4
	show $((before + 1))
}

step "a clinician reads one chart" cat "$phi/patients/1002/chart.csv"
step "someone lists the patient directory" ls "$phi/patients"
step "an unprivileged user tries the restricted notes (denied)" \
	setpriv --reuid 65534 --regid 65534 --clear-groups cat "$phi/patients/1003/psych-notes.txt"
step "a bulk grep over every chart (a bulk read: the detector alerts)" \
	grep -r albuterol "$phi/patients"
step "a read through a symlink that lives outside the tree" cat "$demo/elsewhere/shortcut.csv"
step "a read of a file outside the tree (nothing is recorded)" cat "$demo/elsewhere/readme.txt"

kill "$pid"
wait "$pid" || true
trap - EXIT INT TERM
echo
echo "== the agent stopped; the audit log (gzip, sealed in a hash chain):"
ls -l "$logs" | sed 's/^/   /'
echo
echo "== is it complete and unaltered?  $cli verify --key-file $key $logs"
"$cli" verify --key-file "$key" "$logs" | sed 's/^/   /'
echo
echo "== every record, in full (OCSF JSON lines):"
echo "   zcat $logs/*.json.gz     (the same records, live: $out)"
