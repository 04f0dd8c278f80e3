using System.Text;
using Traceloop.Recorder.Decoding.Flags;
using static Traceloop.Recorder.Decoding.Structs.StructText;

namespace Traceloop.Recorder.Decoding.Structs;

/// <summary>
/// iovec arrays with the data they point to, for readv, writev, preadv, pwritev, preadv2, pwritev2
/// (argument 1) and inside struct msghdr: <c>[{iov_base="hello", iov_len=5}, {iov_base=NULL, iov_len=0}]</c>.
/// </summary>
/// <remarks>
/// <para>
/// The payload is one composite capture, little-endian, unpadded:
/// </para>
/// <code>
/// u32 count;                 // iovecs that follow: min(vlen, 32)
/// u32 reserved;              // 0
/// struct iovec iov[count];   // 16 bytes each (iov_base, iov_len), as in user memory
/// then for each iovec in order, while the payload lasts:
///   u32 got;                 // bytes of this buffer that follow
///   u8  data[got];           // the start of the buffer: min(len, 32) bytes, where len is
///                            // iov_len at entry (writev), and at exit (readv) iov_len limited
///                            // to what the return value leaves for this buffer
/// </code>
/// <para>
/// strace prints each buffer like a read()'s: at most 32 bytes (its -s), <c>...</c> when there were
/// more; for a read it counts only the bytes the call returned, spread over the buffers in order.
/// An iovec whose data is not in the payload shows its address, as strace does for memory it cannot
/// read; iovecs past the captured ones, and past 32, show as <c>...</c>.
/// </para>
/// </remarks>
internal static class IoVec
{
    public const int HeaderSize = 8;
    public const int IovecSize = 16;

    /// <summary>Iovecs strace prints (its max_strlen bounds arrays too), and so the most worth capturing.</summary>
    public const int MaxPrinted = 32;

    /// <summary>Bytes of each buffer strace prints by default (-s 32).</summary>
    public const int BufferBytes = 32;

    /// <summary>
    /// Renders the array from the composite payload. <paramref name="vlen"/> is the iovec count the
    /// call was given; <paramref name="dataSize"/> the bytes it transferred for a read (its return
    /// value), or -1 for a write, whose buffers are shown whole.
    /// </summary>
    public static bool TryAppend(StringBuilder sb, ReadOnlySpan<byte> data, ulong vlen, long dataSize)
    {
        if (!Has(data, 0, HeaderSize))
        {
            return false;
        }
        uint count = U32(data, 0);
        if (count > 0 && !Has(data, HeaderSize, IovecSize))
        {
            return false;
        }
        if (vlen == 0)
        {
            sb.Append("[]");
            return true;
        }
        if (count == 0)
        {
            return false; // the array could not be read (or had no room): strace shows the pointer
        }
        long arrayEnd = HeaderSize + ((long)count * IovecSize);
        int cursor = (int)Math.Min(arrayEnd, data.Length);
        bool buffersLeft = data.Length >= arrayEnd;
        ulong remaining = dataSize < 0 ? ulong.MaxValue : (ulong)dataSize;
        sb.Append('[');
        for (ulong i = 0; i < vlen; i++)
        {
            if (i > 0)
            {
                sb.Append(", ");
            }
            int offset = HeaderSize + ((int)i * IovecSize);
            if (i >= MaxPrinted || i >= count || !Has(data, offset, IovecSize))
            {
                sb.Append("...");
                break;
            }
            ulong @base = U64(data, offset);
            ulong length = U64(data, offset + 8);
            ulong shown = Math.Min(length, remaining);
            if (dataSize >= 0)
            {
                remaining -= shown;
            }
            sb.Append("{iov_base=");
            if (buffersLeft && Has(data, cursor, 4) && U32(data, cursor) <= (uint)(data.Length - cursor - 4))
            {
                int got = (int)U32(data, cursor);
                ReadOnlySpan<byte> bytes = data.Slice(cursor + 4, got);
                cursor += 4 + got;
                if (@base == 0)
                {
                    sb.Append("NULL");
                }
                else
                {
                    AppendQuoted(sb, bytes, more: (ulong)got < shown);
                }
            }
            else
            {
                buffersLeft = false;
                FlagText.Address(sb, @base);
            }
            sb.Append(", iov_len=").Append(length).Append('}');
        }
        sb.Append(']');
        return true;
    }

    /// <summary>The length of the composite payload at the start of <paramref name="data"/>, or all of it when it was cut: where what follows it in a msghdr's payload starts.</summary>
    internal static int Measure(ReadOnlySpan<byte> data)
    {
        if (!Has(data, 0, HeaderSize))
        {
            return data.Length;
        }
        uint count = U32(data, 0);
        long cursor = HeaderSize + ((long)count * IovecSize);
        for (uint i = 0; i < count; i++)
        {
            if (cursor + 4 > data.Length)
            {
                return data.Length;
            }
            cursor += 4 + U32(data, (int)cursor);
        }
        return (int)Math.Min(cursor, data.Length);
    }

    /// <summary>
    /// The buffer of read, write, pread64, pwrite64, send, sendto, recv, recvfrom: the captured start of it
    /// quoted, <c>...</c> when <paramref name="length"/> (the count for a write, the return value for a
    /// read) is longer than what was captured: <c>"The quick brown fox jumps over t"...</c>.
    /// </summary>
    public static void AppendBuffer(StringBuilder sb, ReadOnlySpan<byte> data, ulong length)
    {
        if ((ulong)data.Length > length)
        {
            data = data[..(int)length];
        }
        AppendQuoted(sb, data, more: (ulong)data.Length < length);
    }
}
