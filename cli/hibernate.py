"""`cloudoptim hibernate preview`: the wake and sleep times a schedule gives, in UTC, across DST and holidays."""

from __future__ import annotations

import argparse
import json
from datetime import UTC, datetime
from pathlib import Path
from typing import Any

from pydantic import ValidationError

from cli.timeparse import parse_time
from cloudoptim.errors import InputFileError, InvalidArgumentError
from engines.hibernation.schedule import Schedule
from engines.hibernation.timeline import transitions

MAX_DAYS = 366


def add_commands(areas: Any) -> None:
    hibernate = areas.add_parser("hibernate", help="hibernation schedules (spec E5)")
    commands = hibernate.add_subparsers(dest="command", required=True, metavar="COMMAND")
    preview = commands.add_parser("preview", help="list a schedule's wake and sleep transitions in UTC")
    preview.add_argument("--schedule", type=Path, required=True, help="the schedule JSON (as the API takes it)")
    preview.add_argument("--from", dest="start", required=True, help="ISO-8601 start (no offset = UTC)")
    preview.add_argument("--days", type=int, default=7, help=f"days to cover, 1-{MAX_DAYS} (default 7)")
    preview.add_argument("--format", choices=("json",), default="json")
    preview.set_defaults(run=run_preview)


def load_schedule(path: Path) -> Schedule:
    try:
        raw = json.loads(path.read_text())
    except (OSError, ValueError) as exc:
        raise InputFileError(f"{path}: cannot read the schedule ({exc})") from exc
    try:
        return Schedule.model_validate(raw)
    except ValidationError as exc:
        problem = exc.errors()[0]
        where = ".".join(str(p) for p in problem.get("loc", ())) or "schedule"
        message = str(problem.get("msg", "invalid")).removeprefix("Value error, ")
        raise InputFileError(f"{path}: {where}: {message}") from None


def run_preview(args: argparse.Namespace) -> str:
    if not 1 <= args.days <= MAX_DAYS:
        raise InvalidArgumentError(f"--days {args.days}: between 1 and {MAX_DAYS}")
    schedule = load_schedule(args.schedule)
    start = datetime.fromtimestamp(parse_time(args.start, "--from"), UTC)
    found = transitions(schedule, start, args.days)
    body = {"transitions": [{"at": t.at, "action": t.action.value, "local": t.local} for t in found]}
    return json.dumps(body, indent=2)
