#!/usr/bin/env bash
# SPDX-License-Identifier: (LGPL-2.1 OR BSD-2-Clause)
#
# usage: bench/prog-cost.sh RECORDER [ROUNDS] [recorder args...]
# (PROGCOST_WORKLOADS: the loops to run, default "getppid write64"; bench/workloads/loop.c has more.
#  PROGCOST_UNRECORDED=1: the loops run outside any container, so the rows price the programs'
#  path for a process that is not recorded.)
#
# The recorder's syscall programs, timed by the kernel itself: with kernel.bpf_stats_enabled on,
# every BPF program counts its runs and the ns they took. A recorded cgroup runs loop getppid and
# loop write64; the programs' run time and run count are read before and after, and once more over
# an equal time without the loop, so that the other processes of a shared machine (whose syscalls
# take the programs' cheap "not recorded" path) can be taken out of the average:
#
#   ns per recorded run = (Δtime_loop − Δtime_idle × t_loop / t_idle) / (Δcount_loop − Δcount_idle × t_loop / t_idle)
#
# With bench/out/empty-hook built (bench/run.sh builds it), its two empty programs run beside and
# their rows are the floor: the statistics' own clock reads and a program's entry, which every row
# includes. This is far steadier than wall clock on a shared machine (no scheduling and no other
# tenants' work in the number), but it is not the whole cost: the trampoline that calls the
# programs stays outside it (see bench/README.md, "Digging further"). Compare rows of one run, or
# rounds interleaved before and after a change, rather than absolute numbers.
# Prints one line per round, workload and program:
#   round workload program ns-per-recorded-run recorded-runs raw-average
set -euo pipefail

RECORDER=${1:?usage: bench/prog-cost.sh RECORDER [ROUNDS] [recorder args...]}
ROUNDS=${2:-3}
shift $(($# >= 2 ? 2 : 1))
BENCH=$(cd "$(dirname "$0")" && pwd)
REPO=$(cd "$BENCH/.." && pwd)
OUT=$BENCH/out
if ((EUID != 0)); then
	echo "prog-cost: must run as root: it loads BPF programs and makes cgroups" >&2
	exit 1
fi
# The project's install step, as bench/run.sh runs it (gcc, bpftool, jq, curl).
source "$REPO/scripts/prereqs.sh"
traceloop_install "${TRACELOOP_BUILD_PACKAGES[@]}" "${TRACELOOP_BENCH_PACKAGES[@]}"
N=${N_PROGCOST:-3000000}
mkdir -p "$OUT"
[[ -x $OUT/loop && $OUT/loop -nt $BENCH/workloads/loop.c ]] || gcc -O2 -static -Wall -Wextra -o "$OUT/loop" "$BENCH/workloads/loop.c"

WORK=$(mktemp -d /tmp/tlcost.XXXXXX)
PIN_DIR=/sys/fs/bpf/traceloop-progcost-$$
CG_ROOT=$(awk '$3 == "cgroup2" { print $2; exit }' /proc/mounts)/traceloop-progcost-$$
STATS=/proc/sys/kernel/bpf_stats_enabled
STATS_BEFORE=$(cat "$STATS")
REC_PID=""
HOOK_PID=""

cleanup() {
	[[ -n $REC_PID ]] && kill "$REC_PID" 2>/dev/null && wait "$REC_PID" 2>/dev/null
	[[ -n $HOOK_PID ]] && kill "$HOOK_PID" 2>/dev/null && wait "$HOOK_PID" 2>/dev/null
	rm -rf "$PIN_DIR"
	local d
	for d in "$CG_ROOT"/*/; do [[ -d $d ]] && rmdir "$d" 2>/dev/null; done
	[[ -d $CG_ROOT ]] && rmdir "$CG_ROOT" 2>/dev/null
	# Only undo what this script did: another user may have turned the statistics on.
	[[ $STATS_BEFORE == 0 ]] && echo 0 >"$STATS"
	rm -rf "$WORK"
}
trap cleanup EXIT

hex64() { od -An -tx1 -N32 /dev/urandom | tr -d ' \n'; }
api() { curl -sf --max-time 10 --unix-socket "$WORK/s" "http://localhost$1"; }

mkdir -p "$CG_ROOT"
"$RECORDER" --socket "$WORK/s" --data-dir "$WORK/data" --pin-dir "$PIN_DIR" "$@" >"$WORK/recorder.log" 2>&1 &
REC_PID=$!
for _ in $(seq 200); do api /healthz >/dev/null 2>&1 && break; sleep 0.1; done
api /healthz >/dev/null || { tail "$WORK/recorder.log" >&2; exit 1; }
echo 1 >"$STATS"

# This recorder's programs (another recorder on the machine has programs of the same names).
declare -A PROG_ID=()
for link in "$PIN_DIR"/state/links/tl_sys_* "$PIN_DIR"/state/links/tl_metrics_switch "$PIN_DIR"/state/links/tl_watch_errors; do
	[[ -e $link ]] || continue
	PROG_ID[$(basename "$link")]=$(bpftool link show pinned "$link" -j | jq -r .prog_id)
done
((${#PROG_ID[@]} > 0)) || { echo "prog-cost: no tl_sys_* links under $PIN_DIR/state/links" >&2; exit 1; }
# The empty hook, when bench/run.sh has built it, runs beside: its programs' time is the floor (the
# statistics' own clock reads and a program's entry), to subtract from the recorder's rows.
if [[ -x $OUT/empty-hook && -f $OUT/empty.bpf.o ]]; then
	"$OUT/empty-hook" "$OUT/empty.bpf.o" >"$WORK/empty-hook.out" 2>&1 &
	HOOK_PID=$!
	for _ in $(seq 100); do grep -qs '^ready' "$WORK/empty-hook.out" && break; sleep 0.1; done
	# The newest programs of those names are this hook's (bpftool may not name their process).
	while read -r name id; do PROG_ID[$name]=$id; done < <(bpftool prog show -j |
		jq -r '[.[] | select(.name == "empty_sys_enter" or .name == "empty_sys_exit")] | group_by(.name)[] | max_by(.id) | "\(.name) \(.id)"')
fi

read_stats() { # prints "name time count" per program, then "t now_ns"
	local name
	for name in "${!PROG_ID[@]}"; do
		bpftool prog show id "${PROG_ID[$name]}" -j | jq -r --arg n "$name" '"\($n) \(.run_time_ns // 0) \(.run_cnt // 0)"'
	done
	echo "t $(date +%s%N)"
}

delta() { # before-file after-file: "name Δtime Δcount" per program, then "t Δns"
	join <(sort "$1") <(sort "$2") | awk '$1 == "t" { print $1, $3 - $2; next } { print $1, $4 - $2, $5 - $3 }'
}

for ((round = 1; round <= ROUNDS; round++)); do
	for w in ${PROGCOST_WORKLOADS:-getppid write64}; do
		id=$(hex64)
		mkdir "$CG_ROOT/$id"
		for _ in $(seq 100); do api /containers | jq -e --arg id "$id" 'any(.[]; .id == $id)' >/dev/null 2>&1 && break; sleep 0.1; done
		read_stats >"$WORK/a"
		if [[ ${PROGCOST_UNRECORDED:-0} == 1 ]]; then
			"$OUT/loop" "$w" "$N" >/dev/null
		else
			sh -c 'echo $$ >"$1/cgroup.procs" && exec "$2" "$3" "$4"' sh "$CG_ROOT/$id" "$OUT/loop" "$w" "$N" >/dev/null
		fi
		read_stats >"$WORK/b"
		delta "$WORK/a" "$WORK/b" >"$WORK/loop"
		loop_ns=$(awk '$1 == "t" { print $2 }' "$WORK/loop")
		# The same time again with no loop: what the rest of the machine ran through the programs.
		read_stats >"$WORK/c"
		sleep "$(awk -v n="$loop_ns" 'BEGIN { printf "%.3f", n / 1e9 }')"
		read_stats >"$WORK/d"
		delta "$WORK/c" "$WORK/d" >"$WORK/idle"
		idle_ns=$(awk '$1 == "t" { print $2 }' "$WORK/idle")
		join "$WORK/loop" "$WORK/idle" | awk -v w="$w" -v r="$round" -v tl="$loop_ns" -v ti="$idle_ns" '
			$1 != "t" {
				k = tl / ti
				t = $2 - $4 * k; c = $3 - $5 * k
				printf "%s %s %s %.1f %d %.1f\n", r, w, $1, (c > 0 ? t / c : 0), c, ($3 > 0 ? $2 / $3 : 0)
			}'
		rmdir "$CG_ROOT/$id" 2>/dev/null || true
	done
done | sort -k2,2 -k3,3 -k1,1n | awk '
	BEGIN { print "# round workload program ns-per-recorded-run recorded-runs raw-average" }
	{ print }'
