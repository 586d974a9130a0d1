using System.Text.Json;

namespace SqlStudio.Cli;

internal static class CliJson
{
    /// <summary>The API's JSON: snake_case both ways.</summary>
    public static readonly JsonSerializerOptions Options = new(JsonSerializerDefaults.Web)
    {
        PropertyNamingPolicy = JsonNamingPolicy.SnakeCaseLower,
        WriteIndented = true,
    };
}
