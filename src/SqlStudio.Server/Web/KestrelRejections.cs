using System.Buffers;
using System.IO.Pipelines;
using System.Text;
using Microsoft.AspNetCore.Connections;

namespace SqlStudio.Server.Web;

/// <summary>
/// Kestrel refuses some requests itself, before any middleware runs — a NUL in a header, <c>%00</c> in the path, a
/// request line or headers past its own limits — with an empty answer (<c>400</c>, <c>414</c>, <c>431</c>…) and no hook
/// to shape it (dotnet/aspnetcore#4726). This connection middleware recognises that answer on its way out (an HTTP/1.1
/// error status, <c>Content-Length: 0</c>, <c>Connection: close</c>: the application never answers an error empty) and
/// gives it a Problem Details body with a <c>code</c>, like every other refusal. Everything else passes unchanged.
/// </summary>
public static class KestrelRejections
{
    public static void Use(Microsoft.AspNetCore.Server.Kestrel.Core.ListenOptions listen) =>
        listen.Use(next => async connection =>
        {
            var transport = connection.Transport;
            var output = new Rewriter(transport.Output);
            connection.Transport = new Duplex(transport.Input, output);
            try
            {
                await next(connection);
            }
            finally
            {
                connection.Transport = transport;
            }
        });

    /// <summary>The Problem Details answer that replaces Kestrel's empty one, or null when the head is not such an answer.</summary>
    public static byte[]? Rewrite(ReadOnlySpan<byte> written)
    {
        if (!IsErrorHead(written))
        {
            return null;
        }
        var end = written.IndexOf("\r\n\r\n"u8);
        if (end < 0 || end + 4 != written.Length)
        {
            return null;
        }
        var head = Encoding.ASCII.GetString(written[..end]);
        var lines = head.Split("\r\n");
        if (!lines.Skip(1).Contains("Content-Length: 0", StringComparer.OrdinalIgnoreCase) ||
            !lines.Skip(1).Contains("Connection: close", StringComparer.OrdinalIgnoreCase) ||
            !int.TryParse(lines[0].AsSpan(9, 3), out var status))
        {
            return null;
        }
        var (code, detail) = status switch
        {
            414 => (Contracts.ErrorCodes.UriTooLong, "The request line is longer than this server accepts."),
            431 => (Contracts.ErrorCodes.HeadersTooLarge, "The request headers are larger than this server accepts."),
            413 => (Contracts.ErrorCodes.PayloadTooLarge, "The request body is larger than this endpoint accepts."),
            _ => (Contracts.ErrorCodes.BadRequest, "The request is malformed (a control character in its path or headers, or a broken request line)."),
        };
        var body = System.Text.Json.JsonSerializer.Serialize(new Dictionary<string, object>
        {
            ["type"] = $"https://tools.ietf.org/html/rfc9110#section-15.{(status >= 500 ? 6 : 5)}", ["title"] = lines[0][13..].Trim(), ["status"] = status,
            ["detail"] = detail, ["code"] = code,
        });
        var headers = lines.Skip(1).Where(l => !l.StartsWith("Content-Length:", StringComparison.OrdinalIgnoreCase) &&
                                               !l.StartsWith("Content-Type:", StringComparison.OrdinalIgnoreCase));
        var text = $"{lines[0]}\r\nContent-Type: application/problem+json\r\nContent-Length: {Encoding.UTF8.GetByteCount(body)}\r\n" +
                   $"{string.Join("\r\n", headers)}\r\n\r\n{body}";
        return Encoding.UTF8.GetBytes(text);
    }

    private static bool IsErrorHead(ReadOnlySpan<byte> written) => written.StartsWith("HTTP/1.1 4"u8) || written.StartsWith("HTTP/1.1 5"u8);

    private sealed class Duplex(PipeReader input, PipeWriter output) : IDuplexPipe
    {
        public PipeReader Input { get; } = input;

        public PipeWriter Output { get; } = output;
    }

    /// <summary>
    /// Holds the start of each flush until it can tell: a flush that is exactly an empty error answer (under 1 KB,
    /// starting <c>HTTP/1.1 4</c> or <c>5</c>) is rewritten at the flush; any other is written straight through once its
    /// first bytes or its size rule it out — at most 1 KB of a flush is copied, whatever the response's size.
    /// </summary>
    internal sealed class Rewriter(PipeWriter inner) : PipeWriter
    {
        private const int MaxAnswer = 1024;
        private ArrayBufferWriter<byte> _held = new(256);
        // This flush's bytes go straight to the connection (they cannot be an empty error answer).
        private bool _through;

        // Which writer handed out the memory being written (Kestrel may take memory before it advances what it wrote
        // last, so the switch to writing straight through happens only when new memory is asked for).
        private bool _lastFromInner;

        public override void Advance(int bytes)
        {
            if (_lastFromInner)
            {
                inner.Advance(bytes);
            }
            else
            {
                _held.Advance(bytes);
            }
        }

        private void Decide()
        {
            var held = _held.WrittenSpan;
            if (!_through && (held.Length >= MaxAnswer || (held.Length >= 10 && !IsErrorHead(held))))
            {
                inner.Write(held);
                Reset();
                _through = true;
            }
        }

        // Kestrel and System.Text.Json ask how much is waiting to decide when to flush.
        public override bool CanGetUnflushedBytes => true;

        public override long UnflushedBytes => _held.WrittenCount + (inner.CanGetUnflushedBytes ? inner.UnflushedBytes : 0);

        public override Memory<byte> GetMemory(int sizeHint = 0)
        {
            Decide();
            _lastFromInner = _through;
            return _through ? inner.GetMemory(sizeHint) : _held.GetMemory(sizeHint);
        }

        public override Span<byte> GetSpan(int sizeHint = 0)
        {
            Decide();
            _lastFromInner = _through;
            return _through ? inner.GetSpan(sizeHint) : _held.GetSpan(sizeHint);
        }

        public override void CancelPendingFlush() => inner.CancelPendingFlush();

        public override void Complete(Exception? exception = null)
        {
            Forward();
            inner.Complete(exception);
        }

        public override async ValueTask CompleteAsync(Exception? exception = null)
        {
            Forward();
            await inner.FlushAsync();
            await inner.CompleteAsync(exception);
        }

        public override ValueTask<FlushResult> FlushAsync(CancellationToken cancellationToken = default)
        {
            Forward();
            return inner.FlushAsync(cancellationToken);
        }

        private void Forward()
        {
            _through = false;
            if (_held.WrittenCount == 0)
            {
                return;
            }
            var held = _held.WrittenSpan;
            inner.Write(held.Length < MaxAnswer && Rewrite(held) is { } answer ? answer : held);
            Reset();
        }

        // A writer that asked for a large span does not leave a large buffer behind for the rest of the connection.
        private void Reset()
        {
            if (_held.Capacity > 4 * MaxAnswer)
            {
                _held = new ArrayBufferWriter<byte>(256);
            }
            else
            {
                _held.ResetWrittenCount();
            }
        }
    }
}
