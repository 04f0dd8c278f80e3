Console.Error.WriteLine("kubectl-traceloop: building");
return 2;
