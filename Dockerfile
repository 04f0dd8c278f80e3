# The Traceloop image: traceloop-recorder (the node daemon), traceloop (the node CLI, which the
# DaemonSet's probes run) and traceloop-gateway (the cluster API behind the API server).
#   docker build -t traceloop:0.1.0 .        (from the repository root; deploy/ expects this name)
# The build stage runs scripts/build-release.sh, the script CI runs without Docker, so the two
# cannot build differently. The script also assembles the final file system, rootfs/: the
# binaries, exactly the shared libraries they load (from this Debian 12 stage, the glibc they
# were linked against), and the CA certificates. The final stage is that and nothing else: no
# shell and no package manager, so there is nothing to exec into.

FROM debian:bookworm AS build
# clang, llvm, make and libbpf-dev compile the eBPF object; clang and zlib1g-dev also link the
# Native AOT binaries; libbpf1, zlib1g, libssl3 and ca-certificates are copied into the rootfs;
# the rest is what the .NET SDK itself needs.
RUN apt-get update \
 && DEBIAN_FRONTEND=noninteractive apt-get install -y --no-install-recommends \
      clang llvm make libbpf-dev libbpf1 linux-libc-dev gcc libc6-dev zlib1g-dev \
      ca-certificates curl libssl3 libstdc++6 libgssapi-krb5-2 \
 && rm -rf /var/lib/apt/lists/*
ENV DOTNET_CLI_TELEMETRY_OPTOUT=1 DOTNET_NOLOGO=1 DOTNET_SYSTEM_GLOBALIZATION_INVARIANT=1
RUN curl -fsSL https://dot.net/v1/dotnet-install.sh -o /tmp/dotnet-install.sh \
 && bash /tmp/dotnet-install.sh --channel 10.0 --install-dir /usr/share/dotnet \
 && ln -s /usr/share/dotnet/dotnet /usr/local/bin/dotnet \
 && rm /tmp/dotnet-install.sh
WORKDIR /src
COPY . .
RUN scripts/build-release.sh --out /out

FROM scratch
COPY --from=build /out/rootfs /
LABEL org.opencontainers.image.title="traceloop" \
      org.opencontainers.image.description="Always-on syscall flight recorder for Kubernetes nodes"
# Non-root unless a manifest says otherwise: the gateway's Deployment runs as this user; the
# DaemonSet runs the recorder as root with CAP_BPF and CAP_PERFMON only (docs/DEPLOY.md says
# why it needs root). Each manifest names its command, so the entrypoint is the default only.
USER 65532:65532
ENTRYPOINT ["/usr/local/bin/traceloop-recorder"]
