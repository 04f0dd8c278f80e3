namespace Traceloop.Recorder.Dumps;

internal enum DumpFormat
{
    Text,
    Json,
    MessagePack,
}

internal static class DumpFormats
{
    public static bool TryParse(string? value, out DumpFormat format)
    {
        switch (value?.ToLowerInvariant())
        {
            case null or "" or "text":
                format = DumpFormat.Text;
                return true;
            case "json" or "jsonl":
                format = DumpFormat.Json;
                return true;
            case "msgpack" or "messagepack":
                format = DumpFormat.MessagePack;
                return true;
            default:
                format = default;
                return false;
        }
    }

    public static string ContentType(DumpFormat format) => format switch
    {
        DumpFormat.Json => "application/x-ndjson",
        DumpFormat.MessagePack => "application/vnd.msgpack",
        _ => "text/plain; charset=utf-8",
    };
}
