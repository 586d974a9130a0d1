namespace SqlStudio.Sync;

/// <summary>
/// Folders and files only their owner can read (0700 and 0600 on Unix): a profile holds a session's refresh token, its
/// workspace and the key ring that protects its secrets. On Windows the user's profile folder already limits access.
/// </summary>
public static class PrivateFiles
{
    public const UnixFileMode FolderMode = UnixFileMode.UserRead | UnixFileMode.UserWrite | UnixFileMode.UserExecute;
    public const UnixFileMode FileMode = UnixFileMode.UserRead | UnixFileMode.UserWrite;

    /// <summary>Creates the folder (and missing parents) owner-only, and narrows an existing one to owner-only.</summary>
    public static string Folder(string path)
    {
        if (OperatingSystem.IsWindows())
        {
            Directory.CreateDirectory(path);
            return path;
        }
        Directory.CreateDirectory(path, FolderMode);
        System.IO.File.SetUnixFileMode(path, FolderMode);
        return path;
    }

    /// <summary>Narrows a file to owner-only, creating it empty when missing (before SQLite or anything else writes it).</summary>
    public static void File(string path)
    {
        if (OperatingSystem.IsWindows())
        {
            return;
        }
        if (!System.IO.File.Exists(path))
        {
            using var _ = new FileStream(path, new FileStreamOptions
            {
                Mode = System.IO.FileMode.CreateNew, Access = FileAccess.Write, UnixCreateMode = FileMode,
            });
        }
        System.IO.File.SetUnixFileMode(path, FileMode);
    }

    /// <summary>Every file in the folder owner-only (a key ring another library wrote).</summary>
    public static void FilesIn(string folder)
    {
        if (OperatingSystem.IsWindows() || !Directory.Exists(folder))
        {
            return;
        }
        foreach (var file in Directory.EnumerateFiles(folder))
        {
            System.IO.File.SetUnixFileMode(file, FileMode);
        }
    }
}
