using System.ComponentModel.DataAnnotations;

namespace SqlStudio.Server.Email;

/// <summary>The <c>Email</c> section (docs/configuration.md).</summary>
public sealed class EmailOptions
{
    public const string Section = "Email";

    /// <summary><c>pickup</c> (write <c>.eml</c> files, the default) or <c>smtp</c>.</summary>
    [RegularExpression("(?i)^(pickup|smtp)$", ErrorMessage = "must be 'pickup' or 'smtp'.")]
    public string Mode { get; set; } = "pickup";

    public string PickupDirectory { get; set; } = "data/mail";

    public string From { get; set; } = "SQL Studio Cloud <no-reply@localhost>";

    public SmtpOptions Smtp { get; set; } = new();

    public EmailOutboxOptions Outbox { get; set; } = new();
}

public sealed class SmtpOptions
{
    public string? Host { get; set; }
    public int Port { get; set; } = 587;
    public string? Username { get; set; }
    public string? Password { get; set; }

    /// <summary>Require TLS (STARTTLS on 587, implicit TLS on 465); off only for a local relay.</summary>
    public bool UseTls { get; set; } = true;
}
