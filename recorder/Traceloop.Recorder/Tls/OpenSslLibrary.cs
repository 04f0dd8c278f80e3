namespace Traceloop.Recorder.Tls;

/// <summary>
/// A file mapped by a process that defines OpenSSL's <c>SSL_write</c>: a libssl, or a binary with
/// OpenSSL or BoringSSL linked in statically. <see cref="HostPath"/> reaches it from the host
/// through <c>/proc/&lt;pid&gt;/root</c>, so a container image's own libssl is the one probed.
/// <see cref="Functions"/> lists which of SSL_write, SSL_read, SSL_write_ex and SSL_read_ex it
/// defines, by name, with each one's file offset.
/// </summary>
internal sealed record OpenSslLibrary(FileIdentity File, string MappedPath, string HostPath, bool IsLibSsl, IReadOnlyList<OpenSslFunction> Functions);

/// <summary>An OpenSSL function a file defines, and the file offset of its entry (where its uprobe goes).</summary>
internal readonly record struct OpenSslFunction(string Name, long FileOffset);
