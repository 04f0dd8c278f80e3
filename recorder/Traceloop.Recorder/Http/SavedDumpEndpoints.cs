using System.Globalization;
using Microsoft.AspNetCore.Builder;
using Microsoft.AspNetCore.Http;
using Microsoft.AspNetCore.Routing;
using Traceloop.Api;
using Traceloop.Recorder.Containers;
using Traceloop.Recorder.Crashes;
using Traceloop.Recorder.Dumps;
using Traceloop.Recorder.Store;

namespace Traceloop.Recorder.Http;

/// <summary>
/// The dumps kept on disk: <c>GET /dumps</c>, <c>GET /dumps/{id}</c>, <c>DELETE /dumps/{id}</c>, and
/// the manual snapshots <c>POST /containers/{id}/snapshot</c> and <c>POST /pods/{namespace}/{pod}/snapshot</c>.
/// </summary>
internal static class SavedDumpEndpoints
{
    public static IEndpointRouteBuilder MapSavedDumpEndpoints(this IEndpointRouteBuilder app)
    {
        RouteGroupBuilder dumps = app.MapGroup("/dumps");
        dumps.MapGet("/", List);
        dumps.MapGet("/{id}", Get).RequireRateLimiting(DumpConcurrency.Policy);
        dumps.MapDelete("/{id}", Delete);
        app.MapPost("/containers/{id}/snapshot", SnapshotContainer).RequireRateLimiting(DumpConcurrency.Policy);
        app.MapPost("/pods/{namespace}/{pod}/snapshot", SnapshotPod).RequireRateLimiting(DumpConcurrency.Policy);
        return app;
    }

    private static IResult List(HttpContext context, DumpStore store)
    {
        IQueryCollection q = context.Request.Query;
        string? trigger = q["trigger"];
        if (trigger is not null && trigger is not (DumpTriggerKinds.Exit or DumpTriggerKinds.Signal or DumpTriggerKinds.Oom or DumpTriggerKinds.Manual
            or DumpTriggerKinds.FatalSignal or DumpTriggerKinds.SyscallError))
        {
            return Problems.BadRequest($"trigger '{trigger}' is not one of exit, signal, oom, manual, fatal-signal, syscall-error");
        }
        DateTimeOffset? since = null;
        if (q["since"] is { Count: > 0 } sinceText)
        {
            if (!DateTimeOffset.TryParse(sinceText.ToString(), CultureInfo.InvariantCulture, DateTimeStyles.AssumeUniversal, out DateTimeOffset parsed))
            {
                return Problems.BadRequest($"since '{sinceText}' is not a date and time such as 2026-11-23T08:00:00Z");
            }
            since = parsed;
        }
        foreach (string name in (string[])["namespace", "pod", "container"])
        {
            if (q[name] is { Count: > 0 } v && string.IsNullOrEmpty(v.ToString()))
            {
                return Problems.BadRequest($"{name} must not be empty when given");
            }
        }
        return TypedResults.Ok(store.List(new SavedDumpQuery(q["namespace"], q["pod"], q["container"], trigger, since)));
    }

    private static async Task<IResult> Get(string id, HttpContext context, DumpStore store)
    {
        if (!DumpFormats.TryParse(context.Request.Query["format"], out DumpFormat format))
        {
            return Problems.BadRequest($"format '{context.Request.Query["format"]}' is not one of text, json, msgpack");
        }
        if (Unknown(id, store) is { } missing)
        {
            return missing;
        }
        DumpHeader header;
        List<TraceEventDto> events;
        try
        {
            (header, events) = store.Read(id);
        }
        catch (FileNotFoundException)
        {
            return NotFound(id); // deleted meanwhile, by DELETE or retention
        }
        catch (CorruptDumpException e)
        {
            return Problems.Problem(StatusCodes.Status422UnprocessableEntity, "Unprocessable Entity", e.Message);
        }
        catch (IOException e)
        {
            // The disk failed this read; the dump stays listed as it was, and a retry may succeed.
            context.Response.Headers.RetryAfter = "1";
            return Problems.Problem(StatusCodes.Status503ServiceUnavailable, "Service Unavailable", $"saved dump {id} could not be read now: {e.Message}");
        }
        await DumpResponses.WriteSavedAsync(context, id, header, events, format).ConfigureAwait(false);
        return Results.Empty;
    }

    private static IResult Delete(string id, DumpStore store) =>
        Unknown(id, store) ?? (store.Delete(id) ? TypedResults.NoContent() : NotFound(id));

    private static async Task<IResult> SnapshotContainer(string id, ContainerLookup lookup, DumpKeeper keeper, CancellationToken ct)
    {
        LookupOutcome found = lookup.ById(id);
        if (found.Container is not { } container)
        {
            return Problems.For(found);
        }
        SaveOutcome outcome = await keeper.KeepAsync(container, new DumpTrigger { Kind = DumpTriggerKinds.Manual }, endedPid: null, ct).ConfigureAwait(false);
        return outcome.Saved is { } saved ? TypedResults.Created($"/dumps/{saved.Id}", saved) : Refused(outcome);
    }

    private static async Task<IResult> SnapshotPod(string @namespace, string pod, HttpContext context, ContainerLookup lookup, DumpKeeper keeper, CancellationToken ct)
    {
        string? name = context.Request.Query["container"];
        List<RecordedContainer> matches = lookup.ByPod(@namespace, pod, name);
        if (matches.Count == 0)
        {
            return Problems.NotFound(ContainerLookup.NoSuchPod(@namespace, pod, name));
        }
        var saved = new List<SavedDumpInfo>(matches.Count);
        foreach (RecordedContainer c in matches)
        {
            SaveOutcome outcome = await keeper.KeepAsync(c, new DumpTrigger { Kind = DumpTriggerKinds.Manual }, endedPid: null, ct).ConfigureAwait(false);
            if (outcome.Saved is not { } info)
            {
                return Refused(outcome);
            }
            saved.Add(info);
        }
        return TypedResults.Created($"/dumps?namespace={Uri.EscapeDataString(@namespace)}&pod={Uri.EscapeDataString(pod)}", saved);
    }

    /// <summary>A 409 when the container has no ring to save, else a 507: the disk is below its floor.</summary>
    private static IResult Refused(SaveOutcome outcome) => outcome.NothingRecorded
        ? Problems.Problem(StatusCodes.Status409Conflict, "Conflict", outcome.Refusal!)
        : Problems.Problem(StatusCodes.Status507InsufficientStorage, "Insufficient Storage", outcome.Refusal!);

    /// <summary>A 404 for an id not kept here; null when the dump exists. What cannot be an id never reaches the file system.</summary>
    private static IResult? Unknown(string id, DumpStore store)
    {
        if (!DumpIdGenerator.IsValid(id))
        {
            return Problems.NotFound($"no saved dump has id '{id}' (ids look like 20261123T081304123Z-3f9a1c2b); GET /dumps lists them");
        }
        return store.Find(id) is null ? NotFound(id) : null;
    }

    private static IResult NotFound(string id) => Problems.NotFound($"no saved dump has id '{id}'; GET /dumps lists them");
}
