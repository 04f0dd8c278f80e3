#!/usr/bin/env bash
# How closely the recorder's dump agrees with strace on the same syscalls. Runs the corpus of
# tests/Traceloop.FunctionalTests/StraceAgreement (each workload in a runc container that strace
# and the recorder watch at once), then prints one table: per workload, strace's lines, the share
# the dump matches by name, by name and return value, and by full text, and the largest
# difference classes with an example each. docs/STRACE_AGREEMENT.md explains the method.
# The JSON result, strace's logs and the dumps go to the output directory.
#
# usage: scripts/strace-agreement.sh [--out DIR] [--no-build]
#   --out DIR   where the results go (default bench/out/strace-agreement, git-ignored)
#   --no-build  use the last build
# Exit status: that of the test, which fails when a workload falls below its floor.
set -euo pipefail
root="$(cd "$(dirname "${BASH_SOURCE[0]}")/.." && pwd)"
out="$root/bench/out/strace-agreement"
build=1

usage() {
	sed -n '2,12p' "${BASH_SOURCE[0]}" | sed 's/^# \{0,1\}//' >&2
	exit 2
}

while (($#)); do
	case $1 in
	--out) out=${2:?--out needs a directory}; shift ;;
	--no-build) build=0 ;;
	-h | --help) usage ;;
	*) echo "strace-agreement.sh: unknown argument '$1'" >&2; usage ;;
	esac
	shift
done

source "$root/scripts/prereqs.sh"
traceloop_need_root "scripts/strace-agreement.sh"
traceloop_install "${TRACELOOP_BUILD_PACKAGES[@]}" "${TRACELOOP_TEST_PACKAGES[@]}"

export DOTNET_CLI_TELEMETRY_OPTOUT=1 DOTNET_NOLOGO=1
cd "$root"
log="$(mktemp)"
trap 'rm -f "$log"' EXIT
if ((build)) && ! dotnet build tests/Traceloop.FunctionalTests -c Release -nologo -clp:ErrorsOnly -v quiet >"$log" 2>&1; then
	cat "$log" >&2
	exit 1
fi

mkdir -p "$out"
rm -f "$out/agreement.md" "$out/agreement.json"
status=0
TRACELOOP_AGREEMENT_OUT="$out" dotnet test tests/Traceloop.FunctionalTests -c Release --no-build -nologo \
	--filter "FullyQualifiedName~StraceAgreement" >"$log" 2>&1 || status=$?

if [ -s "$out/agreement.md" ]; then
	cat "$out/agreement.md"
	echo
	echo "JSON: $out/agreement.json (strace logs and dumps beside it)"
else
	cat "$log" >&2
	echo "strace-agreement.sh: the test wrote no results" >&2
	exit 1
fi
if [ "$status" -ne 0 ]; then
	# The floors failed (or something else did): show why after the table.
	grep -E "agreement with strace fell|^[a-z]+: name\+ret|Error Message|Assert" -A3 "$log" | head -40 >&2 || true
fi
exit "$status"
