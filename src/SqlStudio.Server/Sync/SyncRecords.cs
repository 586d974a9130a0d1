using System.Globalization;
using System.Text;
using System.Text.Json;
using System.Text.Json.Nodes;
using SqlStudio.Contracts;
using SqlStudio.Server.Data;

namespace SqlStudio.Server.Sync;

/// <summary>A synced row as stored: its sync columns and its field values in database form.</summary>
public sealed class SyncRow
{
    public required string Id { get; init; }
    public long Version { get; set; }
    public long ServerSeq { get; set; }
    public Dictionary<string, FieldStamp> FieldVersions { get; set; } = new();
    public required string UpdatedAt { get; set; }
    public string? UpdatedByDevice { get; set; }
    public string? DeletedAt { get; set; }
    public required string CreatedAt { get; init; }
    public Dictionary<string, object?> Values { get; } = new();

    public bool Deleted => DeletedAt is not null;
}

/// <summary>A field error found while reading a record: what the push result's <c>error</c> carries.</summary>
public sealed record RecordError(string Code, string Message);

/// <summary>Turns JSON records into database values (validated against the catalogue) and rows back into JSON.</summary>
public static class SyncRecords
{
    /// <summary>The pseudo-field that versions a record's deletion, so delete-vs-edit conflicts like any field.</summary>
    public const string DeletedField = "deleted";

    private static readonly HashSet<string> MetaFields =
        ["id", "version", "server_seq", "updated_at", "updated_by_device", "deleted", "created_at", "user_id", "field_versions"];

    /// <summary>
    /// Reads the fields of <paramref name="data"/>: only catalogue fields, of the right kind, within their limits.
    /// Meta fields a client echoes back (id, version...) are ignored; anything else is an error.
    /// </summary>
    public static (Dictionary<string, object?>? Values, RecordError? Error) Read(EntitySpec spec, JsonElement data, bool isNew)
    {
        if (data.ValueKind != JsonValueKind.Object)
        {
            return (null, new RecordError(MutationErrorCodes.InvalidData, "data must be a JSON object of the record's fields."));
        }
        var values = new Dictionary<string, object?>(StringComparer.Ordinal);
        foreach (var property in data.EnumerateObject())
        {
            if (spec.SecretFields?.Contains(property.Name) == true || (spec.SecretFields is not null && Credentials.IsSecretKey(property.Name)))
            {
                return (null, new RecordError(MutationErrorCodes.SecretField,
                    $"'{property.Name}' is a secret and never leaves the device; strip it before syncing."));
            }
            if (MetaFields.Contains(property.Name))
            {
                continue;
            }
            if (!spec.ByName.TryGetValue(property.Name, out var field))
            {
                return (null, new RecordError(MutationErrorCodes.UnknownField, $"{spec.Type} has no field '{property.Name}'."));
            }
            var (value, error) = ReadValue(field, property.Value);
            if (error is not null)
            {
                return (null, error);
            }
            values[field.Name] = value;
        }
        if (spec.SecretFields is not null && FindSecret(values) is { } path)
        {
            return (null, new RecordError(MutationErrorCodes.SecretField,
                $"{path} carries a password, key, token or passphrase (credentials never leave the device); strip it before syncing."));
        }
        foreach (var field in spec.Fields.Where(f => f.Required))
        {
            var present = values.TryGetValue(field.Name, out var v);
            if ((isNew && !present) || (present && v is null))
            {
                return (null, new RecordError(MutationErrorCodes.MissingField, $"{spec.Type}.{field.Name} is required."));
            }
        }
        if (isNew)
        {
            foreach (var field in spec.Fields.Where(f => f.Default is not null))
            {
                if (!values.TryGetValue(field.Name, out var v) || v is null)
                {
                    values[field.Name] = field.Default;
                }
            }
        }
        else
        {
            foreach (var field in spec.Fields.Where(f => f.Default is not null && values.ContainsKey(f.Name) && values[f.Name] is null))
            {
                values[field.Name] = field.Default;
            }
        }
        return (values, null);
    }

    private static (object? Value, RecordError? Error) ReadValue(FieldSpec field, JsonElement value)
    {
        if (value.ValueKind == JsonValueKind.Null)
        {
            return (null, null);
        }
        switch (field.Kind)
        {
            case FieldKind.Text when value.ValueKind == JsonValueKind.String:
                if (!Kernel.TextRules.TryGetString(value, out var text))
                {
                    return (null, new RecordError(MutationErrorCodes.InvalidField, $"{field.Name} is not valid Unicode text (a lone surrogate?)."));
                }
                if (Encoding.UTF8.GetByteCount(text) > field.MaxBytes)
                {
                    return (null, new RecordError(MutationErrorCodes.TooLarge, $"{field.Name} is larger than {Describe(field.MaxBytes)}."));
                }
                if (field.Allowed is { } allowed && !allowed.Contains(text))
                {
                    return (null, new RecordError(MutationErrorCodes.InvalidField, $"{field.Name} must be one of: {string.Join(", ", allowed)}."));
                }
                return (text, null);
            case FieldKind.Integer when value.ValueKind == JsonValueKind.Number && value.TryGetInt64(out var number):
                if ((field.Min is { } min && number < min) || (field.Max is { } max && number > max))
                {
                    return (null, new RecordError(MutationErrorCodes.InvalidField, $"{field.Name} must be between {field.Min} and {field.Max}."));
                }
                return (number, null);
            case FieldKind.Boolean when value.ValueKind is JsonValueKind.True or JsonValueKind.False:
                return (value.GetBoolean() ? 1L : 0L, null);
            case FieldKind.Json:
                if (JsonText.FindProblem(value, field.Name) is { } problem)
                {
                    return (null, new RecordError(MutationErrorCodes.InvalidField, problem));
                }
                var raw = value.GetRawText();
                return Encoding.UTF8.GetByteCount(raw) > field.MaxBytes
                    ? (null, new RecordError(MutationErrorCodes.TooLarge, $"{field.Name} is larger than {Describe(field.MaxBytes)}."))
                    : (raw, null);
            default:
                return (null, new RecordError(MutationErrorCodes.InvalidField, $"{field.Name} must be {Article(field.Kind)}."));
        }
    }

    /// <summary>The record as it goes out: fields in JSON form, plus id and the sync metadata.</summary>
    public static JsonObject ToJson(EntitySpec spec, SyncRow row)
    {
        var record = new JsonObject { ["id"] = row.Id };
        if (!row.Deleted)
        {
            foreach (var field in spec.Fields)
            {
                record[field.Name] = ToJsonValue(field, row.Values.GetValueOrDefault(field.Name));
            }
        }
        record["version"] = row.Version;
        record["server_seq"] = row.ServerSeq;
        record["updated_at"] = row.UpdatedAt;
        record["updated_by_device"] = row.UpdatedByDevice;
        record["deleted"] = row.Deleted;
        return record;
    }

    /// <summary>The same record as <see cref="ToJson"/>, written to a JSON writer.</summary>
    public static void Write(Utf8JsonWriter writer, EntitySpec spec, SyncRow row)
    {
        writer.WriteStartObject();
        writer.WriteString("id", row.Id);
        if (!row.Deleted)
        {
            foreach (var field in spec.Fields)
            {
                var value = row.Values.GetValueOrDefault(field.Name);
                if (value is null)
                {
                    writer.WriteNull(field.Name);
                    continue;
                }
                switch (field.Kind)
                {
                    case FieldKind.Boolean:
                        writer.WriteBoolean(field.Name, Convert.ToInt64(value, CultureInfo.InvariantCulture) != 0);
                        break;
                    case FieldKind.Integer:
                        writer.WriteNumber(field.Name, Convert.ToInt64(value, CultureInfo.InvariantCulture));
                        break;
                    case FieldKind.Json:
                        writer.WritePropertyName(field.Name);
                        writer.WriteRawValue((string)value, skipInputValidation: true);
                        break;
                    default:
                        writer.WriteString(field.Name, value.ToString());
                        break;
                }
            }
        }
        writer.WriteNumber("version", row.Version);
        writer.WriteNumber("server_seq", row.ServerSeq);
        writer.WriteString("updated_at", row.UpdatedAt);
        writer.WriteString("updated_by_device", row.UpdatedByDevice);
        writer.WriteBoolean("deleted", row.Deleted);
        writer.WriteEndObject();
    }

    /// <summary>Database values of some fields as a JSON object (for conflict rows and the import journal).</summary>
    public static JsonObject FieldsToJson(EntitySpec spec, IReadOnlyDictionary<string, object?> values, bool? deleted = null)
    {
        var json = new JsonObject();
        foreach (var (name, value) in values)
        {
            if (spec.ByName.TryGetValue(name, out var field))
            {
                json[name] = ToJsonValue(field, value);
            }
        }
        if (deleted is { } d)
        {
            json[DeletedField] = d;
        }
        return json;
    }

    public static JsonNode? ToJsonValue(FieldSpec field, object? value) => value switch
    {
        null => null,
        _ when field.Kind == FieldKind.Boolean => Convert.ToInt64(value, CultureInfo.InvariantCulture) != 0,
        _ when field.Kind == FieldKind.Integer => Convert.ToInt64(value, CultureInfo.InvariantCulture),
        string json when field.Kind == FieldKind.Json => JsonNode.Parse(json),
        _ => value.ToString(),
    };

    /// <summary>Parses a device's ISO-8601 time and writes it in the one stored format.</summary>
    public static string? NormalizeTime(string? time)
    {
        if (time is null || !DateTimeOffset.TryParse(time, CultureInfo.InvariantCulture, DateTimeStyles.AssumeUniversal, out var parsed))
        {
            return null;
        }
        return StoredTime.Format(parsed);
    }

    /// <summary>
    /// A record the database refused, as a field error the client can act on: the field the constraint names (NOT NULL,
    /// CHECK, UNIQUE) when it names one of the type's fields, or a missing parent for a foreign key. The database's
    /// own text never reaches the client.
    /// </summary>
    public static RecordError Refused(EntitySpec spec, Exception exception)
    {
        var text = exception.Message;
        if (text.Contains("FOREIGN KEY", StringComparison.OrdinalIgnoreCase))
        {
            return new RecordError(MutationErrorCodes.MissingParent, spec.Parent is { } parent
                ? $"{spec.Type}.{parent.Name} names a record that does not exist."
                : $"{spec.Type} refers to a record that does not exist.");
        }
        var field = spec.Fields.FirstOrDefault(f => System.Text.RegularExpressions.Regex.IsMatch(text, $@"\b{f.Name}\b"));
        return field is null
            ? new RecordError(MutationErrorCodes.InvalidData, $"The {spec.Type} record breaks one of the server's storage rules; correct it and send it again.")
            : new RecordError(MutationErrorCodes.InvalidField, $"{spec.Type}.{field.Name}: this value is not accepted (for example empty, or out of range).");
    }

    /// <summary>The first secret in a connection's values (Credentials' rules, at any depth of options), as a path.</summary>
    private static string? FindSecret(Dictionary<string, object?> values)
    {
        foreach (var (name, value) in values)
        {
            if (value is not string text)
            {
                continue;
            }
            if (name == "options")
            {
                try
                {
                    if (Credentials.FindSecret(JsonNode.Parse(text), name) is { } found)
                    {
                        return found;
                    }
                }
                catch (JsonException)
                {
                    // Not JSON: the field's own validation answers that.
                }
            }
            else if (Credentials.HasSecretValue(text))
            {
                return name;
            }
        }
        return null;
    }

    private static string Describe(int bytes) => bytes >= EntityCatalogue.MiB ? $"{bytes / EntityCatalogue.MiB} MiB"
        : bytes >= EntityCatalogue.KiB ? $"{bytes / EntityCatalogue.KiB} KiB" : $"{bytes} bytes";

    private static string Article(FieldKind kind) => kind switch
    {
        FieldKind.Text => "a string",
        FieldKind.Integer => "an integer",
        FieldKind.Boolean => "true or false",
        _ => "JSON",
    };
}
