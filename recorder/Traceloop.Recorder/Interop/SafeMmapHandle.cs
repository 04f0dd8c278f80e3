using System.Runtime.InteropServices;

/// <summary>A shared mapping made by mmap(2), unmapped on release.</summary>
internal sealed class SafeMmapHandle : SafeHandle
{
    public SafeMmapHandle(nint address, nuint length) : base(Interop.Libc.MAP_FAILED, ownsHandle: true)
    {
        SetHandle(address);
        Length = length;
    }

    public nuint Length { get; }

    public override bool IsInvalid => handle == Interop.Libc.MAP_FAILED || handle == 0;

    protected override bool ReleaseHandle() => Interop.Libc.munmap(handle, Length) == 0;
}
