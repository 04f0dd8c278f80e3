using System.Net;
using System.Text;
using Kubectl.Traceloop.Agents;
using Kubectl.Traceloop.Exec;

namespace Traceloop.Tests.Kubectl;

public sealed class BridgeExitCodesTests
{
    private static readonly AgentPod Agent = new("traceloop-abcde", "node-a", "Running", RecorderRunning: true);

    [Fact]
    public void ExitZero_IsTheBody()
    {
        byte[] body = Encoding.UTF8.GetBytes("[]");
        Assert.Same(body, BridgeExitCodes.BodyOrThrow(new ExecResult(0, body, ""), Agent));
    }

    [Fact]
    public void ExitThree_IsTheRecordersErrorLine_WithItsHttpStatus()
    {
        var e = Assert.Throws<AgentException>(() => BridgeExitCodes.BodyOrThrow(
            new ExecResult(3, [], "HTTP 404: no recorded container of pod shop/nope\n"), Agent));
        Assert.Equal("HTTP 404: no recorded container of pod shop/nope", e.Message);
        Assert.Equal((AgentFailure.RecorderError, 404), (e.Failure, e.HttpStatus));
    }

    [Fact]
    public void ExitTwo_IsAnAgentThatCannotReachItsRecorder()
    {
        var e = Assert.Throws<AgentException>(() => BridgeExitCodes.BodyOrThrow(
            new ExecResult(2, [], "cannot connect to /run/traceloop/traceloop.sock: is the recorder running?\n"), Agent));
        Assert.Equal("agent on node node-a cannot reach its recorder: cannot connect to /run/traceloop/traceloop.sock: is the recorder running?", e.Message);
        Assert.Equal(AgentFailure.RecorderDown, e.Failure);
    }

    [Theory]
    [InlineData(1, "did not accept the request")]
    [InlineData(137, "exited with code 137")]
    public void OtherExitCodes_SayWhatRan(int code, string expected)
    {
        var e = Assert.Throws<AgentException>(() => BridgeExitCodes.BodyOrThrow(new ExecResult(code, [], "boom"), Agent));
        Assert.Contains(expected, e.Message, StringComparison.Ordinal);
        Assert.EndsWith(": boom", e.Message, StringComparison.Ordinal);
        Assert.Equal(AgentFailure.Other, e.Failure);
    }

    [Fact]
    public void A403OnExec_NamesTheRbacPermission_AndKeepsTheServersMessage()
    {
        AgentException e = BridgeExitCodes.FromExec(new ExecException("pods \"traceloop-abcde\" is forbidden: User \"jane\" cannot create resource \"pods/exec\"",
            HttpStatusCode.Forbidden), Agent, "traceloop");
        Assert.Equal("forbidden: you need create on pods/exec in namespace traceloop (RBAC): pods \"traceloop-abcde\" is forbidden: User \"jane\" cannot create resource \"pods/exec\"",
            e.Message);
        Assert.Equal(AgentFailure.Forbidden, e.Failure);
    }

    [Theory]
    [InlineData(HttpStatusCode.InternalServerError)]
    [InlineData(HttpStatusCode.BadRequest)]
    [InlineData(null)]
    public void OtherExecFailures_AreAnUnreachableAgent(HttpStatusCode? status)
    {
        AgentException e = BridgeExitCodes.FromExec(new ExecException("error dialing backend", status), Agent, "traceloop");
        Assert.Equal("agent on node node-a unreachable: error dialing backend", e.Message);
        Assert.Equal(AgentFailure.Unreachable, e.Failure);
    }

    [Theory]
    [InlineData("HTTP 404: not found", 404)]
    [InlineData("HTTP 500: boom: more", 500)]
    [InlineData("HTTP x: no", null)]
    [InlineData("cannot connect", null)]
    [InlineData("HTTP 404", null)]
    public void TheStatusOfAnHttpErrorLine(string line, int? expected)
    {
        Assert.Equal(expected, BridgeExitCodes.HttpStatusOf(line));
    }

    [Theory]
    [InlineData("Pending", true, "is not running (phase Pending)")]
    [InlineData("Running", false, "its recorder container is not")]
    public void AnAgentPodThatCannotTakeAnExec_SaysWhy(string phase, bool recorderRunning, string expected)
    {
        var agent = new AgentPod("traceloop-x", "node-b", phase, recorderRunning);
        Assert.Contains(expected, agent.NotUsableReason, StringComparison.Ordinal);
        Assert.Null((Agent with { }).NotUsableReason);
    }
}
