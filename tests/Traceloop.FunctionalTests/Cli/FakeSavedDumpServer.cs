using System.Buffers;
using System.Collections.Concurrent;
using Microsoft.AspNetCore.Builder;
using Microsoft.AspNetCore.Hosting;
using Microsoft.AspNetCore.Http;
using Microsoft.Extensions.Logging;
using Traceloop.Api;
using Traceloop.Api.MessagePack;

namespace Traceloop.FunctionalTests.Cli;

/// <summary>
/// The saved-dump routes of the node API (<c>/dumps</c>, snapshots), served in-process on a
/// temporary Unix socket with the contract's shapes and errors, so the CLI's side is tested
/// while the recorder's is being written. It remembers each request line for assertions.
/// </summary>
internal sealed class FakeSavedDumpServer : IAsyncDisposable
{
    public static readonly DateTimeOffset Now = DateTimeOffset.UtcNow;
    public const string CrashId = "20260505T120000123Z-0123456789ab";
    public const string CorruptId = "20260505T110000000Z-ffffffffffff";

    private readonly WebApplication _app;
    private readonly string _dir;
    private readonly ConcurrentDictionary<string, SavedDumpInfo> _dumps = new();

    private FakeSavedDumpServer(WebApplication app, string dir)
    {
        _app = app;
        _dir = dir;
    }

    public string SocketPath => Path.Join(_dir, "traceloop.sock");

    public ConcurrentQueue<string> Requests { get; } = new();

    public static ContainerInfo App => new()
    {
        Id = "3f2a9c1b0d8e7f6a5b4c3d2e1f0a9b8c7d6e5f4a3b2c1d0e9f8a7b6c5d4e3f2a",
        CgroupPath = "/kubepods/besteffort/podx/3f2a",
        Namespace = "shop",
        Pod = "checkout",
        Container = "app",
        MainPid = 4242,
        FirstSeen = Now.AddMinutes(-10),
    };

    public static async Task<FakeSavedDumpServer> StartAsync()
    {
        string dir = Directory.CreateTempSubdirectory("traceloop-fake-").FullName;
        WebApplicationBuilder builder = WebApplication.CreateSlimBuilder();
        builder.Logging.ClearProviders();
        builder.WebHost.ConfigureKestrel(k => k.ListenUnixSocket(Path.Join(dir, "traceloop.sock")));
        WebApplication app = builder.Build();
        var server = new FakeSavedDumpServer(app, dir);
        server.Seed();
        server.Map(app);
        await app.StartAsync();
        return server;
    }

    private void Seed()
    {
        _dumps[CrashId] = new SavedDumpInfo
        {
            Id = CrashId,
            Container = App,
            Trigger = new DumpTrigger { Kind = DumpTriggerKinds.Signal, Signal = 11, SignalName = "SIGSEGV", CoreDumped = true, Pid = 4242 },
            TakenAt = Now.AddMinutes(-3),
            Events = 3,
            SizeBytes = 2560,
            TraceloopVersion = "0.1.0",
        };
        _dumps[CorruptId] = new SavedDumpInfo { Id = CorruptId, TakenAt = Now.AddHours(-2), Corrupt = true, Error = "the dump is truncated: 1 of 3 events", SizeBytes = 40 };
    }

    private void Map(WebApplication app)
    {
        app.Use(async (context, next) =>
        {
            Requests.Enqueue($"{context.Request.Method} {context.Request.Path}{context.Request.QueryString}");
            await next(context);
        });
        app.MapGet("/dumps", () => TypedResults.Json(_dumps.Values.OrderByDescending(d => d.TakenAt).ToList(), TraceloopJson.Context.ListSavedDumpInfo));
        app.MapGet("/dumps/{id}", (string id, string? format) =>
        {
            if (!_dumps.TryGetValue(id, out SavedDumpInfo? info))
            {
                return NotFound($"no saved dump has id '{id}'; GET /dumps lists them");
            }
            if (info.Corrupt)
            {
                return Problem(422, "Unprocessable Entity", $"saved dump '{id}' cannot be read: {info.Error}");
            }
            (DumpHeader header, List<TraceEventDto> events) = Dump(info);
            return format switch
            {
                "text" or null => Results.Text(string.Join('\n', events.Select(e => e.Text)) + "\n", "text/plain"),
                "msgpack" => Results.Bytes(MessagePackDump(header, events), "application/x-msgpack"),
                _ => Problem(400, "Bad Request", $"format '{format}' is not one of text, json, msgpack"),
            };
        });
        app.MapDelete("/dumps/{id}", (string id) => _dumps.TryRemove(id, out _) ? Results.NoContent() : NotFound($"no saved dump has id '{id}'; GET /dumps lists them"));
        app.MapPost("/containers/{id}/snapshot", (string id) =>
        {
            if (!App.Id.StartsWith(id, StringComparison.Ordinal))
            {
                return NotFound($"no recorded container has id '{id}'; GET /containers lists them");
            }
            SavedDumpInfo saved = Save(App);
            return Results.Json(saved, TraceloopJson.Context.SavedDumpInfo, statusCode: 201);
        });
        app.MapPost("/pods/{ns}/{pod}/snapshot", (string ns, string pod, string? container) =>
        {
            if (ns != App.Namespace || pod != App.Pod || (container is not null && container != App.Container))
            {
                return NotFound($"no recorded container belongs to pod {ns}/{pod}");
            }
            return Results.Json(new List<SavedDumpInfo> { Save(App) }, TraceloopJson.Context.ListSavedDumpInfo, statusCode: 201);
        });
    }

    private SavedDumpInfo Save(ContainerInfo container)
    {
        var info = new SavedDumpInfo
        {
            Id = $"{DateTimeOffset.UtcNow:yyyyMMdd'T'HHmmssfff'Z'}-{Guid.NewGuid().ToString("N")[..12]}",
            Container = container,
            Trigger = new DumpTrigger { Kind = DumpTriggerKinds.Manual },
            TakenAt = DateTimeOffset.UtcNow,
            Events = 3,
            SizeBytes = 1234,
        };
        _dumps[info.Id] = info;
        return info;
    }

    public bool Holds(string id) => _dumps.ContainsKey(id);

    private static (DumpHeader, List<TraceEventDto>) Dump(SavedDumpInfo info)
    {
        long t0 = (info.TakenAt.AddSeconds(-1).UtcTicks - DateTimeOffset.UnixEpoch.UtcTicks) * 100;
        List<TraceEventDto> events =
        [
            new() { Kind = TraceEventKind.Syscall, TimestampNs = t0, Pid = 4242, Tid = 4242, Comm = "app", Nr = 257, Name = "openat",
                Args = [new SyscallArg { Name = "dfd", Text = "AT_FDCWD" }, new SyscallArg { Name = "filename", Text = "\"/etc/app.conf\"" }],
                Ret = 3, DurationNs = 4_500, Completion = SyscallCompletion.Complete, Seq = 1,
                Text = "openat(AT_FDCWD, \"/etc/app.conf\", O_RDONLY) = 3 <0.000005>" },
            new() { Kind = TraceEventKind.Signal, TimestampNs = t0 + 10_000, Pid = 4242, Tid = 4242, Comm = "app", Nr = 11, Name = "SIGSEGV", Seq = 2,
                Text = "--- SIGSEGV {si_signo=SIGSEGV, si_code=SEGV_MAPERR, si_addr=NULL} ---" },
            new() { Kind = TraceEventKind.ProcessExit, TimestampNs = t0 + 20_000, Pid = 4242, Tid = 4242, Comm = "app", ExitStatus = 11 | 0x80, ProcessEnded = true, Seq = 3,
                Text = "+++ killed by SIGSEGV (core dumped) +++" },
        ];
        var header = new DumpHeader
        {
            Container = info.Container!,
            TakenAt = info.TakenAt,
            WindowStart = info.TakenAt.AddSeconds(-1),
            WindowEnd = info.TakenAt.AddSeconds(-1).AddTicks(200),
            Events = events.Count,
            TraceloopVersion = "0.1.0",
            Trigger = info.Trigger,
            DumpId = info.Id,
        };
        return (header, events);
    }

    private static byte[] MessagePackDump(DumpHeader header, List<TraceEventDto> events)
    {
        var buffer = new ArrayBufferWriter<byte>();
        TraceloopMessagePack.WriteHeader(buffer, header);
        foreach (TraceEventDto e in events)
        {
            TraceloopMessagePack.WriteEvent(buffer, e);
        }
        return buffer.WrittenSpan.ToArray();
    }

    private static IResult NotFound(string detail) => Problem(404, "Not Found", detail);

    private static IResult Problem(int status, string title, string detail) =>
        Results.Json(new ApiError { Title = title, Status = status, Detail = detail }, TraceloopJson.Context.ApiError, "application/problem+json", status);

    public async ValueTask DisposeAsync()
    {
        await _app.StopAsync();
        await _app.DisposeAsync();
        Directory.Delete(_dir, recursive: true);
    }
}
