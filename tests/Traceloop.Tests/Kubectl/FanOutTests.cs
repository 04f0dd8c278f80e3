using Kubectl.Traceloop;
using Kubectl.Traceloop.Agents;
using Traceloop.Cli.Common;

namespace Traceloop.Tests.Kubectl;

public sealed class FanOutTests
{
    [Fact]
    public async Task AtMostEightAgentsAreAskedAtOnce_AndEveryOneIsAsked()
    {
        AgentPod[] agents = [.. Enumerable.Range(0, 30).Select(i => Agent($"node-{i:00}"))];
        int running = 0, peak = 0;
        FanOutResult<string> result = await FanOut.RunAsync(agents, async (agent, ct) =>
        {
            int now = Interlocked.Increment(ref running);
            InterlockedMax(ref peak, now);
            await Task.Delay(20, ct);
            Interlocked.Decrement(ref running);
            return agent.Node;
        }, CancellationToken.None);
        Assert.Equal(agents.Select(a => a.Node), result.Answers.Select(a => a.Value));
        Assert.InRange(peak, 2, FanOut.Parallelism);
    }

    [Fact]
    public async Task AFailedNode_IsAWarning_AndThePartialResultIsKept()
    {
        FanOutResult<string> result = await FanOut.RunAsync([Agent("node-a"), Agent("node-b")], (agent, _) =>
            agent.Node == "node-b"
                ? throw new AgentException("agent on node node-b unreachable: error dialing backend", AgentFailure.Unreachable)
                : Task.FromResult("rows"), CancellationToken.None);
        var error = new StringWriter();
        Assert.Equal(ExitCode.Partial, result.Report(error));
        Assert.Equal("rows", Assert.Single(result.Answers).Value);
        Assert.Equal("warning: node node-b: agent on node node-b unreachable: error dialing backend\n", error.ToString().ReplaceLineEndings("\n"));
    }

    [Fact]
    public async Task RbacRefusal_IsFatal_EvenIfAnotherNodeAnswered()
    {
        FanOutResult<string> result = await FanOut.RunAsync([Agent("node-a"), Agent("node-b")], (agent, _) =>
            agent.Node == "node-b"
                ? throw new AgentException("forbidden: you need create on pods/exec", AgentFailure.Forbidden)
                : Task.FromResult("rows"), CancellationToken.None);
        var e = Assert.Throws<AgentException>(() => result.Report(TextWriter.Null));
        Assert.StartsWith("forbidden:", e.Message, StringComparison.Ordinal);
    }

    [Fact]
    public async Task WhenNoNodeAnswers_ItIsAFailure()
    {
        FanOutResult<string> result = await FanOut.RunAsync<string>([Agent("node-a"), Agent("node-b")], (agent, _) =>
            throw new AgentException($"agent on node {agent.Node} unreachable: x", AgentFailure.Unreachable), CancellationToken.None);
        var error = new StringWriter();
        var e = Assert.Throws<PluginException>(() => result.Report(error));
        Assert.Equal("none of the 2 Traceloop agents answered", e.Message);
        Assert.Equal(ExitCode.Failed, e.ExitCode);
        Assert.Equal(2, error.ToString().Split('\n', StringSplitOptions.RemoveEmptyEntries).Length);
    }

    [Fact]
    public async Task AllAnswered_IsOk()
    {
        FanOutResult<int> result = await FanOut.RunAsync([Agent("node-a")], (_, _) => Task.FromResult(1), CancellationToken.None);
        var error = new StringWriter();
        Assert.Equal(ExitCode.Success, result.Report(error));
        Assert.Empty(error.ToString());
    }

    private static AgentPod Agent(string node) => new($"traceloop-{node}", node, "Running", RecorderRunning: true);

    private static void InterlockedMax(ref int target, int value)
    {
        int current;
        while ((current = Volatile.Read(ref target)) < value && Interlocked.CompareExchange(ref target, value, current) != current)
        {
        }
    }
}
