using SqlStudio.Server;
using SqlStudio.Server.Data;

if (OperatorCommands.Handles(args))
{
    return await OperatorCommands.RunAsync(args);
}

try
{
    await ServerApp.Build(ServerApp.CreateBuilder(args)).RunAsync();
    return 0;
}
catch (MigrationException ex)
{
    Console.Error.WriteLine(ex.Message);
    return 1;
}
catch (Exception ex) when (SqlStudio.Server.Kernel.Settings.IsInvalidSettings(ex))
{
    Console.Error.WriteLine(SqlStudio.Server.Kernel.Settings.Describe(ex));
    return 1;
}
catch (InvalidOperationException ex) when (ex.Message.StartsWith("Failed to convert configuration value", StringComparison.Ordinal))
{
    // The binder's sentence names the key and the type it wanted: "… at 'Sync:MaxPageSize' to type 'System.Int32'".
    Console.Error.WriteLine($"The server did not start: its configuration is invalid.\n  {ex.Message}");
    return 1;
}
