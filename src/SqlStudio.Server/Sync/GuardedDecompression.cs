using Microsoft.AspNetCore.RequestDecompression;

namespace SqlStudio.Server.Sync;

/// <summary>
/// Request decompression whose corrupt input is always an <see cref="InvalidDataException"/> (a 400 malformed_body):
/// gzip and deflate already throw that, but Brotli throws <see cref="InvalidOperationException"/> ("decoder ran into
/// invalid data"), which would otherwise be a 500.
/// </summary>
public static class GuardedDecompression
{
    public static void Guard(RequestDecompressionOptions options)
    {
        foreach (var (encoding, provider) in options.DecompressionProviders.ToList())
        {
            options.DecompressionProviders[encoding] = new Provider(provider);
        }
    }

    private sealed class Provider(IDecompressionProvider inner) : IDecompressionProvider
    {
        public Stream GetDecompressionStream(Stream stream) => new GuardStream(inner.GetDecompressionStream(stream));
    }

    private sealed class GuardStream(Stream inner) : Stream
    {
        public override bool CanRead => true;
        public override bool CanSeek => false;
        public override bool CanWrite => false;
        public override long Length => throw new NotSupportedException();
        public override long Position { get => throw new NotSupportedException(); set => throw new NotSupportedException(); }

        public override int Read(byte[] buffer, int offset, int count)
        {
            try
            {
                return inner.Read(buffer, offset, count);
            }
            catch (InvalidOperationException e)
            {
                throw Corrupt(e);
            }
        }

        public override async ValueTask<int> ReadAsync(Memory<byte> buffer, CancellationToken cancellationToken = default)
        {
            try
            {
                return await inner.ReadAsync(buffer, cancellationToken);
            }
            catch (InvalidOperationException e)
            {
                throw Corrupt(e);
            }
        }

        public override Task<int> ReadAsync(byte[] buffer, int offset, int count, CancellationToken cancellationToken) =>
            ReadAsync(buffer.AsMemory(offset, count), cancellationToken).AsTask();

        public override void Flush() { }
        public override long Seek(long offset, SeekOrigin origin) => throw new NotSupportedException();
        public override void SetLength(long value) => throw new NotSupportedException();
        public override void Write(byte[] buffer, int offset, int count) => throw new NotSupportedException();

        protected override void Dispose(bool disposing)
        {
            if (disposing)
            {
                inner.Dispose();
            }
            base.Dispose(disposing);
        }

        private static InvalidDataException Corrupt(InvalidOperationException e) =>
            new("The request body does not decompress with its Content-Encoding.", e);
    }
}
