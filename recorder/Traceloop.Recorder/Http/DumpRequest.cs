using System.Diagnostics.CodeAnalysis;
using System.Globalization;
using Microsoft.AspNetCore.Http;
using Traceloop.Recorder.Dumps;

namespace Traceloop.Recorder.Http;

/// <summary>The query parameters every dump endpoint takes: <c>format</c> and <c>last</c>.</summary>
internal readonly record struct DumpRequest(DumpFormat Format, int? Last)
{
    public static bool TryParse(IQueryCollection query, out DumpRequest request, [NotNullWhen(false)] out IResult? problem)
    {
        request = default;
        problem = null;
        if (!DumpFormats.TryParse(query["format"], out DumpFormat format))
        {
            problem = Problems.BadRequest($"format '{query["format"]}' is not one of text, json, msgpack");
            return false;
        }
        int? last = null;
        if (query.TryGetValue("last", out var lastText))
        {
            if (!int.TryParse(lastText, NumberStyles.None, CultureInfo.InvariantCulture, out int n) || n < 1)
            {
                problem = Problems.BadRequest($"last '{lastText}' must be a positive whole number");
                return false;
            }
            last = n;
        }
        request = new DumpRequest(format, last);
        return true;
    }
}
