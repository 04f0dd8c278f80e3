using BenchmarkDotNet.Running;
using Traceloop.Bench.Decoding;

// Records per second = DecodingBenchmarks.Records / the mean time of a benchmark.
BenchmarkRunner.Run<DecodingBenchmarks>(args: args);
