using System.CommandLine;

namespace SqlStudio.Cli;

/// <summary>
/// The <c>sqlstudio</c> command: a device client for SQL Studio Cloud. Commands arrive with the SDK
/// (login, sync, import...); for now it prints its help.
/// </summary>
public static class CliApp
{
    public static async Task<int> RunAsync(string[] args, TextWriter output, TextWriter error)
    {
        var root = new RootCommand(
            "sqlstudio — sign in to SQL Studio Cloud and sync this device's workspace (connections, tabs, history, " +
            "saved queries, AI chats, preferences).");
        root.SetAction(result =>
        {
            // No command given: show what there is, as `--help` would, and succeed.
            return result.RootCommandResult.Command.Parse("--help").Invoke(new InvocationConfiguration { Output = output });
        });
        return await root.Parse(args).InvokeAsync(new InvocationConfiguration { Output = output, Error = error });
    }
}
