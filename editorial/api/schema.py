"""drf-spectacular extensions and hooks: the API token scheme, and the error responses every operation can give."""

from drf_spectacular.contrib.knox_auth_token import KnoxTokenScheme


class ExpiringTokenScheme(KnoxTokenScheme):
    """Our knox authentication subclass: documented as knox's `Authorization: Token <token>` scheme."""

    target_class = "editorial.accounts.ExpiringTokenAuthentication"


# A field's messages, or for a nested field its own fields' messages: an object (a nested serializer, a list
# field's items by index), or a list of them (a list of nested objects, `{}` for an item without errors).
FIELD_ERRORS_SCHEMA = {
    "anyOf": [
        {"type": "array", "items": {"anyOf": [{"type": "string"}, {"$ref": "#/components/schemas/FieldErrors"}]}},
        {"type": "object", "additionalProperties": {"$ref": "#/components/schemas/FieldErrors"}},
    ],
}

ERROR_SCHEMA = {
    "type": "object",
    "properties": {
        "detail": {"type": "string"},
        "code": {"type": "string"},
        "errors": {"type": "object", "additionalProperties": {"$ref": "#/components/schemas/FieldErrors"}},
    },
    "required": ["detail", "code"],
}

_ERRORS = {
    "400": "Invalid input",
    "401": "Not authenticated",
    "403": "Not allowed for this user",
    "404": "Unknown, or not visible to this user",
    "409": "Not allowed in the current state, or a concurrent change won",
    "413": "Too large",
}

# API.md "Sign-in and signing attempts": the operations that answer 429 `too_many_attempts`, with Retry-After.
_TOO_MANY_ATTEMPTS = {
    ("post", "/api/v1/auth/token/"): "Too many failed sign-ins for this username, or sign-ins from this address",
    ("post", "/api/v1/articles/{article_id}/transitions/{name}/"): "Signing locked after too many wrong passwords",
}
_RETRY_AFTER = {
    "Retry-After": {
        "description": "Seconds to wait before trying again",
        "required": True,
        "schema": {"type": "integer"},
    }
}


def add_error_responses(result, generator, request, public):
    components = result.setdefault("components", {}).setdefault("schemas", {})
    components["Error"] = ERROR_SCHEMA
    components["FieldErrors"] = FIELD_ERRORS_SCHEMA
    ref = {"$ref": "#/components/schemas/Error"}
    for path, path_item in result.get("paths", {}).items():
        for method, operation in path_item.items():
            responses = operation.setdefault("responses", {})
            for code, description in _ERRORS.items():
                responses.setdefault(
                    code, {"description": description, "content": {"application/json": {"schema": ref}}}
                )
            if (method, path) in _TOO_MANY_ATTEMPTS:
                responses.setdefault(
                    "429",
                    {
                        "description": _TOO_MANY_ATTEMPTS[method, path],
                        "headers": _RETRY_AFTER,
                        "content": {"application/json": {"schema": ref}},
                    },
                )
    return result
