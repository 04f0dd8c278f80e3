using Traceloop.Recorder.Bpf;

namespace Traceloop.Tests.Bpf;

/// <summary>A pinned state is taken over only when it is exactly what this recorder would load, and the reason names what differs.</summary>
public sealed class PinnedMetaTests
{
    private static readonly byte[] Image = [1, 2, 3, 4];

    private static KernelProbesConfig Config(int ringSize = 1 << 20, int maxBytes = 64, int slots = 128) =>
        new(ringSize, slots, slots * 8, 256, new Dictionary<int, tl_syscall_captures>(), MaxBytes: maxBytes);

    [Fact]
    public void TheSameObjectAndSettingsMayBeTakenOver() =>
        Assert.Null(PinnedMeta.Compare(PinnedMeta.Expected(Image, Config()), PinnedMeta.Expected(Image, Config())));

    [Fact]
    public void AnotherRecordFormatIsNamed()
    {
        tl_meta found = PinnedMeta.Expected(Image, Config());
        found.format_version = 99;

        Assert.Equal("its rings hold record format 99 and this recorder reads format 2", PinnedMeta.Compare(found, PinnedMeta.Expected(Image, Config())));
        Assert.False(PinnedMeta.Readable(found, PinnedMeta.Expected(Image, Config())));
    }

    [Fact]
    public void AStateOfTheSingleRingFormatIsNeitherTakenOverNorRead()
    {
        // Format 1 rings have one head in the ring header and no sub-rings: read as format 2
        // they would be garbage, so such a state is discarded unread.
        tl_meta found = PinnedMeta.Expected(Image, Config());
        found.format_version = 1;

        Assert.Equal("its rings hold record format 1 and this recorder reads format 2", PinnedMeta.Compare(found, PinnedMeta.Expected(Image, Config())));
        Assert.False(PinnedMeta.Readable(found, PinnedMeta.Expected(Image, Config())));
    }

    [Fact]
    public void TheSubRingSplitIsPartOfTheBuild()
    {
        // Programs split for 2 CPUs write where rings split for 4 would not look.
        Assert.Equal("it was loaded from other programs or with other capture or trigger settings",
            PinnedMeta.Compare(PinnedMeta.Expected(Image, Config() with { Cpus = 2 }), PinnedMeta.Expected(Image, Config() with { Cpus = 4 })));
    }

    [Fact]
    public void TheTlsPlaintextLimitIsPartOfTheBuild() =>
        Assert.Equal("it was loaded from other programs or with other capture or trigger settings",
            PinnedMeta.Compare(PinnedMeta.Expected(Image, Config() with { MaxTlsBytes = 64 }), PinnedMeta.Expected(Image, Config() with { MaxTlsBytes = 1024 })));

    [Fact]
    public void OtherRingsAreNamed() =>
        Assert.Equal("its rings are 1024 KiB in 128 slots and this recorder is set to 256 KiB in 128",
            PinnedMeta.Compare(PinnedMeta.Expected(Image, Config()), PinnedMeta.Expected(Image, Config(ringSize: 1 << 18))));

    [Theory]
    [InlineData(true)]
    [InlineData(false)]
    public void OtherProgramsOrCaptureSettingsAreRefusedButReadable(bool otherProgram)
    {
        tl_meta found = PinnedMeta.Expected(Image, Config());
        tl_meta expected = otherProgram ? PinnedMeta.Expected([1, 2, 3, 5], Config()) : PinnedMeta.Expected(Image, Config(maxBytes: 128));

        Assert.Equal("it was loaded from other programs or with other capture or trigger settings", PinnedMeta.Compare(found, expected));
        Assert.True(PinnedMeta.Readable(found, expected));
    }
}
