# SPDX-License-Identifier: (LGPL-2.1 OR BSD-2-Clause)
# Sourced by bench/run.sh, bench/ablate.sh and bench/profile.sh: the redis workload (section 8 of
# bench/README.md), redis-server and redis-benchmark in one container cgroup.

source "$(dirname "${BASH_SOURCE[0]}")/free-port.sh"

# The load of the scripts built on redis_case (ab.sh, ablate.sh, profile.sh): redis-benchmark
# -n REDIS_REQUESTS -c REDIS_CLIENTS. (bench/run.sh's redis section sets its own, N_REDIS.)
REDIS_CASE_REQUESTS=${REDIS_REQUESTS:-100000}
REDIS_CASE_CLIENTS=${REDIS_CLIENTS:-10}

# redis_start CGDIR DIR: redis-server in the cgroup CGDIR on a free loopback port. No persistence
# (no RDB snapshots, no AOF), its own port and its files under DIR: nothing a system redis uses,
# nothing left on disk. Sets REDIS_PID and REDIS_PORT; when it does not answer, says why on stderr
# and returns 1 (REDIS_PID is then still the caller's to stop).
redis_start() {
	local cg=$1 dir=$2 i
	REDIS_PID=""
	REDIS_PORT=$(free_port) || { echo "redis: no free loopback port" >&2; return 1; }
	# Started here, not in a function run with &: that would be a subshell, and $! not redis.
	sh -c 'echo $$ >"$1/cgroup.procs" && shift && exec "$@"' sh "$cg" \
		redis-server --port "$REDIS_PORT" --bind 127.0.0.1 --save '' --appendonly no --dir "$dir" \
		--daemonize no --logfile "$dir/redis.log" >/dev/null 2>&1 &
	REDIS_PID=$!
	for i in $(seq 100); do
		[[ $(redis-cli -p "$REDIS_PORT" ping 2>/dev/null) == PONG ]] && return 0
		kill -0 "$REDIS_PID" 2>/dev/null ||
			{ echo "redis: redis-server exited: $(tail -n 5 "$dir/redis.log" 2>/dev/null)" >&2; return 1; }
		sleep 0.05
	done
	echo "redis: redis-server on port $REDIS_PORT does not answer" >&2
	return 1
}

# redis_load CGDIR REQUESTS CLIENTS [WRAPPER...]: redis-benchmark -t set,get in the cgroup CGDIR
# against REDIS_PORT, started through WRAPPER when given (perf record ... --); prints "SET/s GET/s",
# or says why not on stderr and returns 1.
redis_load() {
	local cg=$1 requests=$2 clients=$3 out set get
	shift 3
	out=$("$@" sh -c 'echo $$ >"$1/cgroup.procs" && shift && exec "$@"' sh "$cg" \
		redis-benchmark -p "$REDIS_PORT" -n "$requests" -c "$clients" -t set,get -q 2>&1 | tr '\r' '\n') ||
		{ echo "redis: redis-benchmark failed: $out" >&2; return 1; }
	# -q prints "SET: 123456.79 requests per second, p50=0.055 msec" (after \r-separated progress).
	set=$(awk -F'[: ]+' '/^SET: .* requests per second/ { v = $2 } END { print v }' <<<"$out")
	get=$(awk -F'[: ]+' '/^GET: .* requests per second/ { v = $2 } END { print v }' <<<"$out")
	[[ -n $set && -n $get ]] || { echo "redis: no SET and GET throughput in: $out" >&2; return 1; }
	echo "$set $get"
}

# redis_stop: stops the redis-server of redis_start, if any.
redis_stop() {
	[[ -n ${REDIS_PID:-} ]] || return 0
	kill -TERM "$REDIS_PID" 2>/dev/null || true
	wait "$REDIS_PID" 2>/dev/null || true
	REDIS_PID=""
}

# redis_case CG_ROOT WORK REQUESTS CLIENTS RECORDER [RECORDER OPTIONS...]: one case of the workload
# in a fresh container-named cgroup under CG_ROOT, unrecorded when RECORDER is "", else under that
# recorder binary (bench/local-recorder.sh, which the caller sources). Sets CASE_RPS to the SET+GET
# requests per second. Call it in the script's own shell, not a subshell, so that the script's
# trap (redis_case_workspace) sees what it started.
redis_case() {
	local cg_root=$1 work=$2 requests=$3 clients=$4 recorder=$5 id rates set get i
	shift 5
	mkdir -p "$cg_root"
	if [[ -n $recorder ]]; then
		recorder_start "$recorder" "$work" "$@" || return 1
	fi
	id=$(od -An -tx1 -N32 /dev/urandom | tr -d ' \n')
	mkdir "$cg_root/$id"
	[[ -z $recorder ]] || recorder_wait_ring "$id"
	redis_start "$cg_root/$id" "$work" || return 1
	rates=$(redis_load "$cg_root/$id" "$requests" "$clients") || return 1
	read -r set get <<<"$rates"
	redis_stop
	recorder_stop
	# The last task may still be exiting.
	for i in $(seq 50); do rmdir "$cg_root/$id" 2>/dev/null && break; sleep 0.1; done
	CASE_RPS=$(awk -v s="$set" -v g="$get" 'BEGIN { printf "%.0f", s + g }')
}

# redis_case_workspace NAME: sets WORK (a scratch directory) and CG (a cgroup root for redis_case),
# and removes both when the script exits, with whatever a case left running.
redis_case_workspace() {
	WORK=$(mktemp -d "/tmp/tl$1.XXXXXX")
	CG=$(awk '$3 == "cgroup2" { print $2; exit }' /proc/mounts)/traceloop-$1-$$
	trap redis_case_cleanup EXIT
}

redis_case_cleanup() {
	local d
	redis_stop
	recorder_stop
	for d in "$CG"/*/; do [[ -d $d ]] && rmdir "$d" 2>/dev/null; done
	[[ -d $CG ]] && rmdir "$CG" 2>/dev/null
	rm -rf "$WORK"
}

# median: the median of the numbers on stdin, one a line.
median() { sort -g | awk '{ v[NR] = $1 } END { print (NR % 2) ? v[(NR + 1) / 2] : (v[NR / 2] + v[NR / 2 + 1]) / 2 }'; }
