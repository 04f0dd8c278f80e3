using BenchmarkDotNet.Running;
using Traceloop.Bench.Decoding;

if (args.Contains("--quick-redaction"))
{
    RedactionBenchmarks.Quick();
    return;
}

// Records per second = DecodingBenchmarks.Records / the mean time of a benchmark.
BenchmarkRunner.Run([typeof(DecodingBenchmarks), typeof(RedactionBenchmarks)], args: args);
