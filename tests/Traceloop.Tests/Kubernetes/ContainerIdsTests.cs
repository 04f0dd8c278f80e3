using Traceloop.Recorder.Kubernetes;

namespace Traceloop.Tests.Kubernetes;

public sealed class ContainerIdsTests
{
    private const string Id = "4f3a9c0d1e2b3a4c5d6e7f8091a2b3c4d5e6f708192a3b4c5d6e7f8091a2b3c4";

    [Theory]
    [InlineData("containerd://" + Id)]
    [InlineData("cri-o://" + Id)]
    [InlineData("docker://" + Id)]
    [InlineData("cri-dockerd://" + Id)]
    [InlineData(Id)]
    public void TheRuntimePrefixIsDropped(string reported)
    {
        Assert.Equal(Id, ContainerIds.Normalize(reported));
    }

    [Fact]
    public void IdsAreLowercased_AsCgroupsNameThem()
    {
        Assert.Equal(Id, ContainerIds.Normalize("containerd://" + Id.ToUpperInvariant()));
    }

    [Theory]
    [InlineData(null)]
    [InlineData("")]
    [InlineData("   ")]
    [InlineData("containerd://")]
    public void AContainerThatHasNotStarted_HasNoId(string? reported)
    {
        Assert.Null(ContainerIds.Normalize(reported));
    }
}
