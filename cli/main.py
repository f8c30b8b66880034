"""`cloudoptim` command line: parses arguments once, runs one command, maps typed errors to exit codes."""

from __future__ import annotations

import argparse
import sys
from collections.abc import Sequence

from pydantic import ValidationError

from cli import analyze, audit, consolidate, events, hibernate, local, ml, onboarding, rightsize, spot, waste
from cloudoptim.errors import CloudOptimError
from ml.artifact import ModelArtifactError

EXIT_ERROR = 2


def build_parser() -> argparse.ArgumentParser:
    parser = argparse.ArgumentParser(prog="cloudoptim", description="Cut the cost of Kubernetes on AWS.")
    commands = parser.add_subparsers(dest="area", required=True, metavar="AREA")
    spot.add_commands(commands)
    rightsize.add_commands(commands)
    consolidate.add_commands(commands)
    analyze.add_commands(commands)
    events.add_commands(commands)
    ml.add_commands(commands)
    onboarding.add_commands(commands)
    local.add_commands(commands)
    audit.add_commands(commands)
    hibernate.add_commands(commands)
    waste.add_commands(commands)
    return parser


def main(argv: Sequence[str] | None = None) -> int:
    args = build_parser().parse_args(argv)
    try:
        output = args.run(args)
    except (CloudOptimError, ModelArtifactError) as exc:
        print(f"cloudoptim: error: {exc}", file=sys.stderr)
        return EXIT_ERROR
    except ValidationError as exc:
        print(f"cloudoptim: error: {_first_validation_problem(exc)}", file=sys.stderr)
        return EXIT_ERROR
    except audit.TamperedError as exc:
        print(f"cloudoptim: {exc}", file=sys.stderr)
        return audit.EXIT_TAMPERED
    try:
        sys.stdout.write(output if output.endswith("\n") else output + "\n")
        sys.stdout.flush()
    except BrokenPipeError:  # e.g. piped into `head`: not an error of ours
        return 0
    return 0


def _first_validation_problem(exc: ValidationError) -> str:
    problem = exc.errors()[0]
    where = ".".join(str(part) for part in problem.get("loc", ())) or "input"
    return f"{where}: {problem.get('msg', 'invalid value')}"


if __name__ == "__main__":
    raise SystemExit(main())
