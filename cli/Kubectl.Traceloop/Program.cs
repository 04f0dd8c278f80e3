using Kubectl.Traceloop;
using Traceloop.Cli.Common;

return await PluginApp.RunAsync(args, CliConsole.FromProcess(autoFlush: true));
