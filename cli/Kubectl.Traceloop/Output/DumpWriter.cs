using Traceloop.Api;
using Traceloop.Cli.Common.Export;
using Traceloop.Api.MessagePack;

namespace Kubectl.Traceloop.Output;

/// <summary>
/// The dump formats of <c>-o</c>: text and json are what the recorder sends, passed through
/// byte for byte; perfetto is made here from the recorder's MessagePack dump.
/// </summary>
internal static class DumpWriter
{
    /// <summary>The format to ask the recorder for.</summary>
    public static string WireFormat(string output) => output == "perfetto" ? "msgpack" : output;

    public static async Task WriteAsync(PluginConsole console, string output, byte[] body, CancellationToken ct)
    {
        await console.Out.FlushAsync(ct).ConfigureAwait(false);
        if (output == "perfetto")
        {
            List<(DumpHeader Header, List<TraceEventDto> Events)> dumps;
            try
            {
                dumps = TraceloopMessagePack.ReadDumps(body);
            }
            catch (MessagePack.MessagePackSerializationException e)
            {
                throw new PluginException($"the agent sent a dump that cannot be read: {e.Message}", PluginExitCode.Failed, e);
            }
            PerfettoTraceWriter.Write(console.OutputStream, dumps);
        }
        else
        {
            await console.OutputStream.WriteAsync(body, ct).ConfigureAwait(false);
        }
        await console.OutputStream.FlushAsync(ct).ConfigureAwait(false);
    }
}
