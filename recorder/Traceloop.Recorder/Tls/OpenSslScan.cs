namespace Traceloop.Recorder.Tls;

/// <summary>What one process's scan found: its OpenSSL files, the files it could not read (with reasons) and maps lines that did not parse.</summary>
internal sealed record OpenSslScan(IReadOnlyList<OpenSslLibrary> Libraries, IReadOnlyList<string> Skipped, int MalformedLines);
