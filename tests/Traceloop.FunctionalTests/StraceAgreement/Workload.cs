using Traceloop.FunctionalTests.Containers;

namespace Traceloop.FunctionalTests.StraceAgreement;

/// <summary>
/// One program of the agreement corpus: a static C program compiled for the busybox rootfs, or a busybox command line.
/// Each is deterministic and makes a few dozen to a few hundred syscalls.
/// </summary>
internal sealed record Workload(string Name, string Covers, IReadOnlyList<string> Args, string? CSource = null, int ExpectedExit = 0)
{
    /// <summary>Where a C workload's binary lives inside the container.</summary>
    public string? BinaryPath => CSource is null ? null : $"/usr/local/bin/agree-{Name}";

    /// <summary>Every workload has a network namespace of its own, with only loopback up.</summary>
    public ContainerSpec Spec => new() { Args = CSource is null ? Args : [BinaryPath!, .. Args] };

    public async Task InstallAsync(CancellationToken ct)
    {
        if (CSource is not null)
        {
            string binary = await StaticBinary.CompileAsync(CSource, ct);
            BusyboxRootfs.Shared.CopyIn(binary, BinaryPath!);
        }
    }

    public override string ToString() => Name;
}
