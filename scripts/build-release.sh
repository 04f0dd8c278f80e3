#!/usr/bin/env bash
# Builds what the container image ships: the eBPF object (embedded in the recorder) and the
# Native AOT binaries traceloop-recorder, traceloop, traceloop-gateway (when the gateway project
# is in the tree) and kubectl-traceloop, into DIR (default artifacts/release). Then it assembles
# DIR/rootfs/, the image's whole file system: the in-image binaries, exactly the shared
# libraries they load (what ldd lists, plus what they dlopen: libbpf, zlib, OpenSSL for .NET's
# TLS, and those libraries' own dependencies and the loader) and the CA certificates; no shell,
# no package manager. DIR/rootfs.files lists it. The Dockerfile's build stage runs exactly this
# script and its final stage is `FROM scratch` + that rootfs, and CI runs it without Docker, so
# the image cannot be built differently from what CI tested.
# Needs clang, make, libbpf-dev, zlib1g-dev, libssl3 and ca-certificates (scripts/prereqs.sh
# installs them) and the .NET 10 SDK.
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

for tool in clang make dotnet ldd ldconfig; do
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

# The binaries the image carries; kubectl-traceloop is built for users' machines, not the image.
image_binaries=(traceloop-recorder traceloop)
projects=(recorder/Traceloop.Recorder:traceloop-recorder cli/Traceloop.Cli:traceloop cli/Kubectl.Traceloop:kubectl-traceloop)
if [ -d "$root/gateway/Traceloop.Gateway" ]; then
	image_binaries+=(traceloop-gateway)
	projects+=(gateway/Traceloop.Gateway:traceloop-gateway)
fi

make -s -C "$root/bpf"
built=()
for project in "${projects[@]}"; do
	dir="${project%%:*}" name="${project##*:}"
	echo "publishing $name ($rid, Native AOT)" >&2
	dotnet publish "$root/$dir" -c Release -r "$rid" -o "$publish/$name" -nologo -v quiet -clp:ErrorsOnly
	install -m 0755 "$publish/$name/$name" "$out/$name"
	built+=("$name")
done
echo "built into $out: ${built[*]}" >&2

# Libraries loaded with dlopen, which ldd cannot see: libbpf (the recorder's P/Invoke), zlib
# (.NET's compression), OpenSSL (.NET's TLS and certificates, loaded on first use).
dlopened=(libbpf.so.1 libz.so.1 libssl.so.3 libcrypto.so.3)

rootfs="$out/rootfs"
rm -rf "$rootfs" "$out/rootfs.files"
mkdir -p "$rootfs/usr/local/bin" "$rootfs/tmp"
chmod 1777 "$rootfs/tmp"
for name in "${image_binaries[@]}"; do
	install -m 0755 "$out/$name" "$rootfs/usr/local/bin/$name"
done

# The path a soname resolves to on this machine, from the loader's cache. awk reads to the end
# (no early exit): under pipefail, ldconfig killed by SIGPIPE would end the script.
resolve_soname() {
	ldconfig -p | awk -v so="$1" '!found && $1 == so && /x86-64|AArch64/ { print $NF; found = 1 }'
}
# Every library a file needs, loader included, as the absolute paths ldd resolves.
needed_by() {
	ldd "$1" | awk '/=> \// { print $3 } /^\t\/[^ ]+ \(/ { print $1 }'
}
# Copies a library under the path the loader looks for (dereferencing the soname symlink).
add_library() {
	local path="$1"
	[ -e "$rootfs$path" ] && return 0
	mkdir -p "$rootfs$(dirname "$path")"
	cp -L "$path" "$rootfs$path"
	chmod 0644 "$rootfs$path"
	# The loader itself must stay executable.
	case "$(basename "$path")" in ld-linux*) chmod 0755 "$rootfs$path" ;; esac
}
libraries=()
for name in "${image_binaries[@]}"; do
	mapfile -t -O "${#libraries[@]}" libraries < <(needed_by "$out/$name")
done
for soname in "${dlopened[@]}"; do
	path="$(resolve_soname "$soname")"
	[ -n "$path" ] || { echo "build-release.sh: $soname is not installed (scripts/prereqs.sh installs the build packages)" >&2; exit 1; }
	libraries+=("$path")
	mapfile -t -O "${#libraries[@]}" libraries < <(needed_by "$path")
done
for path in "${libraries[@]}"; do
	add_library "$path"
done

# CA certificates, where OpenSSL (and so .NET) looks by default on Debian.
bundle=/etc/ssl/certs/ca-certificates.crt
test -f "$bundle" || { echo "build-release.sh: $bundle is missing (ca-certificates)" >&2; exit 1; }
mkdir -p "$rootfs/etc/ssl/certs" "$rootfs/usr/lib/ssl"
install -m 0644 "$bundle" "$rootfs$bundle"
ln -s "$bundle" "$rootfs/usr/lib/ssl/cert.pem"
ln -s /etc/ssl/certs "$rootfs/usr/lib/ssl/certs"

(cd "$rootfs" && find . \( -type f -o -type l \) -printf '/%P\n' | LC_ALL=C sort) >"$out/rootfs.files"
echo "assembled $rootfs ($(wc -l <"$out/rootfs.files") files, listed in $out/rootfs.files)" >&2
