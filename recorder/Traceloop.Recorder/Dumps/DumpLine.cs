using System.Text;
using Traceloop.Api;
using Traceloop.Recorder.Decoding;
using Traceloop.Recorder.Records;

namespace Traceloop.Recorder.Dumps;

/// <summary>
/// One line of a text dump: <c>[container] HH:MM:SS.uuuuuu pid[/tid] comm event</c> and a newline,
/// the time in UTC, the event as strace shows it (<see cref="StraceText"/>), the container tag
/// only when a dump interleaves several containers. A live dump renders the line from the ring,
/// a saved one from the events it was saved as; the layout and the escaping of the command name
/// live here once, so the two print the same bytes for the same event.
/// </summary>
internal static class DumpLine
{
    /// <summary>A live event, straight from the ring: formats into the builder and allocates nothing.</summary>
    public static void Append(StringBuilder sb, ReadOnlySpan<byte> buffer, in TraceEvent e, in BootClock clock, string? container = null, HttpMessage? http = null) =>
        Append(sb, new RingEvent(buffer, in e, clock), container, http);

    /// <summary>
    /// A saved event, whose text and command name were decoded when it was saved. A saved dump holds
    /// one container, so its lines carry no container tag (as before, whatever the file says).
    /// </summary>
    public static void Append(StringBuilder sb, TraceEventDto e) =>
        Append(sb, new SavedEvent(e), container: null, e.Http);

    /// <summary>The event's line, then, when it carried an HTTP message, a line for that with the same time, pid and command.</summary>
    private static void Append<TEvent>(StringBuilder sb, scoped in TEvent e, string? container, HttpMessage? http)
        where TEvent : ILineSource, allows ref struct
    {
        AppendOne(sb, e, container, null);
        if (http is not null)
        {
            AppendOne(sb, e, container, http);
        }
    }

    private static void AppendOne<TEvent>(StringBuilder sb, scoped in TEvent e, string? container, HttpMessage? http)
        where TEvent : ILineSource, allows ref struct
    {
        if (container is not null)
        {
            sb.Append('[').Append(container).Append("] ");
        }
        StraceText.AppendTimeOfDay(sb, e.UnixNs);
        sb.Append(' ').Append(e.Pid);
        if (e.Tid != e.Pid)
        {
            sb.Append('/').Append(e.Tid);
        }
        sb.Append(' ');
        e.AppendComm(sb);
        sb.Append(' ');
        if (http is null)
        {
            e.AppendEvent(sb);
        }
        else
        {
            HttpText.AppendLine(sb, http);
        }
        sb.Append('\n');
    }

    /// <summary>The parts of a line that come from where the event is kept.</summary>
    private interface ILineSource
    {
        long UnixNs { get; }

        long Pid { get; }

        long Tid { get; }

        void AppendComm(StringBuilder sb);

        void AppendEvent(StringBuilder sb);
    }

    private readonly ref struct RingEvent : ILineSource
    {
        private readonly ReadOnlySpan<byte> _buffer;
        private readonly ref readonly TraceEvent _e;
        private readonly BootClock _clock;

        public RingEvent(ReadOnlySpan<byte> buffer, ref readonly TraceEvent e, BootClock clock)
        {
            _buffer = buffer;
            _e = ref e;
            _clock = clock;
        }

        public long UnixNs => _clock.ToUnixNs(_e.Timestamp);

        public long Pid => _e.Pid;

        public long Tid => _e.Tid;

        public void AppendComm(StringBuilder sb) => RecordView.AppendComm(sb, _buffer, _e);

        public void AppendEvent(StringBuilder sb) => StraceText.AppendEvent(sb, _buffer, _e);
    }

    private readonly struct SavedEvent(TraceEventDto e) : ILineSource
    {
        public long UnixNs => e.TimestampNs;

        public long Pid => e.Pid;

        public long Tid => e.Tid;

        // The saved name is the record's bytes decoded: escaped again here, as the live line escapes them.
        public void AppendComm(StringBuilder sb) => RecordView.AppendComm(sb, e.Comm);

        // The saved text is StraceText.AppendEvent's output, kept when the dump was saved (EventDtoFactory).
        public void AppendEvent(StringBuilder sb) => sb.Append(e.Text);
    }
}
