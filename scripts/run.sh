#!/usr/bin/env bash
# Builds the recorder if needed and runs it in the foreground with the given options
# (defaults: socket /run/traceloop/traceloop.sock, data in /var/lib/traceloop).
# Every container on this host is recorded; no Kubernetes is needed.
set -euo pipefail
root="$(cd "$(dirname "${BASH_SOURCE[0]}")/.." && pwd)"
source "$root/scripts/prereqs.sh"
traceloop_need_root "scripts/run.sh"
traceloop_install "${TRACELOOP_BUILD_PACKAGES[@]}"

export DOTNET_CLI_TELEMETRY_OPTOUT=1 DOTNET_NOLOGO=1
dotnet build "$root/recorder/Traceloop.Recorder" -c Release -v quiet -nologo -clp:ErrorsOnly >&2
exec "$root/recorder/Traceloop.Recorder/bin/Release/net10.0/traceloop-recorder" "$@"
