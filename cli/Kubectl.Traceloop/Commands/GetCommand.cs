using System.CommandLine;
using Kubectl.Traceloop.Agents;
using Kubectl.Traceloop.Kube;
using Kubectl.Traceloop.Output;
using Traceloop.Cli.Common;

namespace Kubectl.Traceloop.Commands;

/// <summary>
/// <c>kubectl traceloop get DUMP-ID [--node N] [-o text|json|perfetto]</c>: a saved dump. Ids
/// are unique per node only, so without --node every agent is asked and the one that has it answers.
/// </summary>
internal static class GetCommand
{
    public static Command Create(CliConsole console)
    {
        var id = new Argument<string>("dump-id") { Description = "A dump id, as `kubectl traceloop crashes` lists it" };
        var node = new Option<string?>("--node") { Description = "The node that holds the dump (default: ask every agent)" };
        Option<string> output = PluginOptions.DumpOutput();
        var command = new Command("get", "Print a saved dump") { id, node, output };
        PluginApp.SetAction(command, console, async (result, ct) =>
        {
            string dumpId = result.GetValue(id)!;
            if (dumpId.Length == 0 || dumpId.Any(ch => !(char.IsAsciiLetterOrDigit(ch) || ch is '-' or '_' or '.' or '~')))
            {
                throw new PluginException($"{dumpId} is not a dump id: ids are letters, digits, '-', '_', '.' and '~'", ExitCode.Usage);
            }
            using KubeSession session = KubeSession.Open(PluginOptions.Settings(result));
            var locator = new AgentLocator(session);
            var api = new AgentApi(session);
            string format = result.GetValue(output)!;
            string path = $"/dumps/{Uri.EscapeDataString(dumpId)}?format={DumpOutput.WireFormat(format)}";
            byte[] body;
            ExitCode code = ExitCode.Success;
            if (result.GetValue(node) is { } nodeName)
            {
                body = await api.GetAsync(await locator.OnNodeAsync(nodeName, ct).ConfigureAwait(false), path, ct).ConfigureAwait(false);
            }
            else
            {
                IReadOnlyList<AgentPod> agents = await locator.AllAsync(ct).ConfigureAwait(false);
                FanOutResult<byte[]> answers = await FanOut.RunAsync(agents, (agent, token) => api.GetAsync(agent, path, token), ct).ConfigureAwait(false);
                // "Not here" is the expected answer from every node but one.
                var failures = answers.Failures.Where(f => f.Error is not { Failure: AgentFailure.RecorderError, HttpStatus: 404 }).ToList();
                if (answers.Answers.Count == 0)
                {
                    if (failures.Count == 0)
                    {
                        throw new PluginException($"dump {dumpId} not found on any of the {agents.Count} nodes");
                    }
                    if (failures.FirstOrDefault(f => f.Error.Failure == AgentFailure.Forbidden) is { } forbidden)
                    {
                        throw forbidden.Error;
                    }
                    foreach (NodeFailure failure in failures)
                    {
                        console.Error.WriteLine($"warning: node {failure.Agent.Node}: {failure.Error.Message}");
                    }
                    throw new PluginException(
                        $"dump {dumpId} not found: {agents.Count - failures.Count} of {agents.Count} nodes answered without it, {failures.Count} did not answer");
                }
                code = new FanOutResult<byte[]>(answers.Answers, failures).Report(console.Error);
                body = answers.Answers[0].Value;
            }
            await DumpOutput.WriteAsync(console, format, body, ct).ConfigureAwait(false);
            return code;
        });
        return command;
    }
}
