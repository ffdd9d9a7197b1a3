"""Counts what the fuzzer's requests reached, and fails when too few reached a resolver.

Reads the responses hooks.py recorded (one JSON line each) and prints, by database and
role, how many requests were answered with data, decided against by the engine, refused
by a resolver's check of a value, stopped at the gate (UNAUTHENTICATED, FORBIDDEN,
NOT_FOUND) or refused before any resolver ran (hooks.py says how each is told apart).

Schemathesis generates positive requests (the schema allows them) and negative ones (a
required argument left out, a value of the wrong type): a negative request is refused
before any resolver by design, and is sent to check that it is refused cleanly. So the
share that reached a resolver past its checks (data or decided) is taken over the positive
requests.
Exits 1 when fewer than --min-requests were sent in all, or when that share is below
--min-share, overall or on either database.

Usage: summary.py RESPONSES.jsonl --min-share 0.6 --min-requests 1000
"""

import argparse
import collections
import json
import sys

OUTCOMES = ("data", "decided", "validation", "gate", "before")
REACHED = ("data", "decided")


def share(counts: collections.Counter) -> float:
    total = sum(counts.values())
    return sum(counts[o] for o in REACHED) / total if total else 0.0


def line(label: str, counts: collections.Counter) -> str:
    total = sum(counts.values())
    parts = "  ".join(f"{o} {counts[o]:5d}" for o in OUTCOMES)
    return f"  {label:34s} {total:5d} requests  {parts}  reached {share(counts):6.1%}"


def main() -> int:
    parser = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    parser.add_argument("responses")
    parser.add_argument("--min-share", type=float, required=True)
    parser.add_argument("--min-requests", type=int, required=True)
    args = parser.parse_args()

    by_run = collections.defaultdict(collections.Counter)
    by_database = collections.defaultdict(collections.Counter)
    by_operation = collections.defaultdict(collections.Counter)
    overall = collections.Counter()
    negative = collections.Counter()
    with open(args.responses) as f:
        for text in f:
            record = json.loads(text)
            if record.get("mode", "POSITIVE") != "POSITIVE":
                negative[record["outcome"]] += 1
                continue
            outcome = record["outcome"]
            by_run[(record["database"], record["role"])][outcome] += 1
            by_database[record["database"]][outcome] += 1
            by_operation[record["operation"]][outcome] += 1
            overall[outcome] += 1

    print("positive requests by database and role (data: answered; decided: refused by the engine's "
          "rules; validation: a value refused by a resolver's checks; gate: UNAUTHENTICATED, FORBIDDEN "
          "or NOT_FOUND; before: refused before any resolver; reached: data and decided)")
    for (database, role), counts in sorted(by_run.items()):
        print(line(f"{database} {role}", counts))
    for database, counts in sorted(by_database.items()):
        print(line(f"{database} (all roles)", counts))
    print(line("all", overall))
    print(line("negative requests (all)", negative))
    never = sorted(op for op, counts in by_operation.items() if share(counts) == 0)
    if never:
        print(f"  operations that never reached a resolver: {', '.join(never)}")

    failures = []
    total = sum(overall.values()) + sum(negative.values())
    if total < args.min_requests:
        failures.append(f"{total} requests, fewer than the {args.min_requests} required")
    for label, counts in [("all", overall), *sorted(by_database.items())]:
        if share(counts) < args.min_share:
            failures.append(f"{label}: {share(counts):.1%} of the positive requests reached a resolver past its checks, "
                            f"less than the {args.min_share:.0%} required")
    for failure in failures:
        print(f"FAIL: {failure}")
    return 1 if failures else 0


if __name__ == "__main__":
    sys.exit(main())
