namespace Traceloop.FunctionalTests.StraceAgreement;

/// <summary>
/// Aligns one thread's strace lines with the recorder's: the longest common subsequence by key (syscall name, signal,
/// exit), so one line missing on either side shifts nothing. Among alignments with the most pairs, it prefers pairs
/// whose return values and then whose full text agree, so a restarted call pairs with the right one of two.
/// </summary>
internal static class LineAlignment
{
    private const long PairWeight = 1L << 40;
    private const long RetWeight = 1L << 20;
    private const long FullWeight = 1;

    /// <returns>For each strace line, the index of its recorder line, or -1.</returns>
    public static int[] Align(IReadOnlyList<TraceLine> strace, IReadOnlyList<TraceLine> recorder)
    {
        int n = strace.Count;
        int m = recorder.Count;
        var score = new long[n + 1, m + 1];
        for (int i = n - 1; i >= 0; i--)
        {
            for (int j = m - 1; j >= 0; j--)
            {
                long best = Math.Max(score[i + 1, j], score[i, j + 1]);
                long pair = Weight(strace[i], recorder[j]);
                if (pair > 0)
                {
                    best = Math.Max(best, score[i + 1, j + 1] + pair);
                }
                score[i, j] = best;
            }
        }

        var match = new int[n];
        Array.Fill(match, -1);
        int a = 0;
        int b = 0;
        while (a < n && b < m)
        {
            long pair = Weight(strace[a], recorder[b]);
            if (pair > 0 && score[a, b] == score[a + 1, b + 1] + pair)
            {
                match[a++] = b++;
            }
            else if (score[a, b] == score[a + 1, b])
            {
                a++;
            }
            else
            {
                b++;
            }
        }
        return match;
    }

    private static long Weight(TraceLine s, TraceLine r)
    {
        if (s.Kind != r.Kind || s.Key != r.Key)
        {
            return 0;
        }
        return PairWeight + (s.Ret == r.Ret ? RetWeight : 0) + (s.Full == r.Full ? FullWeight : 0);
    }
}
