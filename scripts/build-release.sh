#!/usr/bin/env bash
# Builds what the container image ships: the eBPF object (embedded in the recorder) and the
# Native AOT binaries traceloop-recorder, traceloop, kubectl-traceloop and traceloop-gateway (the
# cluster's aggregated API server, shipped in its own Deployment), into DIR
# (default artifacts/release). The Dockerfile's build stage runs exactly this script, and CI
# runs it without Docker, so the image cannot be built differently from what CI tested.
# Needs clang, make, libbpf-dev and zlib1g-dev (scripts/prereqs.sh installs them) and the .NET 10 SDK.
set -euo pipefail
root="$(cd "$(dirname "${BASH_SOURCE[0]}")/.." && pwd)"
out="$root/artifacts/release"

usage() { echo "usage: scripts/build-release.sh [--out DIR]" >&2; exit 1; }
while [ $# -gt 0 ]; do
	case "$1" in
		--out) [ $# -ge 2 ] || usage; out="$2"; shift 2 ;;
		--out=*) out="${1#--out=}"; shift ;;
		-h|--help) usage ;;
		*) echo "build-release.sh: unknown argument '$1'" >&2; usage ;;
	esac
done

for tool in clang make dotnet; do
	command -v "$tool" >/dev/null || { echo "build-release.sh: $tool is missing (scripts/prereqs.sh installs the build packages)" >&2; exit 1; }
done
test -f /usr/include/bpf/bpf_helpers.h || { echo "build-release.sh: libbpf-dev is missing (bpf/bpf_helpers.h)" >&2; exit 1; }

case "$(uname -m)" in
	x86_64) rid=linux-x64 ;;
	aarch64) rid=linux-arm64 ;;
	*) echo "build-release.sh: no .NET runtime identifier for $(uname -m)" >&2; exit 1 ;;
esac

export DOTNET_CLI_TELEMETRY_OPTOUT=1 DOTNET_NOLOGO=1
mkdir -p "$out"
out="$(cd "$out" && pwd)"
# Each project is published once, into its own directory: only the executable is shipped
# (the .dbg symbols stay behind).
publish="$(mktemp -d)"
trap 'rm -rf "$publish"' EXIT

make -s -C "$root/bpf"
for project in recorder/Traceloop.Recorder:traceloop-recorder cli/Traceloop.Cli:traceloop cli/Kubectl.Traceloop:kubectl-traceloop gateway/Traceloop.Gateway:traceloop-gateway; do
	dir="${project%%:*}" name="${project##*:}"
	echo "publishing $name ($rid, Native AOT)" >&2
	dotnet publish "$root/$dir" -c Release -r "$rid" -o "$publish/$name" -nologo -v quiet -clp:ErrorsOnly
	install -m 0755 "$publish/$name/$name" "$out/$name"
done
echo "built into $out: traceloop-recorder traceloop kubectl-traceloop traceloop-gateway" >&2
