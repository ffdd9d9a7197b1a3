"""The national validator of the SSDA903 return, as a gate on an export.

Runs csc-validator-be-903 (import name lac_validator) through its Python API, as the DfE's
own tool does: the files of the year go through `process_uploaded_files`, `LacValidator`
runs the rule registry of the collection year over them, and `Report(...).error_report`
counts the errors per rule. Exits 1 when any error is counted, when a table the engine
exports is missing or empty (this year's, and last year's when --previous is given), or
when a rule crashed, other than the known crashes of this validator version below.

Usage: validate.py DIR --year 2026 [--local-authority E10000003] [--previous DIR]

How lac_validator reports a rule that did not run (`LacValidator.validate`): a rule that
returns an empty dict is listed in `LacValidator.skips` (its rule functions return {} when
a table they need is not in the return: OC2, OC3, UASC, Missing, PrevPerm, SWEpisodes, the
Ofsted provider lookups); a rule whose function raised is listed in `LacValidator.fails`
(the exception is logged and the rule is passed over). Neither is counted in the error
report, so a rule that crashes on the export (a column renamed, a date it cannot parse)
would pass unseen: here every crashed rule is run again to get its exception, and the run
fails unless that exception is one of KNOWN_CRASHES.
"""

import argparse
import contextlib
import importlib
import io
import logging
import os
import sys
from pathlib import Path


# The tables the engine exports: none may be missing or empty, or the rules on it would
# be skipped (or pass on no rows) rather than run.
EXPORTED = ("Header", "Episodes", "Reviews", "AD1", "PlacedAdoption")

# Rules of this validator version that crash on every return, whatever its data: the rule
# reads a column that is not in the table's specification. Each is allowed only with the
# exception named here; a change of version that fixes one makes its entry unused (printed).
KNOWN_CRASHES = {
    "231": ("KeyError", "UASC_STATUS", "reads a UASC_STATUS column the 2025-26 Header does not have"),
    "233": ("KeyError", "DATE_EPISODE_CEASED", "reads DATE_EPISODE_CEASED, not a column of Episodes (its DEC)"),
}


def table_problems(dfs: dict, previous: bool) -> list[str]:
    """Exported tables that are missing or have no rows."""
    names = list(EXPORTED) + ([f"{t}_last" for t in EXPORTED] if previous else [])
    problems = []
    for name in names:
        if name not in dfs:
            problems.append(f"table {name} is not in the return")
        elif len(dfs[name]) == 0:
            problems.append(f"table {name} is empty")
    return problems


def crash_problems(validator, registry) -> list[str]:
    """Rules that crashed other than as KNOWN_CRASHES says; prints the known ones."""
    from lac_validator.datastore import copy_datastore, create_datastore

    data_store = create_datastore(validator.dfs, validator.metadata)
    problems = []
    for code in sorted(map(str, validator.fails)):
        rule = registry[code] if code in registry else next(r for c, r in registry.items() if str(c) == code)
        try:
            with contextlib.redirect_stderr(io.StringIO()), contextlib.redirect_stdout(io.StringIO()):
                rule.func(copy_datastore(data_store))
            exception = None
        except Exception as e:  # what the validator caught and logged
            exception = e
        kind = type(exception).__name__ if exception is not None else "no exception"
        detail = str(exception) if exception is not None else "it ran when tried again"
        known = KNOWN_CRASHES.get(code)
        if known and known[0] == kind and known[1] in detail:
            print(f"  known crash of this validator version: rule {code} {known[2]} ({kind} {detail})")
        else:
            problems.append(f"rule {code} crashed: {kind}: {detail}")
    for code in sorted(set(KNOWN_CRASHES) - set(map(str, validator.fails))):
        print(f"  rule {code} no longer crashes: its KNOWN_CRASHES entry can go")
    return problems


def main() -> int:
    parser = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    parser.add_argument("dir", type=Path)
    parser.add_argument("--year", type=int, required=True, help="the year the collection ends in")
    parser.add_argument("--local-authority", default="E10000003")
    parser.add_argument("--previous", type=Path, help="last year's return, for the rules that compare")
    args = parser.parse_args()

    # The validator logs every rule at INFO and a traceback for each rule that cannot run.
    logging.disable(logging.CRITICAL)
    with contextlib.redirect_stderr(io.StringIO()):
        from lac_validator.lac_validator import LacValidator
        from lac_validator.report import Report
        from lac_validator.utils import process_uploaded_files

    ruleset = f"lac{args.year - 1}_{args.year % 100:02d}"
    registry = importlib.import_module(f"lac_validator.rules.{ruleset}").registry

    files = {"This year": sorted(str(p) for p in args.dir.glob("*.csv"))}
    if args.previous:
        files["Prev year"] = sorted(str(p) for p in args.previous.glob("*.csv"))
    uploaded = process_uploaded_files(files)
    metadata = {"collectionYear": str(args.year), "localAuthority": args.local_authority}
    with contextlib.redirect_stderr(io.StringIO()), contextlib.redirect_stdout(io.StringIO()):
        validator = LacValidator(metadata=metadata, files=uploaded, registry=registry)
        report = Report(validator.ds_results, registry)
        errors = report.error_report

    tables = ", ".join(f"{name} {len(df)}" for name, df in validator.dfs.items())
    print(f"ssda903 validator {ruleset}: tables {tables}")
    print(
        f"rules: {len(registry)} in the registry, {len(validator.dones)} ran, "
        f"{len(validator.skips)} skipped (a table they need is not in the return), "
        f"{len(validator.fails)} could not run on the data"
    )
    print(f"  skipped: {' '.join(sorted(map(str, validator.skips)))}")
    print(f"  could not run: {' '.join(sorted(map(str, validator.fails)))}")
    failing = errors[errors["Count"] > 0]
    total = int(failing["Count"].sum()) if len(failing) else 0
    print(f"errors: {total}")
    for _, row in failing.iterrows():
        print(f"  {row['Code']}: {int(row['Count'])}  {row['Description']}")
    if total and os.environ.get("SSDA903_SHOW_ROWS"):
        # Where the errors are, by table and row (for fixing the generator or the export).
        columns = [c for c in report.report.columns if c.startswith("ERR_")]
        flagged = report.report[report.report[columns].fillna(False).astype(bool).any(axis=1)]
        for _, row in flagged.head(int(os.environ["SSDA903_SHOW_ROWS"])).iterrows():
            rules = [c[4:] for c in columns if row[c] is True]
            print(f"  {row['Table']} row {row['RowID']} CHILD {row['CHILD']}: {' '.join(rules)}")
    problems = table_problems(validator.dfs, args.previous is not None)
    problems += crash_problems(validator, registry)
    for problem in problems:
        print(f"FAIL: {problem}")
    return 1 if total or problems else 0


if __name__ == "__main__":
    sys.exit(main())
