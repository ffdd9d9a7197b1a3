"""Schemathesis hooks for the permanence API, loaded by .ci/schemathesis/run.sh.

The API refuses bad input with a client error code (VALIDATION, NOT_FOUND, FORBIDDEN,
TRANSITION_NOT_ALLOWED, ...); what it must never do is fail on it: no HTTP 5xx and no
error without a code or with INTERNAL (`no_internal_error`).

A run on random UUIDs and strings would only ever hear FORBIDDEN or NOT_FOUND (a record
that does not exist is refused in the words of one out of reach) or VALIDATION. So the
generated documents are
rewritten (`map_body`): most ids are swapped for real ones of the demo cohort, by the name
of the argument or input field that carries them (a `caseId` gets a case's id, a
`meetingId` a panel meeting's), often one the role may read, sometimes one it may not; and
the authority, teams, users, route steps, SSDA903 codes and dates are the cohort's. The
rewrite draws from a
generator seeded by the run's seed and the document, so the same seed makes the same
requests.

Every response is recorded (`after_call`) with what it shows the request reached, which
summary.py counts:
- `data`: a resolver answered with data (a non-null top-level field);
- `decided`: the engine weighed the command against the case and refused it
  (TRANSITION_NOT_ALLOWED, VERSION_CONFLICT, CONFLICT);
- `validation`: a resolver (or the domain) refused a value it checked (VALIDATION);
- `gate`: every error is UNAUTHENTICATED, FORBIDDEN or NOT_FOUND, or the answer was null:
  the request stopped at authorisation or at a record that is not there;
- `before`: no resolver ran: an error without a `path`, or BAD_REQUEST (the document or
  an argument's type refused by async-graphql before execution), or an HTTP status other
  than 200.
`data` and `decided` got past the checks of their arguments and reached what the resolver
is for: summary.py requires a share of those. `validation` is not counted with them: the
resolvers check their arguments' codes and shapes first, and a run that sent only
unknown codes and ids would be refused there as often as a useful one.
"""

import dataclasses
import json
import os
import random

import graphql
import schemathesis

GATE_CODES = {"UNAUTHENTICATED", "FORBIDDEN", "NOT_FOUND"}
DECIDED_CODES = {"TRANSITION_NOT_ALLOWED", "VERSION_CONFLICT", "CONFLICT"}
# How often a generated value is swapped for one of the cohort's: often enough that most
# requests name real records, not always, so that unknown ids and values are still sent.
# PERMANENCE_FUZZ_SWAP=0 turns the swapping off (the run then fails its share: see run.sh).
SWAP = float(os.environ.get("PERMANENCE_FUZZ_SWAP", "0.85"))
# Of the swapped case and child ids, the share taken from those the role may read.
OWN = 0.7


def _load_ids() -> dict:
    path = os.environ.get("PERMANENCE_FUZZ_IDS")
    if not path:
        return {}
    with open(path) as f:
        return json.load(f)


IDS = _load_ids()
ROLE = os.environ.get("PERMANENCE_FUZZ_ROLE", "")
SEED = os.environ.get("PERMANENCE_FUZZ_SEED", "0")
LOG = os.environ.get("PERMANENCE_FUZZ_LOG")
DATABASE = os.environ.get("PERMANENCE_FUZZ_DATABASE", "")


def _own(kind: str) -> list:
    return (IDS.get("roles", {}).get(ROLE) or {}).get(kind) or []


def _pool(rng: random.Random, kind: str) -> list:
    own = _own(kind)
    if own and rng.random() < OWN:
        return own
    return IDS.get(kind) or own


# Codes the national return (and so the API) accepts, by the field of the mutation that
# takes them and the input field's name; a generated string is swapped for one of them.
CODES = {
    "legalStatus": ["C1", "C2", "E1", "D1", "V2", "J1"],
    "placement": ["U1", "U3", "U4", "U6", "A3", "A5", "P1", "K2", "R1"],
    "provider": ["PR0", "PR1", "PR2", "PR4"],
    "participation": ["PN0", "PN1", "PN3", "PN7"],
    "ethnicity": ["WBRI", "MWBC", "BAFR", "AIND", "OOTH"],
    "categoryOfNeed": ["N1", "N2", "N4", "N8"],
    "placementChangeReason": ["CARPL", "CLOSE", "ALLEG", "STAND", "OTHER"],
}
BY_FIELD = {
    ("closeCase", "reason"): ["E11", "E12", "E41", "E45", "E47", "E4A", "E8", "E13"],
    ("reverseAdoptionDecision", "reason"): ["RD1", "RD2", "RD3", "RD4"],
    ("recordAdopters", "sex"): ["M1", "F1", "MM", "FF", "MF"],
    ("recordAdopters", "legalStatus"): ["L0", "L11", "L12", "L2", "L3", "L4"],
}


# What a string argument or input field holds, by its name and the top-level field (the
# query or mutation) it is sent to.
def _pool_for(rng: random.Random, name: str, field: str) -> list:
    if (field, name) in BY_FIELD:
        return BY_FIELD[(field, name)]
    if name == "caseId" or (name == "id" and field == "case"):
        return _pool(rng, "cases")
    if name == "childId" or (name == "id" and field == "child"):
        return _pool(rng, "children")
    if name == "meetingId" or (name == "id" and field == "panelMeeting"):
        return IDS.get("meetings") or []
    if name == "itemId":
        return IDS.get("items") or []
    if name == "id" and field == "acknowledgeNotification":
        return _own("notifications")
    if name == "localAuthority":
        return [IDS["authority"]] if "authority" in IDS else []
    if name == "team":
        return IDS.get("teams") or []
    if name in ("allocatedWorker", "chair", "members"):
        return (IDS.get("usernames") or []) + (IDS.get("workers") or [])[:5]
    if name == "step":
        return IDS.get("steps") or []
    if name in CODES:
        return CODES[name]
    if (name.endswith("On") or name in ("from", "to", "asOf", "birthDate", "on", "returnBy")) and "dates" in IDS:
        return IDS["dates"]
    return []


def _rewrite(node, name: str, field: str, rng: random.Random):
    """The value node, with strings swapped for the cohort's where its name says what it is."""
    language = graphql.language
    if isinstance(node, language.ObjectValueNode):
        fields = tuple(
            dataclasses.replace(f, value=_rewrite(f.value, f.name.value, field, rng)) for f in node.fields
        )
        return dataclasses.replace(node, fields=fields)
    if isinstance(node, language.ListValueNode):
        return dataclasses.replace(node, values=tuple(_rewrite(v, name, field, rng) for v in node.values))
    if isinstance(node, language.StringValueNode):
        if name == "commandId":
            return node  # a fresh command id is what a client sends
        pool = _pool_for(rng, name, field)
        if pool and rng.random() < SWAP:
            return language.StringValueNode(value=rng.choice(pool))
    return node


def _rewrite_selections(selection_set, top: str | None, rng: random.Random):
    if selection_set is None:
        return None
    selections = []
    for selection in selection_set.selections:
        if isinstance(selection, graphql.language.FieldNode):
            field = top or selection.name.value
            arguments = tuple(
                dataclasses.replace(a, value=_rewrite(a.value, a.name.value, field, rng))
                for a in selection.arguments or ()
            )
            selection = dataclasses.replace(
                selection,
                arguments=arguments,
                selection_set=_rewrite_selections(selection.selection_set, field, rng),
            )
        selections.append(selection)
    return dataclasses.replace(selection_set, selections=tuple(selections))


@schemathesis.hook
def map_body(ctx, body):
    """Swaps generated values for the cohort's (see the module's documentation)."""
    if not IDS:
        return body
    document = body
    if isinstance(body, str):
        try:
            document = graphql.parse(body)
        except graphql.GraphQLError:
            return body
    if not isinstance(document, graphql.language.DocumentNode):
        return body
    rng = random.Random(f"{SEED}:{ROLE}:{graphql.print_ast(document)}")
    definitions = tuple(
        dataclasses.replace(d, selection_set=_rewrite_selections(d.selection_set, None, rng))
        if isinstance(d, graphql.language.OperationDefinitionNode)
        else d
        for d in document.definitions
    )
    rewritten = dataclasses.replace(document, definitions=definitions)
    return graphql.print_ast(rewritten) if isinstance(body, str) else rewritten


def outcome(status: int, text: str) -> str:
    """What the response shows the request reached (see the module's documentation)."""
    if status != 200:
        return "before"
    try:
        body = json.loads(text or "{}")
    except ValueError:
        return "before"
    data = body.get("data") or {}
    if any(value is not None for value in data.values()):
        return "data"
    errors = body.get("errors") or []
    codes = {(e.get("extensions") or {}).get("code") for e in errors}
    # BAD_REQUEST is async-graphql's own refusal of the document or of an argument's type
    # (an Int out of range is refused with the field's path, but before its resolver runs).
    if not errors or any("path" not in e for e in errors) or "BAD_REQUEST" in codes:
        return "before"
    if codes & DECIDED_CODES:
        return "decided"
    if codes - GATE_CODES:
        return "validation"
    return "gate"


def _mode(case) -> str:
    """POSITIVE (a request the schema allows) or NEGATIVE (one it does not)."""
    meta = getattr(case, "_meta", None)
    mode = getattr(getattr(meta, "generation", None), "mode", None)
    return str(getattr(mode, "name", mode or "POSITIVE")).upper()


@schemathesis.hook
def after_call(ctx, case, response):
    if not LOG:
        return
    record = {
        "database": DATABASE,
        "role": ROLE,
        "operation": case.operation.label,
        "mode": _mode(case),
        "status": response.status_code,
        "outcome": outcome(response.status_code, response.text),
    }
    if os.environ.get("PERMANENCE_FUZZ_VERBOSE"):
        record["request"] = case.body if isinstance(case.body, str) else graphql.print_ast(case.body)
        record["response"] = response.text[:600]
    with open(LOG, "a") as f:
        f.write(json.dumps(record) + "\n")


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
