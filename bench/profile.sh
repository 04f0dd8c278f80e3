#!/usr/bin/env bash
# SPDX-License-Identifier: (LGPL-2.1 OR BSD-2-Clause)
#
# usage: bench/profile.sh [--unrecorded] [--recorder PATH] [--keep DIR]
#
# Where the CPU goes while redis runs recorded: the redis workload of bench/README.md section 8 in
# one fresh container cgroup, with `perf record -a -g` (cpu-clock sampling, which works without
# hardware counters, as on a VM) over the benchmark's run. Prints the share of samples by process
# and object, the client's hottest symbols (redis-benchmark makes most of the syscalls), and the
# hottest places inside the recorder's BPF programs (program+offset: an offset just past a slow
# instruction, e.g. a locked add, collects its samples), and the same by source line (bench/jit-lines).
#
# What the kernel's statistics (kernel.bpf_stats_enabled) cannot show, this does: time the programs
# cause outside themselves, such as a fault a helper absorbs (its handler runs with interrupts off,
# so the sampler puts it on the instruction after the faulting copy, in copy_from_user_nofault).
# --unrecorded runs the same without a recorder, for comparison. The recorder defaults to the one
# bench/run.sh publishes (bench/out/recorder). --keep DIR keeps perf.data there.
set -euo pipefail

BENCH=$(cd "$(dirname "$0")" && pwd)
REPO=$(cd "$BENCH/.." && pwd)
RECORDER=$BENCH/out/recorder/traceloop-recorder
RECORDED=1
KEEP=""
while (($#)); do
	case $1 in
	--unrecorded) RECORDED=0 ;;
	--recorder) RECORDER=${2:?--recorder needs a path}; shift ;;
	--keep) KEEP=${2:?--keep needs a directory}; shift ;;
	*) sed -n '4p' "$0" | sed 's/^# //' >&2; exit 2 ;;
	esac
	shift
done
source "$REPO/scripts/prereqs.sh"
traceloop_need_root "bench/profile.sh"
source "$BENCH/redis-case.sh"
REQUESTS=$REDIS_CASE_REQUESTS
CLIENTS=$REDIS_CASE_CLIENTS
source "$BENCH/local-recorder.sh"
traceloop_install "${TRACELOOP_BUILD_PACKAGES[@]}" "${TRACELOOP_BENCH_PACKAGES[@]}"
if ((RECORDED)) && [[ ! -x $RECORDER ]]; then
	echo "profile: no recorder at $RECORDER: run bench/run.sh once (it publishes one there) or pass --recorder" >&2
	exit 1
fi

WORK=$(mktemp -d /tmp/tlprofile.XXXXXX)
CG=$(awk '$3 == "cgroup2" { print $2; exit }' /proc/mounts)/traceloop-profile-$$
ID=$(od -An -tx1 -N32 /dev/urandom | tr -d ' \n')
cleanup() {
	redis_stop
	recorder_stop
	local i
	for i in $(seq 50); do [[ -d $CG/$ID ]] || break; rmdir "$CG/$ID" 2>/dev/null && break; sleep 0.1; done
	rmdir "$CG" 2>/dev/null || true
	rm -rf "$WORK"
}
trap cleanup EXIT

mkdir -p "$CG"
((RECORDED)) && { recorder_start "$RECORDER" "$WORK" || exit 1; }
mkdir "$CG/$ID"
((RECORDED)) && recorder_wait_ring "$ID"
redis_start "$CG/$ID" "$WORK" || exit 1
rates=$(redis_load "$CG/$ID" "$REQUESTS" "$CLIENTS" perf record -a -g -F 999 -o "$WORK/perf.data" -q --) || exit 1
read -r set get <<<"$rates"

report() { perf report -i "$WORK/perf.data" --stdio --no-children -g none "$@" 2>/dev/null | grep -v '^#' | grep -v '^$' || true; }
# top N: the first N lines of its input, read to the end so that the writer never dies of SIGPIPE
# (under pipefail that ended the script before its last listing and before --keep).
top() { awk -v n="$1" 'NR <= n'; }
echo "## redis-benchmark -n $REQUESTS -c $CLIENTS -t set,get, $( ((RECORDED)) && echo recorded || echo unrecorded): SET $set/s, GET $get/s"
echo
echo "### Samples by process and object (idle is swapper)"
report --sort comm,dso | top 15
echo
echo "### redis-benchmark's hottest symbols"
report --comm redis-benchmark --sort sym | top 25
if ((RECORDED)); then
	perf script -i "$WORK/perf.data" -F ip,sym,symoff 2>/dev/null | { grep -oE 'bpf_prog_[0-9a-f]+_tl_[a-z_]+\+0x[0-9a-f]+' || true; } |
		sort | uniq -c | sort -rn >"$WORK/places"
	echo
	echo "### Hottest places in the recorder's programs (all processes)"
	sed -E 's/bpf_prog_[0-9a-f]+_//' "$WORK/places" | top 15
	# The same samples by source line: the JIT line info of the syscall programs (read while the
	# recorder still runs) maps each offset to a line of bpf/traceloop.bpf.c. The programs are found
	# by name and their functions matched to the samples by address through /proc/kallsyms: by the
	# whole symbol name, or else by the function's name alone, because perf may name a program's
	# main function with another tag than the kernel does. A sample lands just after the instruction
	# that was running, so it is counted at offset - 1.
	gcc -O2 -Wall -Wextra -o "$WORK/jit-lines" "$BENCH/jit-lines/jit-lines.c" -lbpf
	ids=$(bpftool prog show -j | jq -r '.[] | select(.name == "tl_sys_enter" or .name == "tl_sys_exit") | .id')
	if [[ -n $ids ]]; then
		# shellcheck disable=SC2086 # one argument per program id
		"$WORK/jit-lines" $ids >"$WORK/lines"
		echo
		echo "### The programs' samples by source line (bpf/traceloop.bpf.c)"
		awk '
			function hex(s,   i, n) { n = 0; s = tolower(s); for (i = 1; i <= length(s); i++) n = n * 16 + index("0123456789abcdef", substr(s, i, 1)) - 1; return n }
			function bare(s) { sub(/^bpf_prog_[0-9a-f]+_/, "", s); return s }
			FILENAME == "/proc/kallsyms" { if ($3 ~ /^bpf_prog_/) { if (!($3 in addr)) addr[$3] = $1; if (!(bare($3) in addr)) addr[bare($3)] = $1 } next }
			FILENAME ~ /lines$/ {
				k = $1; n = ++count[k]; off[k, n] = $2 + 0; num[k, n] = $3
				t = $0; sub(/^[^ ]+ [^ ]+ [^ ]+ ?/, "", t); gsub(/^[ \t]+/, "", t); txt[k, n] = t; next
			}
			{
				split($2, p, /[+]0x/); name = bare(p[1]); k = p[1] in addr ? addr[p[1]] : addr[name]; o = hex(p[2]) - 1; best = 0
				for (i = 1; i <= count[k]; i++) if (off[k, i] <= o && (!best || off[k, i] >= off[k, best])) best = i
				hits[best ? name ":" num[k, best] "  " txt[k, best] : name ": (no line info)"] += $1
			}
			END { for (key in hits) print hits[key], key }
		' /proc/kallsyms "$WORK/lines" "$WORK/places" | sort -rn | top 20
	fi
fi
if [[ -n $KEEP ]]; then
	mkdir -p "$KEEP"
	cp "$WORK/perf.data" "$KEEP/perf.data"
	echo
	echo "perf.data kept in $KEEP"
fi
