using System.IO.Pipelines;
using System.Text;
using SqlStudio.Server.Web;

namespace SqlStudio.Server.Tests.Web;

/// <summary>
/// The connection middleware that gives Kestrel's own empty refusals a Problem Details body sits on every response's
/// way out: it must hold no more of a response than it needs to tell (the raw-socket tests in ErrorHandlingTests prove
/// the refusals end to end).
/// </summary>
public sealed class KestrelRejectionsTests
{
    private static void Write(PipeWriter writer, ReadOnlySpan<byte> bytes)
    {
        bytes.CopyTo(writer.GetSpan(bytes.Length));
        writer.Advance(bytes.Length);
    }

    private static async Task<string> FlushAndReadAsync(PipeWriter writer, Pipe pipe)
    {
        await writer.FlushAsync();
        var read = await pipe.Reader.ReadAsync();
        var text = Encoding.UTF8.GetString(read.Buffer);
        pipe.Reader.AdvanceTo(read.Buffer.End);
        return text;
    }

    [Fact]
    public async Task AResponse_GoesStraightThrough_HoldingNothingOfItsBody()
    {
        var pipe = new Pipe(new PipeOptions(pauseWriterThreshold: 0));
        var writer = new KestrelRejections.Rewriter(pipe.Writer);
        var head = "HTTP/1.1 200 OK\r\nContent-Type: application/json\r\nTransfer-Encoding: chunked\r\n\r\n"u8.ToArray();
        Write(writer, head);
        for (var i = 0; i < 100; i++)
        {
            Write(writer, new byte[1000]);
        }

        // Before the flush every byte already sits in the connection's own pipe: none is held and copied later.
        Assert.Equal(pipe.Writer.UnflushedBytes, writer.UnflushedBytes);
        Assert.True(pipe.Writer.UnflushedBytes > 100_000);
        var text = await FlushAndReadAsync(writer, pipe);
        Assert.StartsWith("HTTP/1.1 200 OK\r\n", text);
        Assert.Equal(head.Length + 100_000, Encoding.UTF8.GetByteCount(text));
    }

    [Fact]
    public async Task AnErrorWithABody_PassesUnchanged_AndTheNextEmptyRefusalIsStillRewritten()
    {
        var pipe = new Pipe(new PipeOptions(pauseWriterThreshold: 0));
        var writer = new KestrelRejections.Rewriter(pipe.Writer);
        var body = new string('x', 3000);
        Write(writer, Encoding.ASCII.GetBytes($"HTTP/1.1 404 Not Found\r\nContent-Type: application/problem+json\r\nContent-Length: {body.Length}\r\n\r\n{body}"));
        Assert.EndsWith(body, await FlushAndReadAsync(writer, pipe));

        Write(writer, "HTTP/1.1 431 Request Header Fields Too Large\r\nContent-Length: 0\r\nConnection: close\r\n\r\n"u8);
        var refusal = await FlushAndReadAsync(writer, pipe);
        Assert.StartsWith("HTTP/1.1 431 Request Header Fields Too Large\r\n", refusal);
        Assert.Contains("Content-Type: application/problem+json", refusal);
        Assert.Contains("\"code\":\"headers_too_large\"", refusal);
    }
}
