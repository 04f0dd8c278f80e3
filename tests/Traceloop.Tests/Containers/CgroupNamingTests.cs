using Traceloop.Recorder.Containers;

namespace Traceloop.Tests.Containers;

public sealed class CgroupNamingTests
{
    private const string Id = "3f2a9c1b0d8e7f6a5b4c3d2e1f0a9b8c7d6e5f4a3b2c1d0e9f8a7b6c5d4e3f2a";
    private const string PodUid = "8d1b2c3e-4f5a-6b7c-8d9e-0f1a2b3c4d5e";
    private const string PodUidUnderscores = "8d1b2c3e_4f5a_6b7c_8d9e_0f1a2b3c4d5e";

    [Theory]
    [InlineData("/kubepods/besteffort/pod" + PodUid + "/" + Id, PodUid, "cri")]
    [InlineData("/kubepods/burstable/pod" + PodUid + "/" + Id, PodUid, "cri")]
    [InlineData("/kubepods/pod" + PodUid + "/" + Id, PodUid, "cri")] // guaranteed QoS has no class level
    [InlineData("/kubepods.slice/kubepods-burstable.slice/kubepods-burstable-pod" + PodUidUnderscores + ".slice/cri-containerd-" + Id + ".scope", PodUid, "containerd")]
    [InlineData("/kubepods.slice/kubepods-besteffort.slice/kubepods-besteffort-pod" + PodUidUnderscores + ".slice/crio-" + Id + ".scope", PodUid, "cri-o")]
    [InlineData("/kubepods.slice/kubepods-pod" + PodUidUnderscores + ".slice/cri-containerd-" + Id + ".scope", PodUid, "containerd")]
    [InlineData("/system.slice/docker-" + Id + ".scope", null, "docker")]
    [InlineData("/docker/" + Id, null, "docker")]
    [InlineData("/machine.slice/libpod-" + Id + ".scope", null, "podman")]
    [InlineData("/user.slice/user-1000.slice/user@1000.service/user.slice/libpod-" + Id + ".scope", null, "podman")]
    [InlineData("/" + Id, null, "runc")]
    public void ContainerPathsGiveIdPodAndRuntime(string path, string? podUid, string runtime)
    {
        Assert.True(CgroupNaming.TryParse(path, out ContainerIdentity identity));

        Assert.Equal(new ContainerIdentity(Id, podUid, runtime), identity);
        Assert.True(CgroupNaming.LooksLikeContainer(path));
    }

    [Theory]
    [InlineData("/")]
    [InlineData("")]
    [InlineData("/user.slice/user-0.slice/session-1.scope")]
    [InlineData("/system.slice/containerd.service")]
    [InlineData("/kubepods")]
    [InlineData("/kubepods/besteffort")]
    [InlineData("/kubepods/besteffort/pod" + PodUid)]
    [InlineData("/kubepods.slice/kubepods-burstable.slice/kubepods-burstable-pod" + PodUidUnderscores + ".slice")]
    [InlineData("/docker/" + "3F2A9C1B0D8E7F6A5B4C3D2E1F0A9B8C7D6E5F4A3B2C1D0E9F8A7B6C5D4E3F2A")] // runtimes write lower case
    [InlineData("/docker/3f2a9c1b0d8e7f6a5b4c3d2e1f0a9b8c7d6e5f4a3b2c1d0e9f8a7b6c5d4e3f2")] // 63 digits
    [InlineData("/" + Id + "/init")] // a cgroup made inside a container is not itself one
    public void OtherPathsAreNotContainers(string path)
    {
        Assert.False(CgroupNaming.TryParse(path, out _));
        Assert.False(CgroupNaming.LooksLikeContainer(path));
    }

    [Fact]
    public void TheContainerIdIsTheHexRunNotTheWrapper()
    {
        Assert.True(CgroupNaming.TryParse("/system.slice/cri-containerd-" + Id + ".scope", out ContainerIdentity identity));

        Assert.Equal(64, identity.Id.Length);
        Assert.Equal(Id, identity.Id);
    }
}
