using System.Runtime.InteropServices;

/// <summary>A libbpf <c>struct ring_buffer</c> consumer of a BPF_MAP_TYPE_RINGBUF.</summary>
internal sealed class SafeRingBufferHandle : SafeHandle
{
    public SafeRingBufferHandle() : base(0, ownsHandle: true) { }

    public override bool IsInvalid => handle == 0;

    protected override bool ReleaseHandle()
    {
        Interop.Libbpf.ring_buffer__free(handle);
        return true;
    }
}
