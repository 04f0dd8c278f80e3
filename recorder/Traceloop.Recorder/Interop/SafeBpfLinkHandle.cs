using System.Runtime.InteropServices;

/// <summary>A libbpf <c>struct bpf_link</c>: destroying it detaches the program.</summary>
internal sealed class SafeBpfLinkHandle : SafeHandle
{
    public SafeBpfLinkHandle() : base(0, ownsHandle: true) { }

    public override bool IsInvalid => handle == 0;

    protected override bool ReleaseHandle() => Interop.Libbpf.bpf_link__destroy(handle) == 0;
}
