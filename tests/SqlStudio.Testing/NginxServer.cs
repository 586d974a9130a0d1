using System.Diagnostics;

namespace SqlStudio.Testing;

/// <summary>
/// Debian's nginx running the shipped <c>deploy/nginx/sqlstudio.conf</c> in front of a test server, on a free loopback
/// port, with its pid, logs and temp files in a folder of its own. Only the listen port and the upstream address change.
/// </summary>
public sealed class NginxServer : IAsyncDisposable
{
    private readonly Process _process;
    private readonly string _folder;

    private NginxServer(Process process, string folder, Uri address)
    {
        _process = process;
        _folder = folder;
        Address = address;
    }

    public Uri Address { get; }

    public static async Task<NginxServer> StartAsync(Uri upstream)
    {
        const string binary = "/usr/sbin/nginx";
        if (!File.Exists(binary))
        {
            throw new InvalidOperationException("nginx is not installed: run ./test.sh once (it installs Debian's nginx).");
        }
        var folder = TestServer.NewDataDirectory();
        var port = Loopback.FreePort();
        var shipped = await File.ReadAllTextAsync(Path.Combine(Repository.Root, "deploy", "nginx", "sqlstudio.conf"));
        var site = shipped
            .Replace("server 127.0.0.1:5080;", $"server {upstream.Host}:{upstream.Port};")
            .Replace("listen 8080;", $"listen 127.0.0.1:{port};");
        await File.WriteAllTextAsync(Path.Combine(folder, "sqlstudio.conf"), site);
        await File.WriteAllTextAsync(Path.Combine(folder, "nginx.conf"),
            $$"""
              pid {{folder}}/nginx.pid;
              error_log {{folder}}/error.log warn;
              events { worker_connections 256; }
              http {
                  access_log off;
                  client_body_temp_path {{folder}}/client_temp;
                  proxy_temp_path {{folder}}/proxy_temp;
                  fastcgi_temp_path {{folder}}/fastcgi_temp;
                  uwsgi_temp_path {{folder}}/uwsgi_temp;
                  scgi_temp_path {{folder}}/scgi_temp;
                  include {{folder}}/sqlstudio.conf;
              }
              """);
        var start = new ProcessStartInfo(binary) { RedirectStandardError = true, RedirectStandardOutput = true, UseShellExecute = false };
        foreach (var arg in new[] { "-p", folder, "-c", Path.Combine(folder, "nginx.conf"), "-g", "daemon off; master_process off;" })
        {
            start.ArgumentList.Add(arg);
        }
        var process = Process.Start(start)!;
        process.BeginOutputReadLine();
        process.BeginErrorReadLine();
        var errorLog = Path.Combine(folder, "error.log");
        await Loopback.WaitListeningAsync(port, process, "nginx", () => File.Exists(errorLog) ? File.ReadAllText(errorLog) : "");
        return new NginxServer(process, folder, new Uri($"http://127.0.0.1:{port}"));
    }

    public async ValueTask DisposeAsync()
    {
        if (!_process.HasExited)
        {
            _process.Kill(entireProcessTree: true);
            await _process.WaitForExitAsync();
        }
        _process.Dispose();
        try
        {
            Directory.Delete(_folder, recursive: true);
        }
        catch (IOException)
        {
        }
    }
}
