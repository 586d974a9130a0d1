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
        Func<Uri, CancellationToken, Task>? openBrowser = null, HttpMessageHandler? handler = null, CancellationToken cancellationToken = default)
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
        var parsed = root.Parse(args);
        if (parsed.Errors.Count > 0)
        {
            // Bad usage is exit 2 (docs/cli.md), with the parser's sentences and where to read more; no help dump.
            foreach (var problem in parsed.Errors)
            {
                await error.WriteLineAsync(problem.Message);
            }
            var command = string.Join(' ', parsed.CommandResult.Command is RootCommand ? [] : CommandPath(parsed.CommandResult));
            await error.WriteLineAsync($"Run `sqlstudio {(command.Length == 0 ? "" : command + " ")}--help` for usage.");
            return 2;
        }
        return await parsed.InvokeAsync(new InvocationConfiguration { Output = output, Error = error }, cancellationToken);
    }

    private static IEnumerable<string> CommandPath(System.CommandLine.Parsing.CommandResult result)
    {
        var names = new Stack<string>();
        for (var current = result; current is not null && current.Command is not RootCommand; current = current.Parent as System.CommandLine.Parsing.CommandResult)
        {
            names.Push(current.Command.Name);
        }
        return names;
    }
}
