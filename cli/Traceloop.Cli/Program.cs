// The command tree is built in the CLI's own files; this skeleton only reserves the project.
Console.Error.WriteLine("traceloop: no commands yet");
return 2;
