namespace Kubectl.Traceloop.Exec;

/// <summary>
/// The channel byte that starts every binary message of the Kubernetes streaming protocols
/// (v4.channel.k8s.io, v5.channel.k8s.io): the rest of the message is that stream's bytes.
/// </summary>
internal static class ExecChannel
{
    public const byte Stdin = 0;
    public const byte Stdout = 1;
    public const byte Stderr = 2;

    /// <summary>The command's end: a metav1.Status JSON (v4 and later).</summary>
    public const byte Error = 3;

    /// <summary>Terminal resize; unused without a TTY.</summary>
    public const byte Resize = 4;

    /// <summary>v5 only: [255, channel] half-closes that channel.</summary>
    public const byte Close = 255;

    public const string V5Protocol = "v5.channel.k8s.io";
    public const string V4Protocol = "v4.channel.k8s.io";
}
