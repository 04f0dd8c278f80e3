using System.Net.Http;
using Traceloop.Api;
using Traceloop.Cli.Common.Export;
using Traceloop.Api.MessagePack;

namespace Traceloop.Cli;

/// <summary>
/// Writes a dump to standard output or a file: text, json and msgpack pass through as the
/// recorder streams them; perfetto is made here from the msgpack dump.
/// </summary>
internal static class DumpOutput
{
    /// <param name="open">Sends the request for the dump in the wire format it is given.</param>
    public static async Task WriteAsync(CliConsole console, string? file, string format,
        Func<string, CancellationToken, Task<HttpResponseMessage>> open, CancellationToken ct)
    {
        if (format == "msgpack" && file is null && console.OutputIsTerminal)
        {
            throw new CliException("refusing to write binary MessagePack to a terminal: redirect standard output or use -o FILE");
        }
        bool perfetto = format == "perfetto";
        // Ask first, so an unknown container leaves no empty file behind.
        using HttpResponseMessage response = await open(perfetto ? "msgpack" : format, ct).ConfigureAwait(false);
        await console.Out.FlushAsync(ct).ConfigureAwait(false);
        Stream output = file is null ? console.OutputStream : CreatePrivateFile(file);
        try
        {
            if (perfetto)
            {
                byte[] body = await response.Content.ReadAsByteArrayAsync(ct).ConfigureAwait(false);
                List<(DumpHeader Header, List<TraceEventDto> Events)> dumps = TraceloopMessagePack.ReadDumps(body);
                PerfettoTraceWriter.Write(output, dumps);
            }
            else
            {
                await using Stream body = await response.Content.ReadAsStreamAsync(ct).ConfigureAwait(false);
                await body.CopyToAsync(output, ct).ConfigureAwait(false);
            }
            await output.FlushAsync(ct).ConfigureAwait(false);
        }
        catch when (file is not null)
        {
            await output.DisposeAsync().ConfigureAwait(false);
            File.Delete(file);
            throw;
        }
        if (file is not null)
        {
            await output.DisposeAsync().ConfigureAwait(false);
            console.Error.WriteLine($"wrote {file}");
        }
    }

    /// <summary>A new file only its owner can read: a dump can hold what the program read or wrote.</summary>
    private static FileStream CreatePrivateFile(string path)
    {
        try
        {
            return new FileStream(path, new FileStreamOptions
            {
                Mode = FileMode.Create,
                Access = FileAccess.Write,
                UnixCreateMode = UnixFileMode.UserRead | UnixFileMode.UserWrite,
            });
        }
        catch (Exception e) when (e is IOException or UnauthorizedAccessException)
        {
            throw new CliException($"cannot write {path}: {e.Message}", ExitCode.Failed);
        }
    }
}
