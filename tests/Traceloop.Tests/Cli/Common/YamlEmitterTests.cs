using System.Globalization;
using System.Text.Json;
using Traceloop.Api;
using Traceloop.Cli.Common.Presentation;
using Traceloop.Tests.Api;
using YamlDotNet.Core;
using YamlDotNet.RepresentationModel;

namespace Traceloop.Tests.Cli.Common;

/// <summary>The YAML of -o yaml, read back by a real YAML parser and compared value by value with the JSON it came from.</summary>
public sealed class YamlEmitterTests
{
    [Fact]
    public void Containers_RoundTrip()
    {
        List<ContainerInfo> containers = [ApiSamples.FullContainer(), ApiSamples.SparseContainer()];
        AssertRoundTrips(JsonSerializer.SerializeToElement(containers, TraceloopJson.Context.ListContainerInfo));
    }

    [Fact]
    public void SavedDumps_RoundTrip()
    {
        List<SavedDumpInfo> dumps =
        [
            new() { Id = "20260505T120000123Z-0123456789ab", Container = ApiSamples.FullContainer(), Trigger = ApiSamples.FullTrigger(), TakenAt = ApiSamples.T0, Events = 3, SizeBytes = 99 },
            new() { Id = "x", Corrupt = true, Error = "bad: \"quoted\"\nsecond line", TakenAt = ApiSamples.T0 },
        ];
        AssertRoundTrips(JsonSerializer.SerializeToElement(dumps, TraceloopJson.Context.ListSavedDumpInfo));
    }

    [Theory]
    [InlineData("true")]
    [InlineData("No")]
    [InlineData("null")]
    [InlineData("~")]
    [InlineData("")]
    [InlineData("123")]
    [InlineData("0x1f")]
    [InlineData("1e3")]
    [InlineData(".inf")]
    [InlineData("-.5")]
    [InlineData("12:30")]
    [InlineData("a: b")]
    [InlineData("x #comment")]
    [InlineData("- item")]
    [InlineData("{a}")]
    [InlineData("[1]")]
    [InlineData("*alias")]
    [InlineData("&anchor")]
    [InlineData("!tag")]
    [InlineData("'single'")]
    [InlineData("\"double\"")]
    [InlineData("back\\slash")]
    [InlineData("tab\there")]
    [InlineData(" leading")]
    [InlineData("trailing ")]
    [InlineData("multi\nline")]
    [InlineData("bell\u0007 del\u007f c1\u0085 bom\ufeff ls\u2028")]
    [InlineData("emoji \ud83d\ude00 and é")]
    [InlineData("registry.example/checkout:1.2")]
    [InlineData("app.kubernetes.io/name")]
    [InlineData("%percent")]
    [InlineData("@at")]
    [InlineData("`tick")]
    [InlineData("|literal")]
    [InlineData(">folded")]
    [InlineData("?question")]
    [InlineData("plain words-and_things")]
    public void AwkwardStrings_StayStrings(string value)
    {
        var json = new Dictionary<string, string> { [value] = value };
        AssertRoundTrips(JsonSerializer.SerializeToElement(json, YamlTestJson.Default.DictionaryStringString));
    }

    [Fact]
    public void LoneSurrogates_AreEscaped() =>
        Assert.Equal("\"lone \\ud800 surrogate\"", YamlEmitter.Quote("lone \ud800 surrogate"));

    [Fact]
    public void Layout_IsKubectlStyle()
    {
        using JsonDocument doc = JsonDocument.Parse("""{"items":[{"id":"a","labels":{"app":"web"},"count":1},{"id":"b","empty":{},"none":[]}],"ok":true,"nothing":null}""");
        Assert.Equal(
            "items:\n" +
            "- id: a\n" +
            "  labels:\n" +
            "    app: web\n" +
            "  count: 1\n" +
            "- id: b\n" +
            "  empty: {}\n" +
            "  none: []\n" +
            "ok: true\n" +
            "nothing: null\n", YamlEmitter.ToYaml(doc.RootElement));
    }

    [Fact]
    public void NestedSequences_AndTopLevelScalars()
    {
        using JsonDocument doc = JsonDocument.Parse("""[[1,[2,"3"]],[],"s",{"k":[[]]}]""");
        AssertRoundTrips(doc.RootElement);
        using JsonDocument empty = JsonDocument.Parse("[]");
        Assert.Equal("[]\n", YamlEmitter.ToYaml(empty.RootElement));
    }

    private static void AssertRoundTrips(JsonElement json)
    {
        string yaml = YamlEmitter.ToYaml(json);
        var stream = new YamlStream();
        stream.Load(new StringReader(yaml));
        Assert.Single(stream.Documents);
        AssertSame(json, stream.Documents[0].RootNode, "$", yaml);
    }

    private static void AssertSame(JsonElement json, YamlNode yaml, string path, string text)
    {
        string where = $"{path} in:\n{text}";
        switch (json.ValueKind)
        {
            case JsonValueKind.Object:
                var mapping = Assert.IsType<YamlMappingNode>(yaml, exactMatch: false);
                Assert.True(json.EnumerateObject().Count() == mapping.Children.Count, where);
                foreach (JsonProperty p in json.EnumerateObject())
                {
                    KeyValuePair<YamlNode, YamlNode> entry = mapping.Children.Single(c => ScalarString(c.Key) == p.Name);
                    AssertSame(p.Value, entry.Value, path + "." + p.Name, text);
                }
                break;
            case JsonValueKind.Array:
                var sequence = Assert.IsType<YamlSequenceNode>(yaml, exactMatch: false);
                Assert.True(json.GetArrayLength() == sequence.Children.Count, where);
                int i = 0;
                foreach (JsonElement item in json.EnumerateArray())
                {
                    AssertSame(item, sequence.Children[i], $"{path}[{i}]", text);
                    i++;
                }
                break;
            case JsonValueKind.String:
                Assert.True(json.GetString() == ScalarString(yaml), where);
                break;
            case JsonValueKind.Number:
                var number = Assert.IsType<YamlScalarNode>(yaml, exactMatch: false);
                Assert.True(number.Style == ScalarStyle.Plain, where);
                Assert.True(double.Parse(number.Value!, CultureInfo.InvariantCulture) == json.GetDouble(), where);
                break;
            default:
                var scalar = Assert.IsType<YamlScalarNode>(yaml, exactMatch: false);
                Assert.True(scalar.Style == ScalarStyle.Plain, where);
                Assert.True(json.ValueKind switch { JsonValueKind.True => "true", JsonValueKind.False => "false", _ => "null" } == scalar.Value, where);
                break;
        }
    }

    /// <summary>The scalar's string value, failing when a YAML 1.1 or 1.2 resolver would read a plain scalar as a bool, null or number.</summary>
    private static string ScalarString(YamlNode node)
    {
        var scalar = Assert.IsType<YamlScalarNode>(node, exactMatch: false);
        if (scalar.Style == ScalarStyle.Plain)
        {
            string v = scalar.Value!;
            Assert.DoesNotMatch(@"^(?i:y|n|yes|no|true|false|on|off|null|~|)$", v);
            Assert.DoesNotMatch(@"^[-+.]?[0-9.]", v);
            Assert.DoesNotMatch(@"^[-+]?\.(?i:inf|nan)$", v);
        }
        return scalar.Value!;
    }
}

[System.Text.Json.Serialization.JsonSerializable(typeof(Dictionary<string, string>))]
internal sealed partial class YamlTestJson : System.Text.Json.Serialization.JsonSerializerContext;
