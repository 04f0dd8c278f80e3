# The Traceloop agent image: traceloop-recorder (the node daemon) and traceloop (the node CLI,
# which the DaemonSet's probes and `kubectl traceloop` run inside the pod).
#   docker build -t traceloop:0.1.0 .        (from the repository root; deploy/ expects this name)
# The build stage runs scripts/build-release.sh, the script CI runs without Docker, so the two
# cannot build differently. Both stages are Debian 12: the Native AOT binaries link against the
# build stage's glibc, which must not be newer than the runtime's.

FROM debian:bookworm AS build
# clang, llvm, make and libbpf-dev compile the eBPF object; clang and zlib1g-dev also link the
# Native AOT binaries; the rest is what the .NET SDK itself needs.
RUN apt-get update \
 && DEBIAN_FRONTEND=noninteractive apt-get install -y --no-install-recommends \
      clang llvm make libbpf-dev linux-libc-dev gcc libc6-dev zlib1g-dev \
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

FROM debian:bookworm-slim
# libbpf1 is loaded by the recorder (P/Invoke); libssl3 and ca-certificates serve its TLS to
# the API server; zlib1g is libbpf's.
RUN apt-get update \
 && DEBIAN_FRONTEND=noninteractive apt-get install -y --no-install-recommends libbpf1 zlib1g libssl3 ca-certificates \
 && rm -rf /var/lib/apt/lists/*
COPY --from=build /out/traceloop-recorder /out/traceloop /usr/local/bin/
LABEL org.opencontainers.image.title="traceloop" \
      org.opencontainers.image.description="Always-on syscall flight recorder for Kubernetes nodes"
# Root inside the pod; its power is the capabilities the DaemonSet grants (deploy/base/daemonset.yaml).
USER 0
ENTRYPOINT ["/usr/local/bin/traceloop-recorder"]
