#!/usr/bin/env bash
# SPDX-License-Identifier: (LGPL-2.1 OR BSD-2-Clause)
#
# usage: bench/ablate.sh [ROUNDS]
#        ABLATE_LEVELS="0 3" bench/ablate.sh [ROUNDS]   (only these levels; 0 is always built)
#
# Where a real workload's recording cost goes. redis-server and redis-benchmark run in one fresh
# container cgroup, as in bench/run.sh's redis section, unrecorded and under the recorder built
# from this tree at every TL_ABLATE level of bpf/traceloop.bpf.c (level 0 is the recorder as it
# ships; each level cuts one more stage of the syscall programs, see the comment there). The
# configurations run interleaved, round by round, so a drifting machine shifts them all alike.
# Prints the median SET+GET requests per second of each and its ratio to unrecorded; the difference
# between two neighbouring levels is what that stage costs the workload.
#
# The variants are built from a copy of this tree (tracked and untracked files, as they are now),
# each with its own BPF object and output directory, so nothing of them can reach the tree's own
# build. Wall clock only: kernel.bpf_stats_enabled is left alone, because its clock reads cost
# a workload like redis far more than a tight loop and would be measured with it.
set -euo pipefail

ROUNDS=${1:-5}
BENCH=$(cd "$(dirname "$0")" && pwd)
REPO=$(cd "$BENCH/.." && pwd)
# Level 0 stays: the shipped build, with and without metrics, is what every level is read against.
read -r -a LEVELS <<<"${ABLATE_LEVELS:-0 1 2 3 4}"
[[ " ${LEVELS[*]} " == *" 0 "* ]] || LEVELS=(0 "${LEVELS[@]}")
source "$REPO/scripts/prereqs.sh"
traceloop_need_root "bench/ablate.sh"
source "$BENCH/redis-case.sh"
REQUESTS=$REDIS_CASE_REQUESTS
CLIENTS=$REDIS_CASE_CLIENTS
source "$BENCH/local-recorder.sh"
traceloop_install "${TRACELOOP_BUILD_PACKAGES[@]}" "${TRACELOOP_BENCH_PACKAGES[@]}"

redis_case_workspace ablate
log() { echo "[$(date +%T)] $*" >&2; }

# --- the variants ------------------------------------------------------------------------------
log "copying the tree and building ${#LEVELS[@]} recorders (one per TL_ABLATE level)"
recorder_tree_copy "$REPO" "$WORK/src"
for level in "${LEVELS[@]}"; do
	mkdir -p "$WORK/bpf$level"
	cp "$WORK/src/bpf/"* "$WORK/bpf$level/"
	make -s -C "$WORK/bpf$level" CLANG="clang -DTL_ABLATE=$level"
	dotnet build "$WORK/src/recorder/Traceloop.Recorder" -c Release -nologo -v quiet -clp:ErrorsOnly --no-incremental \
		-p:BpfDir="$WORK/bpf$level/" -o "$WORK/rec$level" >"$WORK/build$level.log" 2>&1 ||
		{ tail -20 "$WORK/build$level.log" >&2; exit 1; }
done

# --- one case ------------------------------------------------------------------------------------
run_case() { # level or "none" (a level with "m": --metrics off): sets CASE_RPS (redis-case.sh)
	local config=$1 options=()
	if [[ $config == none ]]; then
		redis_case "$CG" "$WORK" "$REQUESTS" "$CLIENTS" "" || exit 1
		return
	fi
	# "0m": the shipped recorder without syscall metrics (issue 16's counting, under a real workload).
	[[ $config == *m ]] && options=(--metrics off)
	redis_case "$CG" "$WORK" "$REQUESTS" "$CLIENTS" "$WORK/rec${config%m}/traceloop-recorder" "${options[@]}" || exit 1
}

# --- rounds ----------------------------------------------------------------------------------------
CONFIGS=(none "${LEVELS[@]}" 0m)
: >"$WORK/raw"
for ((round = 1; round <= ROUNDS; round++)); do
	# Rotate the order, so no configuration always runs first after a recorder start.
	n=${#CONFIGS[@]}
	for ((k = 0; k < n; k++)); do
		config=${CONFIGS[$(((k + round) % n))]}
		run_case "$config"
		log "round $round $config: $CASE_RPS req/s"
		echo "$config $CASE_RPS" >>"$WORK/raw"
	done
done

# Each round's rate over that round's unrecorded rate: the machine drifts between rounds, and a
# ratio within a round is what a configuration costs; the table gives the median of those.
awk '{ round[NR] = int((NR - 1) / n); cfg[NR] = $1; rps[NR] = $2; if ($1 == "none") base[int((NR - 1) / n)] = $2 }
	END { for (i = 1; i <= NR; i++) print cfg[i], rps[i], rps[i] / base[round[i]] }' n="${#CONFIGS[@]}" "$WORK/raw" >"$WORK/paired"
echo "| configuration (redis-benchmark -n $REQUESTS -c $CLIENTS -t set,get, $ROUNDS rounds) | median SET+GET req/s | min–max | vs unrecorded: median of per-round ratios (min–max) |"
echo "| --- | ---: | ---: | ---: |"
for config in none $(printf '%s\n' "${LEVELS[@]}" | grep -vx 0) 0 0m; do
	case $config in
	none) name="unrecorded" ;;
	0) name="recorder as shipped (TL_ABLATE 0)" ;;
	0m) name="recorder as shipped, --metrics off" ;;
	1) name="1: lookups only (container, ring, in-flight slot)" ;;
	2) name="2: lookups and the clock" ;;
	3) name="3: full records, no capture from user memory" ;;
	4) name="4: captures without the data-buffer copy" ;;
	esac
	m=$(awk -v c="$config" '$1 == c { print $2 }' "$WORK/paired" | median)
	range=$(awk -v c="$config" '$1 == c { print $2 }' "$WORK/paired" | sort -g | awk 'NR == 1 { lo = $1 } { hi = $1 } END { printf "%.0fk–%.0fk", lo / 1000, hi / 1000 }')
	ratio=$(awk -v c="$config" '$1 == c { print $3 }' "$WORK/paired" | median)
	rrange=$(awk -v c="$config" '$1 == c { print $3 }' "$WORK/paired" | sort -g | awk 'NR == 1 { lo = $1 } { hi = $1 } END { printf "%.2f–%.2f", lo, hi }')
	awk -v n="$name" -v m="$m" -v r="$range" -v q="$ratio" -v qr="$rrange" 'BEGIN { printf "| %s | %.1fk | %s | %.2f× (%s) |\n", n, m / 1000, r, q, qr }'
done
