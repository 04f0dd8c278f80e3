#!/usr/bin/env bash
# Installs what building and testing Traceloop needs on Debian or Ubuntu, only when missing.
# Sourced by run.sh and test.sh; safe to run on its own.
set -euo pipefail

# Every program a test, script or benchmark starts comes from one of these lists; the unit test
# Repository/InstallStepTests fails when one is started that no list names.
TRACELOOP_BUILD_PACKAGES=(clang llvm make libbpf-dev libbpf1 linux-libc-dev gcc libc6-dev zlib1g-dev curl libssl3 ca-certificates)
# kubectl is the Kubernetes project's package, which this project's machines carry; Debian's
# kubernetes-client (1.20) cannot render deploy/ (its kustomize predates `labels:` and `patches:`).
# golang-go: the TLS tests build Go programs (crypto/tls clients, stripped and not) with `go build`;
# openssl: their TLS server (s_server) and its certificate (req); prometheus: the metrics tests scrape with
# a real server and check the exposition with promtool.
TRACELOOP_TEST_PACKAGES=(runc busybox-static strace util-linux lz4 bpftool kubectl golang-go openssl prometheus)
# bench/run.sh, with the build packages (gcc and clang build its workloads, the empty hook and the
# ring prototypes). redis-server and redis-tools (redis-benchmark, redis-cli): the redis section;
# openssl: the tls section's certificate (req). linux-perf: bench/profile.sh (perf record, report, script).
TRACELOOP_BENCH_PACKAGES=(runc busybox-static strace bpftool jq curl redis-server redis-tools openssl linux-perf)

traceloop_need_root() {
	if [ "$(id -u)" -ne 0 ]; then
		echo "$1 needs root (eBPF, cgroups and containers): run it with sudo" >&2
		exit 1
	fi
}

traceloop_install() {
	local missing=()
	for p in "$@"; do
		dpkg-query -W -f='${Status}' "$p" 2>/dev/null | grep -q "install ok installed" || missing+=("$p")
	done
	if [ ${#missing[@]} -gt 0 ]; then
		command -v apt-get >/dev/null || { echo "missing packages (${missing[*]}) and no apt-get: install them by hand" >&2; exit 1; }
		echo "installing: ${missing[*]}" >&2
		# Lists may be missing or stale on a fresh machine: update once, then install.
		apt-get update -qq
		DEBIAN_FRONTEND=noninteractive apt-get install -y -qq --no-install-recommends "${missing[@]}" >/dev/null || {
			echo "could not install ${missing[*]} with apt-get: install them by hand and retry" >&2
			exit 1
		}
	fi
	if ! command -v dotnet >/dev/null; then
		echo "the .NET 10 SDK is missing: trying the distribution's package" >&2
		apt-get update -qq
		DEBIAN_FRONTEND=noninteractive apt-get install -y -qq dotnet-sdk-10.0 >/dev/null 2>&1 || {
			echo "could not install dotnet-sdk-10.0 with apt; install the .NET 10 SDK (https://dot.net) and retry" >&2
			exit 1
		}
	fi
}

if [ "${BASH_SOURCE[0]}" = "$0" ]; then
	traceloop_need_root "prereqs.sh"
	traceloop_install "${TRACELOOP_BUILD_PACKAGES[@]}" "${TRACELOOP_TEST_PACKAGES[@]}"
fi
