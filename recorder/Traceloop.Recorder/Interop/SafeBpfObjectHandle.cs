using System.Runtime.InteropServices;

/// <summary>A libbpf <c>struct bpf_object</c>; its maps and programs live as long as it does.</summary>
internal sealed class SafeBpfObjectHandle : SafeHandle
{
    public SafeBpfObjectHandle() : base(0, ownsHandle: true) { }

    public override bool IsInvalid => handle == 0;

    protected override bool ReleaseHandle()
    {
        Interop.Libbpf.bpf_object__close(handle);
        return true;
    }
}
