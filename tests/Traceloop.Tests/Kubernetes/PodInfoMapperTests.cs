using Traceloop.Recorder.Kubernetes;

namespace Traceloop.Tests.Kubernetes;

public sealed class PodInfoMapperTests
{
    [Fact]
    public void APodsIdentityLabelsAndNodeAreKept()
    {
        PodInfo pod = PodInfoMapper.FromPod(PodSamples.Parse(PodSamples.RestartedWithDebugger))!;

        Assert.Equal("shop", pod.Namespace);
        Assert.Equal("checkout-7c9d8f6b5-x2x8q", pod.Name);
        Assert.Equal("shop/checkout-7c9d8f6b5-x2x8q", pod.FullName);
        Assert.Equal("a3b9e4f2-6c1d-4e8a-9b7f-2d5c8e1a0f63", pod.Uid);
        Assert.Equal("worker-3", pod.NodeName);
        Assert.Equal("Running", pod.Phase);
        Assert.Equal("4815162342", pod.ResourceVersion);
        Assert.Equal(new Dictionary<string, string> { ["app"] = "checkout", ["pod-template-hash"] = "7c9d8f6b5" }, pod.Labels);
    }

    [Fact]
    public void InitRegularAndEphemeralContainersAreAllKept_InRunOrder_WithTheirKind()
    {
        PodInfo pod = PodInfoMapper.FromPod(PodSamples.Parse(PodSamples.RestartedWithDebugger))!;

        Assert.Equal(
            [("migrate", ContainerKind.Init), ("checkout", ContainerKind.Regular), ("envoy", ContainerKind.Regular), ("debugger-x7k2p", ContainerKind.Ephemeral)],
            pod.Containers.Select(c => (c.Name, c.Kind)));
        Assert.Equal([PodSamples.InitId, PodSamples.MainId, PodSamples.SidecarId, PodSamples.DebugId], pod.Containers.Select(c => c.ContainerId));
        // The image as the spec asked for it, not as the runtime resolved it.
        Assert.Equal("envoyproxy/envoy:v1.31.0", pod.Containers[2].Image);
        Assert.Equal("busybox:1.36", pod.Containers[3].Image);
    }

    [Fact]
    public void ARestartedContainer_KeepsHowItsPreviousInstanceEnded()
    {
        PodInfo pod = PodInfoMapper.FromPod(PodSamples.Parse(PodSamples.RestartedWithDebugger))!;
        ContainerMeta main = pod.Containers.Single(c => c.Name == "checkout");

        Assert.Equal(3, main.RestartCount);
        Assert.Null(main.Terminated);
        ContainerTermination last = Assert.IsType<ContainerTermination>(main.LastTerminated);
        Assert.Equal(137, last.ExitCode);
        Assert.Equal(9, last.Signal);
        Assert.Equal("Error", last.Reason);
        Assert.Equal(PodSamples.PreviousMainId, last.ContainerId);
        Assert.Equal(new DateTimeOffset(2025, 3, 1, 3, 2, 10, TimeSpan.Zero).AddTicks(1234560), last.FinishedAt);
        Assert.Equal(TimeSpan.Zero, last.FinishedAt!.Value.Offset);
    }

    [Fact]
    public void ACompletedInitContainer_IsTerminatedWithItsExitCode()
    {
        PodInfo pod = PodInfoMapper.FromPod(PodSamples.Parse(PodSamples.RestartedWithDebugger))!;
        ContainerMeta init = pod.Containers[0];

        Assert.Equal(0, init.Terminated?.ExitCode);
        Assert.Equal("Completed", init.Terminated?.Reason);
        Assert.Null(init.Terminated?.Signal);
        Assert.Null(init.LastTerminated);
    }

    [Fact]
    public void APendingPod_HasItsContainersWithoutIds()
    {
        PodInfo pod = PodInfoMapper.FromPod(PodSamples.Parse(PodSamples.Pending))!;

        Assert.Null(pod.NodeName);
        Assert.Empty(pod.Labels);
        ContainerMeta work = Assert.Single(pod.Containers);
        Assert.Equal(("work", null, "busybox:1.36", 0, ContainerKind.Regular), (work.Name, work.ContainerId, work.Image, work.RestartCount, work.Kind));
    }

    [Fact]
    public void AnObjectWithoutUidNameOrNamespace_IsNotAPod()
    {
        Assert.Null(PodInfoMapper.FromPod(new Pod { Metadata = new ObjectMeta { Name = "x", Namespace = "y" } }));
        Assert.Null(PodInfoMapper.FromPod(new Pod { Metadata = new ObjectMeta { Uid = "u", Namespace = "y" } }));
        Assert.Null(PodInfoMapper.FromPod(new Pod { Metadata = new ObjectMeta { Uid = "u", Name = "x" } }));
        Assert.Null(PodInfoMapper.FromPod(new Pod()));
    }
}
