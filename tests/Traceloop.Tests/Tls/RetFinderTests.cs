using Traceloop.Recorder.Tls;
using Traceloop.TestCommon.Tls;

namespace Traceloop.Tests.Tls;

/// <summary>
/// The RET finder on byte sequences captured from a Go 1.19 build of <see cref="BuiltPrograms.GoTlsClient"/>,
/// with the RETs objdump lists for each: functions with several returns, and functions where
/// 0xC3 also occurs inside other instructions, where a byte scan would place a probe mid-instruction.
/// </summary>
public sealed class RetFinderTests
{
    // main.classify: four returns, four RETs, no padding (the symbol's 65 bytes).
    private const string Classify =
        "4885c07c2f74200fbae000720d488d05cb210400bb04000000c3488d05a4200400bb03000000c3488d0519220400bb04" +
        "000000c3488d05102c0400bb08000000c3";

    // sync.runtime_canSpin with its INT3 padding (the .gopclntab range): 0xC3 in the displacements
    // of "mov 0x2fc3c3(%rip),%ecx" and "add 0x2fc3c1(%rip),%ecx" at 0x11, 0x12 and 0x17.
    private const string CanSpin =
        "4883f8047d2f833ddfa43200017e268b0dc3c32f00030dc1c32f00ffc10f1f00390dbea432007e0d498b4e30488b89d0" +
        "000000eb0331c0c38b91900100008b9994010000488bb1980900008bb99401000039df75e339d3750b4885f67506b801" +
        "000000c331c0c3cccccccccccccccccccccccccccccccccccccccccccccccccc";

    // strings.(*Reader).UnreadByte: "mov %rax,%rbx" (48 89 c3) at 0x39; two RETs, then the morestack path.
    private const string UnreadByte =
        "493b661076614883ec1848896c2410488d6c241048837810007f32488d05be3b1100e8193bf5ff48c740083100000048" +
        "8d0d880714004889084889c3488d051d321900488b6c24104883c418c348c74018ffffffff48ff481031c031db488b6c" +
        "24104883c418c34889442408e8af78faff488b442408eb88";

    // crypto/tls.(*Conn).Read, 1022 bytes, seven returns.
    private const string ConnRead =
        "493b66100f86c20300004883ec6848896c2460488d6c246049c7c5000000004c896c245848898c248000000048895c24" +
        "784889442470c644241f0048c744242000000000440f117c243890488b150e381d0090488d1d96840c004889d10f1f00" +
        "e85b0700004885c00f8597000000488b8c24800000004885c9746831c0488b742470bf01000000f00fb1be5801000040" +
        "0f94c7488d86580100004084ff751c4889442430e8b7beeeff488b442430488b8c2480000000488b742470440f117c24" +
        "48488d3d3803000048897c24484889442450488d7c244848897c2458c644241f01eb5a48c744242000000000440f117c" +
        "2438488b44242031db31c9488b6c24604883c468c348c744242000000000488944243848895c2440488b442420488b54" +
        "24384889d94889d3488b6c24604883c468c3488b8c24800000004889c6488bbeb80200004c8b86a80200004d89c14929" +
        "f84939f941ba000000004d0f4ec266904d85c0754e4889f031dbe8719fffff4885c00f84cd01000048c7442420000000" +
        "00488944243848895c2440c644241f00488b542458488b02ffd0488b442420488b5c2438488b4c2440488b6c24604883" +
        "c468c34939f97f0431c9eb7348c786c0020000ffffffff488bbea80200004c8b86a00200004c8b8eb0020000488b86b8" +
        "0200004839f80f874d0100004829c74839f9480f4fcf4889c74c29c848c1f83f4821c7498d1c38488b4424784839d874" +
        "1748894c2428e8e5e4edff488b4c2428488b7424704531d248018eb80200004885c90f84c6000000488bbeb80200004c" +
        "8b86a80200004d89c14929f84c39cf4d0f4dc24d85c00f85a2000000488bbe800200004c8b86780200004c8b8e880200" +
        "00488b86900200004989fa4829c766904885ff7e794c39d00f87a30000004889c74c29c848c1f83f4821c7410fb63c38" +
        "4080ff15755848894c24284889f031dbe82b9effff4885c07508488b4c242890eb3c488b4c242848894c242048894424" +
        "3848895c2440c644241f00488b542458488b02ffd0488b442420488b5c2438488b4c2440488b6c24604883c468c34889" +
        "4c2420440f117c2438c644241f00488b542458488b02ffd0488b442420488b5c2438488b4c2440488b6c24604883c468" +
        "c34c89d1e8e7daedff4889f90f1f4000e8dbdaedff488b442470488bb0d0020000482bb0e00200000f1f840000000000" +
        "4885f60f8ec9fdffffe872f4ffff4885c074d248c744242000000000488944243848895c2440c644241f00488b542458" +
        "488b02ffd0488b442420488b5c2438488b4c2440488b6c24604883c468c3e8add7eaff488b442420488b5c2438488b4c" +
        "2440488b6c24604883c468c3488944240848895c241048894c241848897c2420e81bb5edff488b442408488b5c241048" +
        "8b4c2418488b7c2420e902fcffff";

    public static TheoryData<string, string, long[]> Functions => new()
    {
        { "main.classify", Classify, [0x19, 0x26, 0x33, 0x40] },
        { "sync.runtime_canSpin", CanSpin, [0x37, 0x63, 0x66] },
        { "strings.(*Reader).UnreadByte", UnreadByte, [0x4c, 0x66] },
        { "crypto/tls.(*Conn).Read", ConnRead, [0x104, 0x131, 0x1b2, 0x2fd, 0x330, 0x3ad, 0x3cb] },
    };

    [Theory]
    [MemberData(nameof(Functions))]
    public void FindsEveryRetOfARealGoFunction_AndNoByteInsideAnotherInstruction(string name, string hex, long[] expected)
    {
        byte[] code = Convert.FromHexString(hex);
        const long start = 0x1ab920;

        RetSearch search = RetFinder.Find(code, start);

        Assert.True(search.Succeeded, $"{name}: {search.FailureReason}");
        Assert.Equal(expected.Select(e => start + e), search.Offsets);
        Assert.All(search.Offsets, offset => Assert.Equal(0xC3, code[offset - start]));
    }

    [Fact]
    public void AByteScanWouldHaveFoundMore_SoTheVectorsTestDecoding()
    {
        // Guards the vectors: the 0xC3 bytes that are not RETs are there.
        Assert.Equal(6, Convert.FromHexString(CanSpin).Count(b => b == 0xC3));
        Assert.Equal(3, Convert.FromHexString(UnreadByte).Count(b => b == 0xC3));
    }

    [Fact]
    public void BytesThatDoNotDecode_AreAReason()
    {
        // 0x06 (push es) is invalid in 64-bit mode.
        RetSearch search = RetFinder.Find([0x48, 0x85, 0xc0, 0x06, 0xc3], 0x1000);

        Assert.False(search.Succeeded);
        Assert.Contains("0x1003", search.FailureReason, StringComparison.Ordinal);
        Assert.Empty(search.Offsets);
    }

    [Fact]
    public void AnInstructionCutOffAtTheEnd_IsAReason()
    {
        // The code ends inside "mov $0xc3, %eax" (b8 c3 00 00 00): its bounds were wrong.
        RetSearch search = RetFinder.Find([0xc3, 0xb8, 0xc3, 0x00], 0);

        Assert.False(search.Succeeded);
        Assert.Contains("0x1", search.FailureReason, StringComparison.Ordinal);
    }

    [Fact]
    public void AFunctionWithoutRet_IsAReason()
    {
        // xor eax,eax; jmp back to the start.
        RetSearch search = RetFinder.Find([0x31, 0xc0, 0xeb, 0xfc], 0x40);

        Assert.False(search.Succeeded);
        Assert.Contains("no RET", search.FailureReason, StringComparison.Ordinal);
    }

    [Fact]
    public void AFarReturn_IsNotTakenForAFunctionReturn()
    {
        RetSearch search = RetFinder.Find([0x31, 0xc0, 0xcb], 0);

        Assert.False(search.Succeeded);
        Assert.Contains("Retf", search.FailureReason, StringComparison.Ordinal);
    }
}
