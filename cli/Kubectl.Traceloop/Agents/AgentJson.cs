using System.Text.Json;
using System.Text.Json.Serialization.Metadata;

namespace Kubectl.Traceloop.Agents;

/// <summary>Reads an agent's JSON answer; a body that is not what the API promises is that agent's failure.</summary>
internal static class AgentJson
{
    public static T Parse<T>(byte[] body, JsonTypeInfo<T> type, AgentPod agent)
    {
        try
        {
            return JsonSerializer.Deserialize(body, type)
                ?? throw new JsonException("the answer is null");
        }
        catch (JsonException e)
        {
            throw new AgentException($"the agent on node {agent.Node} sent an unreadable answer: {e.Message}", AgentFailure.Other, inner: e);
        }
    }
}
