"""Schemathesis checks for the permanence API, loaded by .ci/run through SCHEMATHESIS_HOOKS.

The API refuses bad input with a client error code (VALIDATION, NOT_FOUND, FORBIDDEN,
TRANSITION_NOT_ALLOWED, ...); what it must never do is fail on it: no HTTP 5xx and no
error without a code or with INTERNAL.
"""
import json
import schemathesis


@schemathesis.check
def no_internal_error(ctx, response, case):
    """The server may refuse input (VALIDATION, NOT_FOUND, FORBIDDEN, ...), never fail on it."""
    if response.status_code >= 500:
        raise AssertionError(f"HTTP {response.status_code}")
    try:
        body = json.loads(response.text or "{}")
    except ValueError:
        raise AssertionError("the answer is not JSON")
    for error in body.get("errors") or []:
        code = (error.get("extensions") or {}).get("code")
        if code in (None, "INTERNAL"):
            raise AssertionError(f"error without a client code: {error}")
