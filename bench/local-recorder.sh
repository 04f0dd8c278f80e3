# SPDX-License-Identifier: (LGPL-2.1 OR BSD-2-Clause)
# Sourced by bench/ablate.sh, bench/ab.sh and bench/profile.sh: one recorder of their own, unpinned, its socket,
# data and log under a work directory. (bench/run.sh starts its recorder its own way: pinned, and
# timed for the restart rows.)

REC_PID=""
REC_DIR=""

# recorder_api PATH: GET PATH from the recorder of recorder_start.
recorder_api() { curl -sf --max-time 10 --unix-socket "$REC_DIR/s" "http://localhost$1"; }

# recorder_start BINARY DIR [ARGS...]: starts it with its socket, data and log under DIR and waits
# until it answers /healthz; sets REC_PID. Says why on stderr and returns 1 when it never answers.
recorder_start() {
	local binary=$1 i
	REC_DIR=$2
	shift 2
	"$binary" --socket "$REC_DIR/s" --data-dir "$REC_DIR/data" --pin-dir "" "$@" >"$REC_DIR/recorder.log" 2>&1 &
	REC_PID=$!
	for i in $(seq 200); do recorder_api /healthz >/dev/null 2>&1 && return 0; sleep 0.1; done
	tail "$REC_DIR/recorder.log" >&2
	return 1
}

# recorder_wait_ring ID: waits (10 s at most) until the recorder lists container ID with a ring.
recorder_wait_ring() {
	local i
	for i in $(seq 100); do
		recorder_api /containers | jq -e --arg id "$1" 'any(.[]; .id == $id and .bufferBytes > 0)' >/dev/null 2>&1 && return 0
		sleep 0.1
	done
}

# recorder_stop: stops the recorder of recorder_start, if any.
recorder_stop() {
	[[ -n $REC_PID ]] || return 0
	kill -TERM "$REC_PID" 2>/dev/null || true
	wait "$REC_PID" 2>/dev/null || true
	REC_PID=""
}

# recorder_tree_copy REPO DEST: the tree's tracked and untracked files, as they are now, copied into
# DEST, so that recorders built from it never touch the tree's own build.
recorder_tree_copy() {
	mkdir -p "$2"
	(cd "$1" && git ls-files -co --exclude-standard -z | tar --null -T - -cf -) | tar -xf - -C "$2"
}
