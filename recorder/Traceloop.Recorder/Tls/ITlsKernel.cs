using System.Threading.Channels;

namespace Traceloop.Recorder.Tls;

/// <summary>
/// What the TLS service needs from the kernel: the exec notices of recorded containers, and
/// uprobes attached and detached per file. <see cref="LibbpfTlsKernel"/> does it with the loaded
/// (or taken over) BPF programs; unit tests use a double, so what to probe and when is tested
/// without root.
/// </summary>
internal interface ITlsKernel : IDisposable
{
    /// <summary>Exec notices, once <see cref="StartNotices"/> ran; the reader is the TLS service alone.</summary>
    ChannelReader<ExecNotice> ExecNotices { get; }

    /// <summary>Notices lost: the kernel had no room in its ring, or the service fell behind.</summary>
    long ExecNoticesDropped { get; }

    /// <summary>Files probed now.</summary>
    int AttachedFiles { get; }

    /// <summary>Uprobes in place now, over all files.</summary>
    int AttachedProbes { get; }

    /// <summary>The files probed now.</summary>
    IReadOnlyList<FileIdentity> Attached { get; }

    bool IsAttached(FileIdentity file);

    /// <summary>Starts reading exec notices; before this (and with --tls off, ever) the kernel's ring fills and counts its drops.</summary>
    void StartNotices();

    TlsAttachResult AttachOpenSsl(OpenSslLibrary library);

    TlsAttachResult AttachGo(FileIdentity file, string hostPath, GoTlsProbeSites sites);

    bool Detach(FileIdentity file);
}
