"""Readies a server holding a demo cohort for fuzzing, and lists the ids the fuzzer may use.

The demo cohort has cases and children but no panel meetings: the panel chair schedules a
few, with the panel member sitting on them, and puts cases on their agendas, so that the
meeting and agenda-item operations (and the panel member's reads) have something real to
act on. Then each role's own view of the cohort is read through the API, so that the
generated requests of a role can name the cases it may read as well as those it may not.

Usage: prepare.py URL TOKENS.json OUT.json
TOKENS.json maps each role to {"token": ..., "username": ...}.
"""

import datetime
import json
import sys
import urllib.request

AUTHORITY = "E10000003"
CASES_PAGE = "query($after: String) { cases(first: 100, after: $after) { pageInfo { hasNextPage endCursor } nodes { id child { id } team allocatedWorker status primaryPlan { route currentStep } } } }"
NOTIFICATIONS = "{ notifications(first: 100) { nodes { id } } }"
SCHEDULE = "mutation($i: SchedulePanelMeetingInput!) { schedulePanelMeeting(input: $i) { id } }"
ADD_ITEM = "mutation($i: AddAgendaItemInput!) { addAgendaItem(input: $i) { id } }"
TODAY = "{ today }"
ROUTES = "{ routes { steps { key } } }"

# The purpose a case goes to panel for, by the route of its plan.
PURPOSES = {
    "ADOPTION": ["SHOBPA_CONSENT", "ADOPTION_MATCH"],
    "LONG_TERM_FOSTERING": ["LONG_TERM_FOSTER_MATCH"],
    "SPECIAL_GUARDIANSHIP": ["SPECIAL_GUARDIANSHIP_PLAN"],
    "REUNIFICATION": ["REUNIFICATION_PLAN"],
}
# Enough of each kind for the fuzzer to pick from, few enough to keep the file small.
MAX_IDS = 400


def graphql(url: str, token: str, query: str, variables: dict | None = None) -> dict:
    body = json.dumps({"query": query, "variables": variables or {}}).encode()
    request = urllib.request.Request(
        url,
        data=body,
        headers={"content-type": "application/json", "authorization": f"Bearer {token}"},
    )
    with urllib.request.urlopen(request, timeout=60) as response:
        return json.loads(response.read())


def cases_of(url: str, token: str) -> list[dict]:
    """Every case the token's holder may read, up to MAX_IDS."""
    found, after = [], None
    while len(found) < MAX_IDS:
        answer = graphql(url, token, CASES_PAGE, {"after": after})
        page = (answer.get("data") or {}).get("cases")
        if not page:
            break
        found.extend(page["nodes"])
        if not page["pageInfo"]["hasNextPage"]:
            break
        after = page["pageInfo"]["endCursor"]
    return found[:MAX_IDS]


def schedule_panels(url: str, users: dict, cases: list[dict], today: str) -> tuple[list, list]:
    """Meetings on the chair's and member's diary, with open cases on their agendas."""
    chair = users["PANEL_CHAIR"]
    meetings, items = [], []
    year, month, day = (int(p) for p in today.split("-"))
    for kind, month_ahead in (("ADOPTION", 1), ("PERMANENCE", 2), ("COMBINED", 3)):
        sits_on = f"{year + (month + month_ahead - 1) // 12:04d}-{(month + month_ahead - 1) % 12 + 1:02d}-{min(day, 28):02d}"
        answer = graphql(url, chair["token"], SCHEDULE, {"i": {
            "localAuthority": AUTHORITY, "kind": kind, "sitsOn": sits_on,
            "chair": chair["username"], "members": [users["PANEL_MEMBER"]["username"]]}})
        meeting = ((answer.get("data") or {}).get("schedulePanelMeeting") or {}).get("id")
        if meeting is None:
            raise SystemExit(f"could not schedule a panel meeting: {answer}")
        meetings.append(meeting)
    open_cases = [c for c in cases if c["status"] == "OPEN" and c.get("primaryPlan")]
    for case in open_cases:
        if len(items) >= 3 * len(meetings):
            break
        for purpose in PURPOSES.get(case["primaryPlan"]["route"], []):
            meeting = meetings[len(items) % len(meetings)]
            answer = graphql(url, chair["token"], ADD_ITEM, {"i": {
                "meetingId": meeting, "caseId": case["id"], "purpose": purpose}})
            item = ((answer.get("data") or {}).get("addAgendaItem") or {}).get("id")
            if item is not None:
                items.append(item)
                break
    return meetings, items


def dates_before(today: str, days: int) -> list[str]:
    """Every date of the last `days` days: when the cohort's cases happened."""
    end = datetime.date.fromisoformat(today)
    return [str(end - datetime.timedelta(days=n)) for n in range(days)]


def main() -> int:
    url, tokens_file, out = sys.argv[1:4]
    users = json.loads(open(tokens_file).read())
    adm = users["AGENCY_DECISION_MAKER"]["token"]
    today = graphql(url, adm, TODAY)["data"]["today"]
    cases = cases_of(url, adm)
    if not cases:
        raise SystemExit("the demo cohort has no cases the agency decision maker can read")
    meetings, items = schedule_panels(url, users, cases, today)
    steps = sorted({s["key"] for r in graphql(url, adm, ROUTES)["data"]["routes"] for s in r["steps"]})
    roles = {}
    for role, user in users.items():
        own = cases_of(url, user["token"])
        notes = graphql(url, user["token"], NOTIFICATIONS)
        roles[role] = {
            "cases": [c["id"] for c in own],
            "children": [c["child"]["id"] for c in own],
            "notifications": [n["id"] for n in ((notes.get("data") or {}).get("notifications") or {}).get("nodes", [])],
        }
    ids = {
        "authority": AUTHORITY,
        "today": today,
        "cases": [c["id"] for c in cases],
        "children": sorted({c["child"]["id"] for c in cases}),
        "meetings": meetings,
        "items": items,
        "teams": sorted({c["team"] for c in cases if c.get("team")}),
        "workers": sorted({c["allocatedWorker"] for c in cases if c.get("allocatedWorker")}),
        "usernames": sorted(u["username"] for u in users.values()),
        "steps": steps,
        "dates": dates_before(today, 1500),
        "roles": roles,
    }
    with open(out, "w") as f:
        json.dump(ids, f)
    own = ", ".join(f"{role} {len(v['cases'])}" for role, v in roles.items())
    print(f"cohort: {len(cases)} cases, {len(ids['children'])} children, {len(meetings)} panel "
          f"meetings with {len(items)} agenda items; cases each role reads: {own}")
    return 0


if __name__ == "__main__":
    sys.exit(main())
