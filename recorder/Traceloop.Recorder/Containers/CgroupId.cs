using System.Runtime.InteropServices;

namespace Traceloop.Recorder.Containers;

/// <summary>Reads a cgroup directory's id.</summary>
internal static class CgroupId
{
    /// <summary>
    /// On 64-bit kernels a cgroup v2 directory's inode number is its kernfs id, which is what
    /// bpf_get_current_cgroup_id() returns for tasks inside it.
    /// </summary>
    public static ulong Of(string directory)
    {
        if (Interop.Libc.stat(directory, out Interop.Libc.StatBuffer st) != 0)
        {
            int errno = Marshal.GetLastPInvokeError();
            throw new IOException($"cannot stat cgroup {directory}: {Marshal.GetPInvokeErrorMessage(errno)}");
        }
        return st.st_ino;
    }
}
