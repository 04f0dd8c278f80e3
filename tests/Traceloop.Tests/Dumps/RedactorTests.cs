using System.Diagnostics;
using System.Text;
using Microsoft.Extensions.Logging.Abstractions;
using Microsoft.Extensions.Options;
using Traceloop.Recorder.Dumps;
using Traceloop.Recorder.Hosting;

namespace Traceloop.Tests.Dumps;

public sealed class RedactorTests
{
    private static Redactor Make(params string[] patterns) => new(patterns, NullLogger<Redactor>.Instance);

    private static string? Apply(Redactor redactor, string latin1) =>
        redactor.Redact(Encoding.Latin1.GetBytes(latin1), redactor.Begin()) is { } bytes ? Encoding.Latin1.GetString(bytes) : null;

    [Fact]
    public void WithoutPatternsNothingChanges()
    {
        Assert.False(Redactor.None.Enabled);
        Assert.Null(Apply(Redactor.None, "password=hunter2"));
    }

    [Fact]
    public void AValueWithoutAMatchIsLeftAsItIs()
    {
        Assert.Null(Apply(Make("hunter2"), "nothing to see"));
    }

    [Theory]
    [InlineData("password=hunter2\n", "password=<redacted>\n")]
    [InlineData("hunter2", "<redacted>")]
    [InlineData("a hunter2 b hunter2 c", "a <redacted> b <redacted> c")]
    public void EveryMatchBecomesTheMarker(string value, string expected)
    {
        Assert.Equal(expected, Apply(Make("hunter2"), value));
    }

    [Fact]
    public void OverlappingAndTouchingMatchesOfSeveralPatternsAreOneMarker()
    {
        Redactor redactor = Make("abcd", "cdef", "gh");

        // abcd and cdef overlap, gh touches them: one secret, one marker, whatever the order of the patterns.
        Assert.Equal("x<redacted>y", Apply(redactor, "xabcdefghy"));
        Assert.Equal("x<redacted>y", Apply(Make("gh", "cdef", "abcd"), "xabcdefghy"));
    }

    [Fact]
    public void APatternCannotMatchInsideAMarkerAnotherPutThere()
    {
        Assert.Equal("<redacted>", Apply(Make("secret", "red"), "secret"));
    }

    [Fact]
    public void BytesThatAreNotUtf8AreMatchedAndKeptByteForByte()
    {
        byte[] value = [0xff, 0xfe, (byte)'t', (byte)'o', (byte)'k', 0x00, 0xc3, 0x28, (byte)'x'];
        Redactor redactor = Make("tok\\x00\\xC3");

        byte[]? redacted = redactor.Redact(value, redactor.Begin());

        Assert.Equal([0xff, 0xfe, .. "<redacted>"u8.ToArray(), 0x28, (byte)'x'], redacted);
    }

    [Fact]
    public void AnchorsAreTheValuesEnds()
    {
        Assert.Equal("<redacted> b", Apply(Make("^a"), "a b"));
        Assert.Null(Apply(Make("^b"), "a b"));
    }

    [Fact]
    public void AValueLongerThanTheStackBufferIsMatchedToo()
    {
        string value = new string('x', 2000) + "hunter2" + new string('y', 1000);

        Assert.Equal(new string('x', 2000) + "<redacted>" + new string('y', 1000), Apply(Make("hunter2"), value));
    }

    [Fact]
    public void ATimeoutRedactsTheWholeValueAndIsCounted()
    {
        // Catastrophic backtracking: nested quantifiers that cannot match the '!' at the end.
        var redactor = new Redactor([@"^(\w+\s?)*$"], TimeSpan.FromMilliseconds(5), NullLogger.Instance);
        string value = new string('a', 40) + " " + new string('a', 40) + "!";
        RedactionPass pass = redactor.Begin();

        byte[]? redacted = redactor.Redact(Encoding.Latin1.GetBytes(value), pass);

        Assert.Equal("<redacted>"u8.ToArray(), redacted);
        Assert.Equal(1, pass.TimedOut);
        Assert.Equal(1, redactor.Timeouts);
    }

    [Fact]
    public void AfterSomeTimeoutsTheRestOfTheDumpIsRedactedWholeWithoutMatching()
    {
        var redactor = new Redactor([@"^(\w+\s?)*$"], TimeSpan.FromMilliseconds(5), NullLogger.Instance);
        byte[] slow = Encoding.Latin1.GetBytes(new string('a', 40) + " " + new string('a', 40) + "!");
        RedactionPass pass = redactor.Begin();
        for (int i = 0; i < Redactor.TimeoutsPerPass; i++)
        {
            redactor.Redact(slow, pass);
        }

        var clock = Stopwatch.StartNew();
        for (int i = 0; i < 1000; i++)
        {
            Assert.Equal("<redacted>"u8.ToArray(), redactor.Redact(slow, pass));
        }

        Assert.True(pass.GaveUp);
        Assert.Equal(Redactor.TimeoutsPerPass, redactor.Timeouts);
        // 1000 values at 5 ms each would take 5 s: none of them was matched.
        Assert.True(clock.Elapsed < TimeSpan.FromSeconds(2), $"{clock.Elapsed}");
        // Even innocent values: fail closed.
        Assert.Equal("<redacted>"u8.ToArray(), redactor.Redact("ok!"u8, pass));
        // A new dump matches again.
        Assert.Null(redactor.Redact("ok!"u8, redactor.Begin()));
    }

    [Theory]
    [InlineData("(", "is not a valid regular expression")]
    [InlineData("[a-", "is not a valid regular expression")]
    [InlineData("", "is empty")]
    [InlineData("a*", "matches the empty string")]
    public void AnUnusablePatternIsRefusedAtStartWithOneSentence(string pattern, string reason)
    {
        ValidateOptionsResult result = new RecorderOptionsValidator().Validate(null, new RecorderOptions { Redact = ["ok", pattern] });

        Assert.True(result.Failed);
        string failure = Assert.Single(result.Failures!);
        Assert.StartsWith($"Redact pattern '{pattern}' {reason}", failure, StringComparison.Ordinal);
        Assert.DoesNotContain('\n', failure);
    }

    [Fact]
    public void UsablePatternsAreValid()
    {
        ValidateOptionsResult result = new RecorderOptionsValidator().Validate(null, new RecorderOptions { Redact = ["hunter2", @"(?i)authorization: \S+", @"\d{16}"] });

        Assert.True(result.Succeeded, result.FailureMessage);
    }

    [Fact]
    public void RepeatedSwitchesBecomeListEntriesThatAddToTheFilesList()
    {
        string[] args = RedactArguments.Expand(["--socket", "/s", "--redact", "a", "--redact=--b=c", "--redact", "--reset"], out string? error);

        Assert.Null(error);
        Assert.Equal(["--socket", "/s", "--Redact:command-line-0=a", "--Redact:command-line-1=--b=c", "--Redact:command-line-2=--reset"], args);
    }

    [Fact]
    public void ASwitchWithoutAPatternIsAnError()
    {
        RedactArguments.Expand(["--redact"], out string? error);

        Assert.Equal("--redact needs a regular expression after it", error);
    }
}
