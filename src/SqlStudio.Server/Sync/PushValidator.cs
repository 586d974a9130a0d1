using System.Text.Json;
using System.Text.RegularExpressions;
using SqlStudio.Contracts;
using SqlStudio.Server.Data;

namespace SqlStudio.Server.Sync;

/// <summary>A mutation whose shape is valid: known type, valid ids and op, its time normalised and clamped.</summary>
public sealed record ValidMutation(string MutationId, EntitySpec Spec, string EntityId, bool IsDelete, long BaseVersion, string UpdatedAt, JsonElement? Data)
{
    /// <summary>The parent this mutation names (a message's chat), read with the push's rows.</summary>
    public string? ParentId =>
        Spec.Parent is { } parent && Data is { ValueKind: JsonValueKind.Object } data && data.TryGetProperty(parent.Name, out var value) &&
        value.ValueKind == JsonValueKind.String && PushValidator.IsId(value.GetString())
            ? value.GetString()
            : null;
}

/// <summary>
/// Checks a push before anything is read: the request (device id, mutation count) and each mutation's shape (ids, type,
/// op, time, base version sign). Pure: no I/O, no clock of its own.
/// </summary>
public static partial class PushValidator
{
    public static Failure? ValidateRequest(PushRequest request, int maxMutations)
    {
        var errors = new Dictionary<string, string[]>();
        if (!IsId(request.DeviceId))
        {
            errors["device_id"] = [IdRules.Required("device_id")];
        }
        if (request.Mutations is null)
        {
            errors["mutations"] = ["mutations is required."];
        }
        else if (request.Mutations.Count > maxMutations)
        {
            errors["mutations"] = [$"At most {maxMutations} mutations per push; send the rest in the next one."];
        }
        else if (request.Mutations.Any(m => m is null))
        {
            errors["mutations"] = ["Every mutation must be an object."];
        }
        return errors.Count > 0 ? Failure.Validation(errors) : null;
    }

    /// <summary>
    /// The mutation, validated; or its rejection. A device clock far in the future would win every conflict for ever,
    /// so a time later than <paramref name="latest"/> counts as <paramref name="latest"/>.
    /// </summary>
    public static (ValidMutation? Valid, MutationResult? Rejected) Validate(Mutation m, string latest)
    {
        var mutationId = m.MutationId ?? "";
        if (!IsId(mutationId))
        {
            return Reject(mutationId, MutationErrorCodes.InvalidMutationId, IdRules.Required("mutation_id"));
        }
        if (EntityCatalogue.Find(m.EntityType) is not { } spec)
        {
            return Reject(mutationId, MutationErrorCodes.UnknownType, $"entity_type must be one of: {string.Join(", ", EntityTypes.All)}.");
        }
        if (!IsId(m.EntityId))
        {
            return Reject(mutationId, MutationErrorCodes.InvalidId, IdRules.Required("entity_id"));
        }
        if (m.Op is not ("upsert" or "delete"))
        {
            return Reject(mutationId, MutationErrorCodes.InvalidOp, "op must be 'upsert' or 'delete'.");
        }
        if (SyncRecords.NormalizeTime(m.UpdatedAt) is not { } updatedAt)
        {
            return Reject(mutationId, MutationErrorCodes.InvalidUpdatedAt, "updated_at must be an ISO-8601 time.");
        }
        if (m.BaseVersion < 0)
        {
            return Reject(mutationId, MutationErrorCodes.InvalidBaseVersion, $"base_version {m.BaseVersion} is not a version this record has had.");
        }
        if (string.CompareOrdinal(updatedAt, latest) > 0)
        {
            updatedAt = latest;
        }
        return (new ValidMutation(mutationId, spec, m.EntityId!, m.Op == "delete", m.BaseVersion, updatedAt, m.Data), null);
    }

    public static MutationResult Rejected(string mutationId, string code, string message) =>
        new(mutationId, MutationStatus.Rejected, 0, 0, null, null, new MutationError(code, message));

    private static (ValidMutation?, MutationResult?) Reject(string mutationId, string code, string message) =>
        (null, Rejected(mutationId, code, message));

    public static bool IsId(string? value) => IdRules.IsId(value);
}
