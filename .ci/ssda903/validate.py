"""The national validator of the SSDA903 return, as a gate on an export.

Runs csc-validator-be-903 (import name lac_validator) through its Python API, as the DfE's
own tool does: the files of the year go through `process_uploaded_files`, `LacValidator`
runs the rule registry of the collection year over them, and `Report(...).error_report`
counts the errors per rule. Exits 1 when any error is counted.

Usage: validate.py DIR --year 2026 [--local-authority E10000003] [--previous DIR]

`LacValidator.skips` lists rules that returned nothing because a table they need is not in
the return (OC2, OC3, UASC, Missing, PrevPerm, SWEpisodes, last year's tables, the
Ofsted provider lookups); `LacValidator.fails` lists rules that raised an exception on the
data (for example a rule reading a column that the return does not have). Neither is an
error count; both are printed so that a rule that stops running is noticed.
"""

import argparse
import contextlib
import importlib
import io
import logging
import os
import sys
from pathlib import Path


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
    return 1 if total else 0


if __name__ == "__main__":
    sys.exit(main())
