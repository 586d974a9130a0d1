namespace SqlStudio.Server.Email;

/// <summary>What a template produces: a subject, the HTML part, the plain-text part, and the links it carries.</summary>
public sealed record EmailMessage(string To, string ToName, string Subject, string Html, string Text, IReadOnlyList<string> Links);

/// <summary>The words of one email, rendered into both parts by <c>EmailHtml.razor</c> and <c>EmailText.razor</c>.</summary>
public sealed record EmailContent(
    string Subject, string Greeting, IReadOnlyList<string> Paragraphs, string? ActionLabel = null, string? ActionUrl = null,
    string? Footnote = null);
