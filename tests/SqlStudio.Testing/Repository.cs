namespace SqlStudio.Testing;

/// <summary>Where the repository is checked out, found from the test binary (the folder holding SqlStudio.slnx).</summary>
public static class Repository
{
    public static string Root { get; } = Find();

    private static string Find()
    {
        for (var dir = new DirectoryInfo(AppContext.BaseDirectory); dir is not null; dir = dir.Parent)
        {
            if (File.Exists(Path.Combine(dir.FullName, "SqlStudio.slnx")))
            {
                return dir.FullName;
            }
        }
        throw new InvalidOperationException("SqlStudio.slnx not found above " + AppContext.BaseDirectory);
    }
}
