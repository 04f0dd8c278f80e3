using Kubectl.Traceloop;

return await PluginApp.RunAsync(args, PluginConsole.ForProcess());
