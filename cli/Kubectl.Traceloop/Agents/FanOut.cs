using System.Collections.Concurrent;
using Traceloop.Cli.Common;

namespace Kubectl.Traceloop.Agents;

/// <summary>One agent's answer to a cluster-wide call.</summary>
internal sealed record NodeAnswer<T>(AgentPod Agent, T Value);

/// <summary>One agent that did not answer, and why.</summary>
internal sealed record NodeFailure(AgentPod Agent, AgentException Error);

/// <summary>
/// Asks every agent at once, at most <see cref="Parallelism"/> at a time so a large cluster
/// does not open hundreds of exec streams through the API server; an agent that fails is
/// recorded, never fatal to the others.
/// </summary>
internal static class FanOut
{
    public const int Parallelism = 8;

    public static async Task<FanOutResult<T>> RunAsync<T>(IReadOnlyList<AgentPod> agents,
        Func<AgentPod, CancellationToken, Task<T>> call, CancellationToken ct, int parallelism = Parallelism)
    {
        var answers = new ConcurrentBag<NodeAnswer<T>>();
        var failures = new ConcurrentBag<NodeFailure>();
        await Parallel.ForEachAsync(agents, new ParallelOptions { MaxDegreeOfParallelism = parallelism, CancellationToken = ct },
            async (agent, token) =>
            {
                try
                {
                    answers.Add(new NodeAnswer<T>(agent, await call(agent, token).ConfigureAwait(false)));
                }
                catch (AgentException e)
                {
                    failures.Add(new NodeFailure(agent, e));
                }
            }).ConfigureAwait(false);
        return new FanOutResult<T>(
            [.. answers.OrderBy(a => a.Agent.Node, StringComparer.Ordinal)],
            [.. failures.OrderBy(f => f.Agent.Node, StringComparer.Ordinal)]);
    }
}

/// <summary>What a fan-out got: the answers, and the agents that failed.</summary>
internal sealed record FanOutResult<T>(IReadOnlyList<NodeAnswer<T>> Answers, IReadOnlyList<NodeFailure> Failures)
{
    /// <summary>
    /// Throws when nothing answered (RBAC first: it is the same refusal on every node), else
    /// prints one warning per failed node and says whether the result is partial.
    /// </summary>
    public ExitCode Report(TextWriter error)
    {
        if (Failures.FirstOrDefault(f => f.Error.Failure == AgentFailure.Forbidden) is { } forbidden)
        {
            throw forbidden.Error;
        }
        if (Answers.Count == 0 && Failures.Count > 0)
        {
            if (Failures.Count == 1)
            {
                throw Failures[0].Error;
            }
            foreach (NodeFailure failure in Failures)
            {
                error.WriteLine($"warning: node {failure.Agent.Node}: {failure.Error.Message}");
            }
            throw new PluginException($"none of the {Failures.Count} Traceloop agents answered");
        }
        foreach (NodeFailure failure in Failures)
        {
            error.WriteLine($"warning: node {failure.Agent.Node}: {failure.Error.Message}");
        }
        return Failures.Count > 0 ? ExitCode.Partial : ExitCode.Success;
    }
}
