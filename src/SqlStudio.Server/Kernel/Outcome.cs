using Microsoft.AspNetCore.Http.HttpResults;
using Microsoft.AspNetCore.Mvc;
using SqlStudio.Contracts;
namespace SqlStudio.Server.Kernel;

/// <summary>An expected failure: what the API answers as Problem Details and a page shows as a message.</summary>
public sealed record Failure(int Status, string Code, string Detail, IDictionary<string, string[]>? Errors = null)
{
    /// <summary>For 429: when the client may try again (sent as <c>Retry-After</c>).</summary>
    public TimeSpan? RetryAfter { get; init; }

    public static Failure RateLimited(TimeSpan retryAfter) =>
        new(StatusCodes.Status429TooManyRequests, ErrorCodes.RateLimited, "Too many attempts. Try again later.") { RetryAfter = retryAfter };

    public static Failure Validation(IDictionary<string, string[]> errors) =>
        new(StatusCodes.Status400BadRequest, ErrorCodes.ValidationFailed, "Some fields need attention.", errors);

    /// <summary>The Problem Details answer (validation failures with their field errors), as a typed result.</summary>
    public ProblemHttpResult ToProblem(HttpContext? context = null)
    {
        if (RetryAfter is { } wait && context is not null)
        {
            context.Response.Headers.RetryAfter = ((int)Math.Ceiling(wait.TotalSeconds)).ToString(System.Globalization.CultureInfo.InvariantCulture);
        }
        ProblemDetails problem = Errors is { Count: > 0 } && Status == StatusCodes.Status400BadRequest
            ? new HttpValidationProblemDetails(Errors) { Title = "Validation failed" }
            : new ProblemDetails { Title = Title(Status) };
        problem.Status = Status;
        problem.Detail = Detail;
        problem.Extensions["code"] = Code;
        if (Errors is { Count: > 0 } && problem is not HttpValidationProblemDetails)
        {
            problem.Extensions["errors"] = Errors;
        }
        return TypedResults.Problem(problem);
    }

    private static string Title(int status) => status switch
    {
        400 => "Bad request",
        401 => "Unauthorized",
        403 => "Forbidden",
        404 => "Not found",
        409 => "Conflict",
        429 => "Too many requests",
        _ => "Error",
    };
}

/// <summary>A value or a <see cref="Failure"/>: how services report expected failures without exceptions.</summary>
public readonly record struct Outcome<T>
{
    private Outcome(T? value, Failure? failure)
    {
        Value = value;
        Failure = failure;
    }

    public T? Value { get; }

    public Failure? Failure { get; }

    public static implicit operator Outcome<T>(T value) => new(value, null);

    public static implicit operator Outcome<T>(Failure failure) => new(default, failure);
}
