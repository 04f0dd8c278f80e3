using System.Net;
using System.Text.Json;
using Traceloop.Recorder.Kubernetes;

namespace Traceloop.Tests.Kubernetes;

public sealed class PodWatchStreamTests
{
    [Theory]
    [InlineData("ADDED", "Added")]
    [InlineData("MODIFIED", "Modified")]
    [InlineData("DELETED", "Deleted")]
    public void PodEvents_CarryThePodAndItsResourceVersion(string type, string kind)
    {
        var expected = Enum.Parse<PodWatchEventType>(kind);
        string line = $$"""{"type":"{{type}}","object":{{PodSamples.RestartedWithDebugger.ReplaceLineEndings("")}}}""";

        PodWatchEvent e = PodWatchStream.Parse(line)!;

        Assert.Equal(expected, e.Type);
        Assert.Equal("checkout-7c9d8f6b5-x2x8q", e.Pod?.Metadata?.Name);
        Assert.Equal("4815162342", e.ResourceVersion);
    }

    [Fact]
    public void ABookmark_CarriesOnlyAResourceVersion()
    {
        PodWatchEvent e = PodWatchStream.Parse("""{"type":"BOOKMARK","object":{"kind":"Pod","apiVersion":"v1","metadata":{"resourceVersion":"12746","creationTimestamp":null},"spec":{"containers":null},"status":{}}}""")!;

        Assert.Equal(PodWatchEventType.Bookmark, e.Type);
        Assert.Equal("12746", e.ResourceVersion);
        Assert.Null(e.Pod);
    }

    [Fact]
    public void AnError_CarriesTheStatusCodeReasonAndMessage()
    {
        PodWatchEvent e = PodWatchStream.Parse("""{"type":"ERROR","object":{"kind":"Status","apiVersion":"v1","metadata":{},"status":"Failure","message":"too old resource version: 5 (100)","reason":"Expired","code":410}}""")!;

        Assert.Equal(PodWatchEventType.Error, e.Type);
        KubernetesApiException error = e.Error!;
        Assert.True(error.IsGone);
        Assert.Equal(HttpStatusCode.Gone, error.Status);
        Assert.Equal("Expired", error.Reason);
        Assert.Equal("too old resource version: 5 (100)", error.ServerMessage);
    }

    [Fact]
    public void AnUnknownEventType_IsSkipped()
    {
        Assert.Null(PodWatchStream.Parse("""{"type":"SOMETHING-NEW","object":{}}"""));
    }

    [Theory]
    [InlineData("""{"type":"ADDED","object":{"kind":"Pod","metadata":{"na""")]
    [InlineData("""[1,2]""")]
    [InlineData("""{"object":{}}""")]
    [InlineData("""{"type":"ADDED","object":"x"}""")]
    public void ALineThatIsNotAWatchEvent_IsAnError(string line)
    {
        Assert.ThrowsAny<JsonException>(() => PodWatchStream.Parse(line));
    }

    [Fact]
    public async Task AStream_YieldsEventsInOrder_SkippingBlankLines_AndEndsWithNull()
    {
        string body = """
            {"type":"BOOKMARK","object":{"kind":"Pod","apiVersion":"v1","metadata":{"resourceVersion":"1"}}}

            {"type":"BOOKMARK","object":{"kind":"Pod","apiVersion":"v1","metadata":{"resourceVersion":"2"}}}

            """;
        using var response = new HttpResponseMessage(HttpStatusCode.OK);
        await using var stream = new PodWatchStream(response, new MemoryStream(System.Text.Encoding.UTF8.GetBytes(body)));
        using var cts = new CancellationTokenSource(TimeSpan.FromSeconds(5));

        Assert.Equal("1", (await stream.ReadAsync(cts.Token))?.ResourceVersion);
        Assert.Equal("2", (await stream.ReadAsync(cts.Token))?.ResourceVersion);
        Assert.Null(await stream.ReadAsync(cts.Token));
    }

    [Fact]
    public void ARefusalsStatusBody_GivesTheServersReasonAndMessage_AndOtherBodiesTheirText()
    {
        KubernetesApiException status = PodApiClient.FromStatus(HttpStatusCode.Forbidden,
            """{"kind":"Status","apiVersion":"v1","metadata":{},"status":"Failure","message":"pods is forbidden: User \"x\" cannot list resource \"pods\"","reason":"Forbidden","code":403}""");
        KubernetesApiException html = PodApiClient.FromStatus(HttpStatusCode.BadGateway, "<html>502 Bad Gateway</html>");
        KubernetesApiException empty = PodApiClient.FromStatus(HttpStatusCode.ServiceUnavailable, "");

        Assert.Equal(("Forbidden", "pods is forbidden: User \"x\" cannot list resource \"pods\""), (status.Reason, status.ServerMessage));
        Assert.Equal((null, "<html>502 Bad Gateway</html>"), (html.Reason, html.ServerMessage));
        Assert.Equal("ServiceUnavailable", empty.ServerMessage);
        Assert.StartsWith("403 Forbidden: pods is forbidden", status.Message, StringComparison.Ordinal);
    }
}
