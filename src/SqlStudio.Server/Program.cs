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
