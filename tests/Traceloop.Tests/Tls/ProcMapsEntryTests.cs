using Traceloop.Recorder.Tls;

namespace Traceloop.Tests.Tls;

public sealed class ProcMapsEntryTests
{
    [Fact]
    public void ParsesTheKernelsLines()
    {
        const string maps = """
            55d0c8a00000-55d0c8a02000 r--p 00000000 fd:01 1311790                    /usr/bin/openssl
            7f1c2a4b0000-7f1c2a51c000 r-xp 0001f000 fd:01 1048601                    /usr/lib/x86_64-linux-gnu/libssl.so.3
            7f1c2a600000-7f1c2a621000 rw-p 00000000 00:00 0                          [heap]
            7f1c2a700000-7f1c2a701000 r-xp 00000000 00:2e 77                         /app/my server (deleted)
            7f1c2a800000-7f1c2a801000 r-xp 00002000 103:05 12                         /opt/with space/lib.so
            7ffd1b5f0000-7ffd1b5f2000 r-xp 00000000 00:00 0                          [vdso]
            """;

        List<ProcMapsEntry> entries = ProcMapsEntry.Parse(maps, out int malformed);

        Assert.Equal(0, malformed);
        Assert.Equal(6, entries.Count);
        ProcMapsEntry libssl = entries[1];
        Assert.Equal(0x7f1c2a4b0000UL, libssl.Start);
        Assert.Equal(0x7f1c2a51c000UL, libssl.End);
        Assert.Equal(0x1f000UL, libssl.Offset);
        Assert.Equal(new FileIdentity(0xfd, 0x01, 1048601), libssl.File);
        Assert.Equal("/usr/lib/x86_64-linux-gnu/libssl.so.3", libssl.Path);
        Assert.True(libssl.Executable && libssl.IsFile);
        Assert.False(entries[0].Executable);
        Assert.False(entries[2].IsFile);
        Assert.False(entries[3].IsFile);
        Assert.Equal(new FileIdentity(0x103, 0x05, 12), entries[4].File);
        Assert.Equal("/opt/with space/lib.so", entries[4].Path);
        Assert.True(entries[4].IsFile);
        Assert.False(entries[5].IsFile);
    }

    [Fact]
    public void MalformedLinesAreCounted_AndTheRestIsRead()
    {
        const string maps = """
            7f1c2a4b0000-7f1c2a51c000 r-xp 0001f000 fd:01 1048601  /usr/lib/libssl.so.3
            not a maps line
            7f1c2a4b0000 r-xp 0001f000 fd:01 1048601  /no/range
            7f1c2a4b0000-7f1c2a51c000 r-xp 0001f000 fd01 1048601  /no/device/colon
            7f1c2a4b0000-7f1c2a51c000 r-xp 0001f000 fd:01 x  /bad/inode
            """;

        List<ProcMapsEntry> entries = ProcMapsEntry.Parse(maps, out int malformed);

        Assert.Equal(4, malformed);
        Assert.Equal("/usr/lib/libssl.so.3", Assert.Single(entries).Path);
    }
}
