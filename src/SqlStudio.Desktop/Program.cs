using SqlStudio.Desktop.Host;

// SQL Studio desktop: `dotnet run --project src/SqlStudio.Desktop [-- --home DIR --server URL --port N --no-window]`.
// Prints "SQL Studio is running at http://127.0.0.1:PORT/launch?token=T" and opens the app window (docs/desktop.md).
return await DesktopHost.RunAsync(args, Console.Out, Console.Error);
