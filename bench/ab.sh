#!/usr/bin/env bash
# SPDX-License-Identifier: (LGPL-2.1 OR BSD-2-Clause)
#
# usage: bench/ab.sh BASE [ROUNDS]
#
# Whether a change to the recorder helps a real workload: the recorder built from git revision BASE
# against the one built from this tree (tracked and untracked files, as they are now), each under
# redis-server and redis-benchmark in one fresh container cgroup, as in bench/run.sh's redis
# section. The three configurations (unrecorded, BASE, this tree) run interleaved, round by round
# and in a rotating order, so a drifting machine shifts them all alike. Prints the median SET+GET
# requests per second of each, its ratio to the same round's unrecorded run, and the median of
# the per-round ratios of this tree to BASE. Both recorders are JIT builds (dotnet build), made the
# same way; the kernel side, where recording costs, is the same under Native AOT.
set -euo pipefail

BASE=${1:?usage: bench/ab.sh BASE [ROUNDS]}
ROUNDS=${2:-8}
BENCH=$(cd "$(dirname "$0")" && pwd)
REPO=$(cd "$BENCH/.." && pwd)
source "$REPO/scripts/prereqs.sh"
traceloop_need_root "bench/ab.sh"
source "$BENCH/redis-case.sh"
REQUESTS=$REDIS_CASE_REQUESTS
CLIENTS=$REDIS_CASE_CLIENTS
source "$BENCH/local-recorder.sh"
traceloop_install "${TRACELOOP_BUILD_PACKAGES[@]}" "${TRACELOOP_BENCH_PACKAGES[@]}"
base_rev=$(git -C "$REPO" rev-parse --verify "$BASE^{commit}")

redis_case_workspace ab
log() { echo "[$(date +%T)] $*" >&2; }

# --- the two recorders -------------------------------------------------------------------------------
build() { # name, source tree: each copy builds its own BPF object (its bpf/out)
	dotnet build "$2/recorder/Traceloop.Recorder" -c Release -nologo -v quiet -clp:ErrorsOnly --no-incremental \
		-o "$WORK/rec-$1" >"$WORK/build-$1.log" 2>&1 ||
		{ tail -20 "$WORK/build-$1.log" >&2; exit 1; }
}
log "building the recorder of ${base_rev:0:12} and of this tree"
mkdir -p "$WORK/src-base"
git -C "$REPO" archive "$base_rev" | tar -xf - -C "$WORK/src-base"
recorder_tree_copy "$REPO" "$WORK/src-tree"
build base "$WORK/src-base"
build tree "$WORK/src-tree"

# --- one case ------------------------------------------------------------------------------------
run_case() { # none, base or tree: sets CASE_RPS (redis-case.sh)
	local recorder=""
	[[ $1 == none ]] || recorder="$WORK/rec-$1/traceloop-recorder"
	redis_case "$CG" "$WORK" "$REQUESTS" "$CLIENTS" "$recorder" || exit 1
}

CONFIGS=(none base tree)
: >"$WORK/raw"
for ((round = 1; round <= ROUNDS; round++)); do
	for ((k = 0; k < 3; k++)); do
		config=${CONFIGS[$(((k + round) % 3))]}
		run_case "$config"
		log "round $round $config: $CASE_RPS req/s"
		echo "$round $config $CASE_RPS" >>"$WORK/raw"
	done
done

# Per round: each configuration over that round's unrecorded run, and this tree over BASE.
awk '{ rps[$1, $2] = $3; if ($1 > n) n = $1 }
	END { for (r = 1; r <= n; r++) print r, rps[r, "none"], rps[r, "base"] / rps[r, "none"], rps[r, "tree"] / rps[r, "none"], rps[r, "tree"] / rps[r, "base"] }' \
	"$WORK/raw" >"$WORK/paired"
col() { awk -v c="$1" '{ print $c }' "$WORK/paired" | median; }
range() { awk -v c="$1" '{ print $c }' "$WORK/paired" | sort -g | awk 'NR == 1 { lo = $1 } { hi = $1 } END { printf "%.2f–%.2f", lo, hi }'; }
echo "| redis-benchmark -n $REQUESTS -c $CLIENTS -t set,get, $ROUNDS interleaved rounds | median of per-round ratios (min–max) |"
echo "| --- | ---: |"
printf '| unrecorded | %.1fk req/s |\n' "$(awk '{ print $2 / 1000 }' "$WORK/paired" | median)"
printf '| %s (BASE) vs unrecorded | %.3f× (%s) |\n' "${base_rev:0:12}" "$(col 3)" "$(range 3)"
printf '| this tree vs unrecorded | %.3f× (%s) |\n' "$(col 4)" "$(range 4)"
printf '| this tree vs BASE | %.3f× (%s) |\n' "$(col 5)" "$(range 5)"
