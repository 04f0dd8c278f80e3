using System.Text;
using static Traceloop.Recorder.Decoding.Structs.StructText;

namespace Traceloop.Recorder.Decoding.Structs;

/// <summary>
/// One entry point to the struct renderers of this folder: a capture of <see cref="StructCaptures"/>,
/// its bytes and the call's registers in, strace's text for the argument out.
/// </summary>
/// <remarks>
/// Each family also has its own class (<see cref="Stat"/>, <see cref="SockAddr"/>, <see cref="Time"/>,
/// <see cref="Signals"/>...) with the renderers and the layout they expect; this only finds the
/// lengths and counts they take in the registers. A renderer that returns false has appended
/// nothing: print the pointer. poll's and ppoll's revents go after the return value, through
/// <see cref="Poll.TryAppendResult"/>.
/// </remarks>
internal static class StructDecoders
{
    /// <summary>
    /// Appends the argument <paramref name="capture"/> describes. <paramref name="lengthBefore"/> and
    /// <paramref name="lengthAfter"/> are the value-result lengths (the <see cref="StructKind.SockLen"/>
    /// captures at entry and exit) where the struct has one, else -1.
    /// </summary>
    public static bool TryAppend(StringBuilder sb, StructCapture capture, ReadOnlySpan<byte> data, ReadOnlySpan<ulong> args, long ret, int lengthBefore = -1, int lengthAfter = -1)
    {
        ulong sizeArg = capture.SizeArg >= 0 && capture.SizeArg < args.Length ? args[capture.SizeArg] : 0;
        switch (capture.Kind)
        {
            case StructKind.Stat:
                return Stat.TryAppendStat(sb, data);
            case StructKind.Statx:
                return Stat.TryAppendStatx(sb, data);
            case StructKind.SockAddr:
                int addrlen = capture.AtExit
                    ? (lengthBefore >= 0 && lengthAfter >= 0 ? Math.Min(lengthBefore, lengthAfter) : -1)
                    : (int)sizeArg;
                return SockAddr.TryAppend(sb, data, addrlen);
            case StructKind.SockLen when capture.Offset != 0:
                // recvmsg's msg_namelen at entry: what strace prints for the msghdr of a failed call.
                if (lengthBefore < 0)
                {
                    return false;
                }
                MsgHdr.AppendFailedRecv(sb, lengthBefore);
                return true;
            case StructKind.SockLen:
                if (lengthBefore < 0)
                {
                    return false;
                }
                SockAddr.AppendLength(sb, lengthBefore, lengthAfter < 0 ? lengthBefore : lengthAfter);
                return true;
            case StructKind.Timespec:
                return Time.TryAppendTimespec(sb, data);
            case StructKind.Timeval:
                return Time.TryAppendTimeval(sb, data);
            case StructKind.Itimerspec:
                return Time.TryAppendItimerspec(sb, data);
            case StructKind.Itimerval:
                return Time.TryAppendItimerval(sb, data);
            case StructKind.IntPair:
                return IntPair.TryAppend(sb, data);
            case StructKind.WaitStatus:
                return WaitStatus.TryAppend(sb, data);
            case StructKind.Rlimit:
                return Rlimit.TryAppend(sb, data);
            case StructKind.Sigset:
                return Signals.TryAppendSigset(sb, data, capture.SizeArg >= 0 ? sizeArg : Signals.SigsetSize);
            case StructKind.Sigaction:
                return Signals.TryAppendSigaction(sb, data);
            case StructKind.Utsname:
                return Utsname.TryAppend(sb, data);
            case StructKind.SysInfo:
                return SysInfo.TryAppend(sb, data);
            case StructKind.PollFds:
                return !capture.AtExit && Poll.TryAppendFds(sb, data, sizeArg);
            case StructKind.EpollEvent:
                return Epoll.TryAppendEvent(sb, data);
            case StructKind.EpollEvents:
                return Epoll.TryAppendEvents(sb, data, ret);
            case StructKind.IoVec:
                return IoVec.TryAppend(sb, data, sizeArg, capture.AtExit ? ret : -1);
            case StructKind.MsgHdr:
                return MsgHdr.TryAppend(sb, data, capture.AtExit && lengthBefore >= 0 ? lengthBefore : null, capture.AtExit ? ret : -1);
            case StructKind.Buffer:
                IoVec.AppendBuffer(sb, data, capture.AtExit ? (ulong)Math.Max(ret, 0) : sizeArg);
                return true;
            case StructKind.DirentCount:
                return Dirents.TryAppend(sb, data, capture.Arg < args.Length ? args[capture.Arg] : 0);
            case StructKind.Termios:
                return Termios.TryAppend(sb, data);
            case StructKind.Winsize:
                return Termios.TryAppendWinsize(sb, data);
            case StructKind.CloneArgs:
                return CloneArgs.TryAppend(sb, data, sizeArg);
            case StructKind.CloneResult:
                if (!Has(data, 0, 8))
                {
                    return false;
                }
                int pidfd = I32(data, 0), parentTid = I32(data, 4);
                CloneArgs.AppendResult(sb, pidfd == -1 ? null : pidfd, parentTid == -1 ? null : parentTid);
                return true;
            case StructKind.IntRef:
                // The int's size as the call states it: fixed (ioctl), optlen (setsockopt), *optlen after (getsockopt).
                long size = capture.Source switch
                {
                    SizeSource.Fixed => capture.Size,
                    SizeSource.Argument => (long)sizeArg,
                    SizeSource.ArgumentPointee => lengthAfter,
                    _ => -1,
                };
                if (size != 4 || !Has(data, 0, 4))
                {
                    return false;
                }
                sb.Append('[').Append(I32(data, 0)).Append(']');
                return true;
            case StructKind.FdSet:
                return FdSet.TryAppend(sb, data, args.Length > 0 ? args[0] : 0);
            case StructKind.SignalStack:
                return Signals.TryAppendStack(sb, data);
            case StructKind.SignalFrame:
                return Signals.TryAppendFrame(sb, data);
            default:
                return false;
        }
    }
}
