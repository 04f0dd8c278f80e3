// The command tree is built in the plugin's own files; this skeleton only reserves the project.
Console.Error.WriteLine("kubectl-traceloop: no commands yet");
return 2;
