using System.Net.Http;
using Traceloop.Api;
using Traceloop.Api.MessagePack;
using Traceloop.Cli.Common.Export;

namespace Traceloop.Cli.Common;

/// <summary>
/// Writes a dump to standard output or a file: text, json and msgpack pass through byte for
/// byte as the recorder sends them; perfetto is made here from the recorder's MessagePack dump.
/// </summary>
public static class DumpOutput
{
    /// <summary>The format to ask the recorder for.</summary>
    public static string WireFormat(string format) => format == "perfetto" ? "msgpack" : format;

    /// <summary>The node CLI: asks the recorder, then writes its answer to standard output or <paramref name="file"/>.</summary>
    /// <param name="open">Sends the request for the dump in the wire format it is given.</param>
    public static async Task WriteAsync(CliConsole console, string? file, string format,
        Func<string, CancellationToken, Task<HttpResponseMessage>> open, CancellationToken ct)
    {
        if (format == "msgpack" && file is null && console.OutputIsTerminal)
        {
            throw new CommandException("refusing to write binary MessagePack to a terminal: redirect standard output or use -o FILE", ExitCode.Usage);
        }
        // Ask first, so an unknown container leaves no empty file behind.
        using HttpResponseMessage response = await open(WireFormat(format), ct).ConfigureAwait(false);
        await using Stream body = await response.Content.ReadAsStreamAsync(ct).ConfigureAwait(false);
        await WriteAsync(console, file, format, body, ct).ConfigureAwait(false);
    }

    /// <summary>The kubectl plugin: a dump the agent already sent, to standard output.</summary>
    public static async Task WriteAsync(CliConsole console, string format, byte[] body, CancellationToken ct)
    {
        using var stream = new MemoryStream(body, writable: false);
        await WriteAsync(console, file: null, format, stream, ct).ConfigureAwait(false);
    }

    private static async Task WriteAsync(CliConsole console, string? file, string format, Stream body, CancellationToken ct)
    {
        await console.Out.FlushAsync(ct).ConfigureAwait(false);
        Stream output = file is null ? console.OutputStream : CreatePrivateFile(file);
        try
        {
            if (format == "perfetto")
            {
                using var buffer = new MemoryStream();
                await body.CopyToAsync(buffer, ct).ConfigureAwait(false);
                List<(DumpHeader Header, List<TraceEventDto> Events)> dumps = TraceloopMessagePack.ReadDumps(buffer.ToArray());
                PerfettoTraceWriter.Write(output, dumps);
            }
            else
            {
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
        var options = new FileStreamOptions { Mode = FileMode.Create, Access = FileAccess.Write };
        if (!OperatingSystem.IsWindows())
        {
            options.UnixCreateMode = UnixFileMode.UserRead | UnixFileMode.UserWrite;
        }
        try
        {
            return new FileStream(path, options);
        }
        catch (Exception e) when (e is IOException or UnauthorizedAccessException)
        {
            throw new CommandException($"cannot write {path}: {e.Message}", ExitCode.Failed);
        }
    }
}
