using Traceloop.Cli;

using var cancel = new CancellationTokenSource();
Console.CancelKeyPress += (_, e) =>
{
    e.Cancel = true;
    cancel.Cancel();
};
return (int)await CliApp.RunAsync(args, CliConsole.FromProcess(), cancel.Token).ConfigureAwait(false);
