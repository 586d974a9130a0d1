using System.CommandLine;
using SqlStudio.Cli.Commands;

namespace SqlStudio.Cli;

/// <summary>
/// The <c>sqlstudio</c> command: SQL Studio Cloud's device client. Commands that only touch the local store work
/// offline; `sync now` sends and fetches.
/// </summary>
public static class CliApp
{
    public static async Task<int> RunAsync(string[] args, TextWriter output, TextWriter error,
        Func<Uri, CancellationToken, Task>? openBrowser = null, HttpMessageHandler? handler = null)
    {
        var context = new CliContext(output, error, openBrowser, handler);
        var root = new RootCommand(
            "sqlstudio — sign in to SQL Studio Cloud and sync this device's workspace (connections, tabs, history, " +
            "saved queries, AI chats, preferences).")
        {
            context.Server, context.Home, context.Profile,
        };
        foreach (var command in AccountCommands.Create(context).Concat(RecordCommands.Create(context)).Concat(SyncCommands.Create(context)))
        {
            root.Subcommands.Add(command);
        }
        root.SetAction(result =>
            // No command given: show what there is, as `--help` would, and succeed.
            result.RootCommandResult.Command.Parse("--help").Invoke(new InvocationConfiguration { Output = output }));
        return await root.Parse(args).InvokeAsync(new InvocationConfiguration { Output = output, Error = error });
    }
}
