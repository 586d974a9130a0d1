using Microsoft.AspNetCore.Authorization;
using Microsoft.AspNetCore.OpenApi;
using Microsoft.OpenApi;
using SqlStudio.Server.Auth;

namespace SqlStudio.Server.Web;

/// <summary>
/// What the generated OpenAPI document says beyond the endpoints themselves: how each operation is authenticated
/// (a bearer access token, the browser's session cookie, or nothing), and that every failure is a Problem Details
/// answer with a <c>code</c>. Linted by <c>@redocly/cli</c> in test.sh.
/// </summary>
public static class OpenApiContract
{
    private const string Bearer = "bearer";
    private const string Cookie = "session_cookie";
    private const string Problem = "Problem";

    public static void Configure(OpenApiOptions options)
    {
        options.AddDocumentTransformer((document, context, _) =>
        {
            var app = context.ApplicationServices.GetRequiredService<AppOptions>();
            document.Info.Title = "SQL Studio Cloud API";
            document.Info.Description = "Accounts, cloud sync and billing for SQL Studio's Individual tier.";
            document.Info.License = new OpenApiLicense { Name = "SQL Studio Cloud terms of service", Url = new Uri(app.Link("/terms")) };
            foreach (var tag in document.Tags ?? new HashSet<OpenApiTag>())
            {
                tag.Description ??= tag.Name switch
                {
                    "Auth" => "Accounts, sessions and tokens (email and password, GitHub, Google; the desktop app's PKCE sign-in).",
                    "Sync" => "Devices, push, pull, head and the live event stream, conflicts, imports, integrity.",
                    "Billing" => "Plans, Stripe Checkout and portal, the subscription, Stripe's webhook.",
                    "Account" => "The account's own data: export and deletion.",
                    "Beta" => "Waitlist, feedback, onboarding, what's new, feature flags.",
                    "Admin" => "Launch figures for operators.",
                    _ => null,
                };
            }
            foreach (var server in document.Servers ?? [])
            {
                server.Url = server.Url?.TrimEnd('/');
            }
            document.Components ??= new OpenApiComponents();
            document.Components.SecuritySchemes ??= new Dictionary<string, IOpenApiSecurityScheme>();
            document.Components.SecuritySchemes[Bearer] = new OpenApiSecurityScheme
            {
                Type = SecuritySchemeType.Http, Scheme = "bearer", BearerFormat = "JWT",
                Description = "An access token from /api/auth/login or /api/auth/refresh (15 minutes).",
            };
            document.Components.SecuritySchemes[Cookie] = new OpenApiSecurityScheme
            {
                Type = SecuritySchemeType.ApiKey, In = ParameterLocation.Cookie, Name = "sqlstudio_session",
                Description = "The session cookie of the signed-in pages.",
            };
            document.Components.Schemas ??= new Dictionary<string, IOpenApiSchema>();
            document.Components.Schemas[Problem] = new OpenApiSchema
            {
                Type = JsonSchemaType.Object,
                Description = "RFC 9457 Problem Details; `code` is the stable, machine-readable reason (each route lists its own).",
                Required = new HashSet<string> { "status", "code" },
                Properties = new Dictionary<string, IOpenApiSchema>
                {
                    ["type"] = new OpenApiSchema { Type = JsonSchemaType.String },
                    ["title"] = new OpenApiSchema { Type = JsonSchemaType.String },
                    ["status"] = new OpenApiSchema { Type = JsonSchemaType.Integer },
                    ["detail"] = new OpenApiSchema { Type = JsonSchemaType.String },
                    ["code"] = new OpenApiSchema { Type = JsonSchemaType.String },
                    ["errors"] = new OpenApiSchema
                    {
                        Type = JsonSchemaType.Object,
                        Description = "Per field, what to change (validation failures).",
                        AdditionalProperties = new OpenApiSchema { Type = JsonSchemaType.Array, Items = new OpenApiSchema { Type = JsonSchemaType.String } },
                    },
                },
            };
            return Task.CompletedTask;
        });
        options.AddOperationTransformer((operation, context, _) =>
        {
            var document = context.Document!;
            // A stable name for client generators: the method and the path ("postApiSyncPush", "getApiSyncChangesByCursor"…).
            operation.OperationId ??= OperationId(context.Description.HttpMethod ?? "get", context.Description.RelativePath ?? "");
            var policies = context.Description.ActionDescriptor.EndpointMetadata.OfType<IAuthorizeData>().Select(a => a.Policy).ToList();
            var anonymous = policies.Count == 0 || context.Description.ActionDescriptor.EndpointMetadata.OfType<IAllowAnonymous>().Any();
            OpenApiSecurityRequirement Requirement(string scheme) => new() { [new OpenApiSecuritySchemeReference(scheme, document)] = [] };
            operation.Security = anonymous
                ? [new OpenApiSecurityRequirement()]
                : policies.Contains(AuthExtensions.ApiOrPagePolicy) ? [Requirement(Bearer), Requirement(Cookie)]
                : policies.Contains(AuthExtensions.PagePolicy) ? [Requirement(Cookie)]
                : [Requirement(Bearer)];

            operation.Responses ??= new OpenApiResponses();
            var problem = new Dictionary<string, OpenApiMediaType>
            {
                ["application/problem+json"] = new() { Schema = new OpenApiSchemaReference(Problem, document) },
            };
            if (!anonymous)
            {
                operation.Responses.TryAdd("401", new OpenApiResponse { Description = $"Not signed in, or the session ended (`{Contracts.ErrorCodes.Unauthorized}`).", Content = problem });
            }
            // The failures a route can answer, each with its status, codes and meaning (#24): clients handle them by status.
            // Answers of the same status (two kinds of 400, a route's own 401 beside "not signed in") share one entry.
            foreach (var answers in context.Description.ActionDescriptor.EndpointMetadata.OfType<Refusals>().SelectMany(r => r.Answers).GroupBy(a => a.Status))
            {
                var status = answers.Key.ToString(System.Globalization.CultureInfo.InvariantCulture);
                var description = string.Join(" Or: ", answers.Select(a => a.Description));
                if (operation.Responses.TryGetValue(status, out var declared))
                {
                    description = $"{declared.Description} Or: {description}";
                }
                operation.Responses[status] = new OpenApiResponse { Description = description, Content = problem };
            }
            operation.Responses.TryAdd("4XX", new OpenApiResponse { Description = "Refused: the Problem Details `code` says why and what to do.", Content = problem });
            operation.Responses.TryAdd("5XX", new OpenApiResponse
            {
                Description = "Not available right now (`database_unavailable`, `payments_unavailable`, `sync_busy`…); `Retry-After` says when to try again.",
                Content = problem,
            });
            return Task.CompletedTask;
        });
    }

    private static string OperationId(string method, string path)
    {
        var words = new List<string> { method.ToLowerInvariant() };
        foreach (var segment in path.Split('/', StringSplitOptions.RemoveEmptyEntries))
        {
            var parameter = segment.StartsWith('{');
            var word = new string(segment.Where(char.IsLetterOrDigit).ToArray());
            if (word.Length > 0)
            {
                words.Add((parameter ? "By" : "") + char.ToUpperInvariant(word[0]) + word[1..]);
            }
        }
        return string.Concat(words);
    }
}
