using Traceloop.Cli;
using Traceloop.Cli.Common;

using var cancel = new CancellationTokenSource();
Console.CancelKeyPress += (_, e) =>
{
    e.Cancel = true;
    cancel.Cancel();
};
ExitCode code = await CliApp.RunAsync(args, CliConsole.FromProcess(), cancel.Token).ConfigureAwait(false);
return code.ToNodeStatus();
