using System.Buffers;
using System.Collections;
using System.Globalization;
using System.Reflection;
using MessagePack;
using Traceloop.Api;
using Traceloop.Api.MessagePack;

namespace Traceloop.Tests.Api;

/// <summary>
/// The MessagePack formatters are written by hand (Native AOT): every [Key] property must be
/// written at its index and read back. A property added to the contract and forgotten in its
/// formatter fails here, not in a user's saved dump.
/// </summary>
public sealed class MessagePackKeyCoverageTests
{
    [Fact]
    public void EveryKeyOfContainerInfo_IsWrittenAndReadBack()
    {
        ContainerInfo expected = ApiSamples.FullContainer();
        var buffer = new ArrayBufferWriter<byte>();
        var writer = new MessagePackWriter(buffer);
        ContainerInfoFormatter.Write(ref writer, expected);
        writer.Flush();

        var reader = new MessagePackReader(buffer.WrittenMemory);
        Assert.Equal(MaxKey<ContainerInfo>() + 1, reader.ReadArrayHeader());
        reader = new MessagePackReader(buffer.WrittenMemory);
        AssertEveryKey(expected, ContainerInfoFormatter.Read(ref reader)!);
    }

    [Fact]
    public void EveryKeyOfTraceEventDto_IsWrittenAndReadBack_BySomeSample()
    {
        TraceEventDto[] samples = ApiSamples.AllEvents();
        foreach (PropertyInfo p in Keyed<TraceEventDto>())
        {
            Assert.True(samples.Any(e => !IsDefault(p.GetValue(e))), $"no sample event sets {p.Name}: the round trip cannot check it");
        }
        foreach (TraceEventDto expected in samples)
        {
            var buffer = new ArrayBufferWriter<byte>();
            var writer = new MessagePackWriter(buffer);
            TraceEventFormatter.Write(ref writer, expected);
            writer.Flush();
            var reader = new MessagePackReader(buffer.WrittenMemory);
            Assert.Equal(MaxKey<TraceEventDto>() + 1, reader.ReadArrayHeader());
            reader = new MessagePackReader(buffer.WrittenMemory);
            AssertEveryKey(expected, TraceEventFormatter.Read(ref reader)!, requireSet: false);
        }
    }

    private static void AssertEveryKey<T>(T expected, T actual, bool requireSet = true)
    {
        foreach (PropertyInfo p in Keyed<T>())
        {
            object? e = p.GetValue(expected), a = p.GetValue(actual);
            if (requireSet)
            {
                Assert.False(IsDefault(e), $"the sample leaves {typeof(T).Name}.{p.Name} unset: the round trip cannot check it");
            }
            Assert.True(Text(e) == Text(a), $"{typeof(T).Name}.{p.Name}: wrote {Text(e)}, read back {Text(a)}");
        }
    }

    private static IEnumerable<PropertyInfo> Keyed<T>() =>
        typeof(T).GetProperties().Where(p => p.GetCustomAttribute<KeyAttribute>() is not null);

    private static int MaxKey<T>() => Keyed<T>().Max(p => p.GetCustomAttribute<KeyAttribute>()!.IntKey!.Value);

    private static bool IsDefault(object? value) => value switch
    {
        null => true,
        string s => s.Length == 0,
        ICollection c => c.Count == 0,
        bool b => !b,
        _ => value.Equals(Activator.CreateInstance(value.GetType())),
    };

    // Times travel as Unix ns; lists and dictionaries compare by their elements.
    private static string Text(object? value) => value switch
    {
        null => "null",
        DateTimeOffset t => t.ToUnixTimeMilliseconds().ToString(CultureInfo.InvariantCulture) + "." + (t.Ticks % TimeSpan.TicksPerMillisecond).ToString(CultureInfo.InvariantCulture),
        IDictionary<string, string> d => string.Join(",", d.OrderBy(kv => kv.Key).Select(kv => kv.Key + "=" + kv.Value)),
        byte[] b => Convert.ToHexString(b),
        SyscallArg[] args => string.Join("|", args.Select(x => $"{x.Name}:{x.Raw}:{x.Text}:{(x.Payload is null ? "null" : Convert.ToHexString(x.Payload))}:{x.Truncated}")),
        TlsPlaintext t => $"{t.Direction}:{t.Library}:{t.Fd}:{t.Result}:{(t.Data is null ? "null" : Convert.ToHexString(t.Data))}:{t.Truncated}",
        HttpMessage h => $"{h.Type}:{h.Role}:{h.Method}:{h.Path}:{h.PathTruncated}:{h.Status}:{h.Reason}:{h.LatencyNs}:{h.Fd}",
        TcpStateChange t => $"{t.Socket}:{t.OldState}:{t.NewState}:{t.LocalAddress}:{t.LocalPort}:{t.RemoteAddress}:{t.RemotePort}",
        IFormattable f => f.ToString(null, CultureInfo.InvariantCulture),
        _ => value.ToString() ?? "",
    };
}
