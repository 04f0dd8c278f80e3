using System.Text.Json;
using Traceloop.Api;

namespace Traceloop.Tests.Api;

public sealed class JsonRoundTripTests
{
    public static TheoryData<int> EventIndexes() => new(Enumerable.Range(0, ApiSamples.AllEvents().Length));

    [Theory]
    [MemberData(nameof(EventIndexes))]
    public void EventsReadBackFieldByField(int index)
    {
        TraceEventDto expected = ApiSamples.AllEvents()[index];

        string json = JsonSerializer.Serialize(expected, TraceloopJson.Context.TraceEventDto);
        TraceEventDto? actual = JsonSerializer.Deserialize(json, TraceloopJson.Context.TraceEventDto);

        Assert.NotNull(actual);
        ApiSamples.Equal(expected, actual);
    }

    [Fact]
    public void AHeaderReadsBackFieldByField()
    {
        DumpHeader expected = ApiSamples.FullHeader(3);

        string json = JsonSerializer.Serialize(expected, TraceloopJson.Context.DumpHeader);
        DumpHeader? actual = JsonSerializer.Deserialize(json, TraceloopJson.Context.DumpHeader);

        Assert.NotNull(actual);
        ApiSamples.Equal(expected, actual);
    }

    [Fact]
    public void AContainerListReadsBack()
    {
        List<ContainerInfo> expected = [ApiSamples.FullContainer(), ApiSamples.SparseContainer()];

        string json = JsonSerializer.Serialize(expected, TraceloopJson.Context.ListContainerInfo);
        List<ContainerInfo>? actual = JsonSerializer.Deserialize(json, TraceloopJson.Context.ListContainerInfo);

        Assert.NotNull(actual);
        Assert.Equal(2, actual.Count);
        ApiSamples.Equal(expected[0], actual[0]);
        ApiSamples.Equal(expected[1], actual[1]);
    }

    [Fact]
    public void EnumsAreWrittenAsTheirNames()
    {
        using JsonDocument doc = JsonDocument.Parse(JsonSerializer.Serialize(ApiSamples.ProcessExitEvent(), TraceloopJson.Context.TraceEventDto));

        Assert.Equal(JsonValueKind.String, doc.RootElement.GetProperty("kind").ValueKind);
        Assert.Equal("ProcessExit", doc.RootElement.GetProperty("kind").GetString());
        Assert.Equal("Complete", doc.RootElement.GetProperty("completion").GetString());

        TraceEventDto? read = JsonSerializer.Deserialize("""{"kind":"Syscall","completion":"ExitLost","nr":3}""", TraceloopJson.Context.TraceEventDto);
        Assert.Equal((TraceEventKind.Syscall, SyscallCompletion.ExitLost, 3), (read!.Kind, read.Completion, read.Nr));
    }

    [Fact]
    public void PropertiesAreCamelCaseAndNullsAreOmitted()
    {
        using JsonDocument doc = JsonDocument.Parse(JsonSerializer.Serialize(ApiSamples.SparseEvent(), TraceloopJson.Context.TraceEventDto));

        Assert.Equal(
            ["completion", "kind", "nr", "pid", "seq", "tid", "timestampNs"],
            doc.RootElement.EnumerateObject().Select(p => p.Name).Order(StringComparer.Ordinal));
    }

    [Fact]
    public void ApostrophesAndPlusSignsAreNotEscaped()
    {
        string json = JsonSerializer.Serialize(ApiSamples.OpenatEvent(), TraceloopJson.Context.TraceEventDto);

        Assert.Contains("it's a+b", json, StringComparison.Ordinal);
        Assert.DoesNotContain("\\u0027", json, StringComparison.OrdinalIgnoreCase);
        Assert.DoesNotContain("\\u002B", json, StringComparison.OrdinalIgnoreCase);
        // Quotes, backslashes and control characters are still escaped: the JSON stays valid.
        Assert.Contains("\\\"/it's a+b\\\\n\\\"...", json, StringComparison.Ordinal);
    }

    [Fact]
    public void PayloadsAreBase64AndTimesAreIso8601()
    {
        using JsonDocument evt = JsonDocument.Parse(JsonSerializer.Serialize(ApiSamples.OpenatEvent(), TraceloopJson.Context.TraceEventDto));
        using JsonDocument header = JsonDocument.Parse(JsonSerializer.Serialize(ApiSamples.FullHeader(0), TraceloopJson.Context.DumpHeader));

        Assert.Equal(Convert.ToBase64String([0x2f, 0x69, 0x00, 0xff, 0x0a]), evt.RootElement.GetProperty("args")[1].GetProperty("payload").GetString());
        Assert.Equal("2024-05-06T12:08:04.1234567+00:00", header.RootElement.GetProperty("takenAt").GetString());
        Assert.Equal(18446744073709551615UL, evt.RootElement.GetProperty("args")[3].GetProperty("raw").GetUInt64());
    }
}
