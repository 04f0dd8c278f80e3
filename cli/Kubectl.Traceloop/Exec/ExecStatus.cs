using System.Globalization;
using System.Text.Json;

namespace Kubectl.Traceloop.Exec;

/// <summary>
/// Reads the metav1.Status the API server sends on channel 3 when the command ends:
/// Success means exit 0; Failure with reason NonZeroExitCode carries the code in
/// details.causes[reason=ExitCode].message; any other Failure means the command never ran.
/// </summary>
internal static class ExecStatus
{
    public static int ExitCode(ReadOnlySpan<byte> json)
    {
        JsonDocument document;
        try
        {
            document = JsonDocument.Parse(json.ToArray());
        }
        catch (JsonException e)
        {
            throw new ExecException($"the exec status is not JSON: {e.Message}", inner: e);
        }
        using (document)
        {
            JsonElement root = document.RootElement;
            if (root.ValueKind != JsonValueKind.Object)
            {
                throw new ExecException("the exec status is not a JSON object");
            }
            string? status = String(root, "status");
            if (status == "Success")
            {
                return 0;
            }
            string message = String(root, "message") ?? "the command failed without a message";
            if (status != "Failure")
            {
                throw new ExecException($"the exec status is neither Success nor Failure: {status ?? "(none)"}");
            }
            if (String(root, "reason") == "NonZeroExitCode"
                && root.TryGetProperty("details", out JsonElement details) && details.ValueKind == JsonValueKind.Object
                && details.TryGetProperty("causes", out JsonElement causes) && causes.ValueKind == JsonValueKind.Array)
            {
                foreach (JsonElement cause in causes.EnumerateArray())
                {
                    if (cause.ValueKind == JsonValueKind.Object && String(cause, "reason") == "ExitCode"
                        && int.TryParse(String(cause, "message"), NumberStyles.Integer, CultureInfo.InvariantCulture, out int code))
                    {
                        return code;
                    }
                }
                throw new ExecException($"the exec status says NonZeroExitCode but names no exit code: {message}");
            }
            throw new ExecException(message);
        }
    }

    private static string? String(JsonElement element, string name) =>
        element.TryGetProperty(name, out JsonElement value) && value.ValueKind == JsonValueKind.String ? value.GetString() : null;
}
