using Iced.Intel;

namespace Traceloop.Recorder.Tls;

/// <summary>
/// Finds every RET of a function by decoding it instruction by instruction. Go functions cannot
/// take a uretprobe: it replaces the return address on the goroutine's stack, and Go moves and
/// copies stacks, so the return lands on garbage. A uprobe on each RET sees the results in their
/// registers instead. Decoding from the entry (never scanning for 0xC3 bytes, which also occur
/// inside other instructions) keeps every probe on an instruction boundary; a byte that does not
/// decode stops the search with the reason rather than probing a guess.
/// </summary>
internal static class RetFinder
{
    /// <summary>
    /// The offsets of the RET instructions in <paramref name="code"/>, whose first byte is at
    /// <paramref name="start"/> (a file offset, so the results are file offsets: instruction
    /// lengths do not depend on where the code is mapped).
    /// </summary>
    public static RetSearch Find(ReadOnlySpan<byte> code, long start)
    {
        var decoder = Decoder.Create(64, new ByteArrayCodeReader(code.ToArray()), (ulong)start, DecoderOptions.None);
        ulong end = (ulong)start + (ulong)code.Length;
        var rets = new List<long>();
        while (decoder.IP < end)
        {
            ulong at = decoder.IP;
            decoder.Decode(out Instruction instruction);
            if (instruction.IsInvalid)
            {
                return RetSearch.Failed($"the byte sequence at offset 0x{at:x} does not decode as an x86-64 instruction ({decoder.LastError})");
            }
            if (instruction.Mnemonic == Mnemonic.Ret)
            {
                rets.Add((long)at);
            }
            else if (instruction.FlowControl == FlowControl.Return)
            {
                // RETF, IRET, SYSRET: not what a compiler emits for a function return.
                return RetSearch.Failed($"the function returns with {instruction.Mnemonic} at offset 0x{at:x}, which is not probed");
            }
        }
        return rets.Count == 0
            ? RetSearch.Failed($"no RET in the {code.Length} bytes at offset 0x{start:x}")
            : new RetSearch(rets, null);
    }
}
