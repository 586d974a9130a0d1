using Dapper;
using SqlStudio.Contracts;
using SqlStudio.Server.Auth;
using SqlStudio.Server.Data;
using SqlStudio.Server.Email;

namespace SqlStudio.Server.Beta;

/// <summary>A piece of feedback as the admin view lists it.</summary>
public sealed record FeedbackRow(string FeedbackId, string Email, string Kind, string Message, long? Rating, string? Context, string CreatedAt);

/// <summary>Feedback from the API, the /feedback page and <c>sqlstudio feedback</c>: stored, listed for admins, forwarded to support.</summary>
public sealed class FeedbackService(Db db, AccountStore accounts, AuthRateLimits limits, BetaOptions options, EmailComposer email, TimeProvider time)
{
    public static readonly string[] Kinds = ["bug", "idea", "praise"];

    public const int MaxMessage = 5000;

    public const int MaxContext = 2000;

    public async Task<Outcome<FeedbackResponse>> SubmitAsync(string userId, FeedbackRequest request, CancellationToken ct = default)
    {
        var errors = new Dictionary<string, string[]>();
        var message = request.Message?.Trim() ?? "";
        var context = string.IsNullOrWhiteSpace(request.Context) ? null : request.Context.Trim();
        if (request.Kind is not { } kind || !Kinds.Contains(kind))
        {
            errors["kind"] = ["Choose bug, idea or praise."];
        }
        if (message.Length == 0)
        {
            errors["message"] = ["Write a few words: what happened, or what you would like."];
        }
        else if (message.Length > MaxMessage || !TextRules.IsMultilineText(message))
        {
            errors["message"] = [$"Use at most {MaxMessage} characters of text."];
        }
        if (request.Rating is { } rating && rating is < 1 or > 5)
        {
            errors["rating"] = ["Rate from 1 to 5, or leave it out."];
        }
        if (context is not null && (context.Length > MaxContext || !TextRules.IsMultilineText(context)))
        {
            errors["context"] = [$"Use at most {MaxContext} characters of text."];
        }
        if (errors.Count > 0)
        {
            return Failure.Validation(errors);
        }
        if (await limits.Feedback(userId) is { } limited)
        {
            return limited;
        }
        var user = await accounts.FindByIdAsync(userId);
        if (user is null)
        {
            return new Failure(401, ErrorCodes.Unauthorized, "Sign in again.");
        }
        var id = Guid.CreateVersion7().ToString();
        var writes = new SqlBatch().Execute(
            BetaStore.FeedbackInsert, new { id, userId, kind = request.Kind, message, rating = request.Rating, context, now = StoredTime.Format(time.GetUtcNow()) });
        if (options.SupportEmail is { Length: > 0 } support)
        {
            (await email.QueueAsync(support, "SQL Studio support", BetaEmails.Feedback(user.Email, request.Kind!, request.Rating, message, context))).AddTo(writes);
        }
        await db.WriteBatchAsync(writes, ct);
        email.Sent();
        return new FeedbackResponse(id);
    }

    /// <summary>The newest feedback first, with who sent it.</summary>
    public async Task<IReadOnlyList<FeedbackRow>> RecentAsync(int limit = 50) =>
        (await db.ReadAsync(c => c.QueryAsync<FeedbackRow>(
            BetaStore.FeedbackLatest, new { limit }))).ToList();
}
