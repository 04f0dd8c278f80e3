#!/usr/bin/env bash
# Runs every test: unit tests, and functional tests that load the real BPF programs into the
# real kernel and record real runc containers. Needs root; never skips what it cannot run.
# Extra arguments go to `dotnet test` (e.g. --filter RecordingTests).
set -euo pipefail
root="$(cd "$(dirname "${BASH_SOURCE[0]}")/.." && pwd)"
source "$root/scripts/prereqs.sh"
traceloop_need_root "scripts/test.sh"
traceloop_install "${TRACELOOP_BUILD_PACKAGES[@]}" "${TRACELOOP_TEST_PACKAGES[@]}"

export DOTNET_CLI_TELEMETRY_OPTOUT=1 DOTNET_NOLOGO=1
cd "$root"
dotnet build Traceloop.sln -c Release -nologo -clp:ErrorsOnly -v quiet

# The Native AOT binaries the image ships, built by the script the Dockerfile runs; the
# ReleaseBuildTests run them. Publishing takes minutes, so a filtered run (arguments given)
# reuses the last build unless TRACELOOP_RELEASE_BUILD=1.
export TRACELOOP_RELEASE_DIR="$root/artifacts/release"
if [ $# -eq 0 ] || [ "${TRACELOOP_RELEASE_BUILD:-0}" = 1 ]; then
	bash "$root/scripts/build-release.sh" --out "$TRACELOOP_RELEASE_DIR"
fi

log="$(mktemp)"
trap 'rm -f "$log"' EXIT
status=0
dotnet test Traceloop.sln -c Release --no-build -nologo "$@" 2>&1 | tee "$log" || status=$?

# One closing line for every runner that reads them: "N passed, N failed, N skipped".
awk '/(Passed|Failed)! +- +Failed: /{
	gsub(/,/, ""); for (i = 1; i <= NF; i++) {
		if ($i == "Failed:") f += $(i+1); if ($i == "Passed:") p += $(i+1); if ($i == "Skipped:") s += $(i+1) }
	n++ }
	END { if (n == 0) { print "0 passed, 1 failed (no test assembly reported a result)"; exit 1 }
	      printf "%d passed, %d failed, %d skipped\n", p, f, s }' "$log" || status=1
exit "$status"
