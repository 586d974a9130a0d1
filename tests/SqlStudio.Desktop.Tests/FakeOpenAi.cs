using System.Collections.Concurrent;
using Microsoft.AspNetCore.Builder;
using Microsoft.AspNetCore.Hosting;
using Microsoft.AspNetCore.Hosting.Server;
using Microsoft.AspNetCore.Hosting.Server.Features;
using Microsoft.AspNetCore.Http;
using Microsoft.Extensions.DependencyInjection;
using Microsoft.Extensions.Logging;

namespace SqlStudio.Desktop.Tests;

/// <summary>
/// An OpenAI-compatible endpoint on loopback (the network boundary; the app's code runs for real through OpenAI's SDK and
/// Microsoft.Extensions.AI): <c>POST /v1/chat/completions</c> answers with the documented chat.completion shape.
/// </summary>
public sealed class FakeOpenAi : IAsyncDisposable
{
    private readonly WebApplication _app;

    private FakeOpenAi(WebApplication app) => _app = app;

    public string BaseUrl { get; private set; } = "";

    public ConcurrentQueue<(string? Authorization, string Body)> Requests { get; } = new();

    public static async Task<FakeOpenAi> StartAsync(string answer)
    {
        var builder = WebApplication.CreateSlimBuilder();
        builder.WebHost.UseUrls("http://127.0.0.1:0");
        builder.Logging.SetMinimumLevel(LogLevel.Warning);
        var app = builder.Build();
        var fake = new FakeOpenAi(app);
        app.MapPost("/v1/chat/completions", async (HttpContext context) =>
        {
            using var reader = new StreamReader(context.Request.Body);
            fake.Requests.Enqueue((context.Request.Headers.Authorization.ToString(), await reader.ReadToEndAsync()));
            return Results.Json(new
            {
                id = "chatcmpl-test1", @object = "chat.completion", created = 1764633600, model = "test-model",
                choices = new[] { new { index = 0, message = new { role = "assistant", content = answer }, finish_reason = "stop" } },
                usage = new { prompt_tokens = 12, completion_tokens = 8, total_tokens = 20 },
            });
        });
        await app.StartAsync();
        var address = app.Services.GetRequiredService<IServer>().Features.Get<IServerAddressesFeature>()!.Addresses.First();
        fake.BaseUrl = address.TrimEnd('/') + "/v1";
        return fake;
    }

    public async ValueTask DisposeAsync() => await _app.DisposeAsync();
}
