"""`cloudoptim events classify FILE...`: what CloudOptim would do with each EventBridge event, before it happens.

The events are parsed by the ingest Lambda's own models (cloudoptim.interruptions.notices) and decided by the
engine it calls (engines.interruption.events.classify), at `--now` (default: the current time), so the answer is
the Lambda's. A file holds one event, a JSON array of events, events one after another, or an SQS batch as the
Lambda receives it (`{"Records": [{"body": "..."}]}`).
"""

from __future__ import annotations

import argparse
import json
import time
from collections.abc import Iterator
from pathlib import Path
from typing import Any

from pydantic import ValidationError

from cli.timeparse import parse_time
from cloudoptim.adapters.file_io import read_text
from cloudoptim.adapters.kube.documents import parse_documents
from cloudoptim.errors import InputFileError, InvalidArgumentError
from cloudoptim.interruptions.notices import NOTICE_EVENT, to_notices
from engines.interruption.events import DETAIL_TYPES, ClassifyPolicy, Notice, classify


def add_commands(areas: Any) -> None:
    events = areas.add_parser("events", help="EC2 and AWS Health events: what CloudOptim does with them")
    commands = events.add_subparsers(dest="command", required=True, metavar="COMMAND")
    command = commands.add_parser("classify", help="the action the ingest Lambda takes for each event, and why")
    command.add_argument("files", nargs="+", metavar="FILE", help="EventBridge events (JSON), or an SQS batch")
    command.add_argument("--now", help="ISO-8601 moment to decide at (default: now); events are aged against it")
    command.add_argument(
        "--max-age-seconds", type=int, help="oldest Spot interruption warning still acted on (default 600)"
    )
    command.add_argument("--policy", metavar="PATH", help="JSON with any ClassifyPolicy field (max ages, deadlines)")
    command.add_argument("--format", choices=["json", "table"], default="table")
    command.set_defaults(run=run_classify)


def run_classify(args: argparse.Namespace) -> str:
    now = parse_time(args.now, "--now") if args.now else int(time.time())
    policy = _policy(args)
    decisions: list[dict[str, Any]] = []
    rejected: list[dict[str, Any]] = []
    for path in args.files:
        for where, event in _events(Path(path)):
            _classify_one(event, where, now, policy, decisions, rejected)
    result = {"decisions": decisions, "rejected": rejected}
    return json.dumps(result, indent=2) if args.format == "json" else _table(result)


def _policy(args: argparse.Namespace) -> ClassifyPolicy:
    fields: dict[str, Any] = {}
    if args.policy:
        try:
            fields = json.loads(read_text(Path(args.policy)))
        except json.JSONDecodeError as exc:
            raise InputFileError(f"{args.policy}: not JSON ({exc.msg} at line {exc.lineno})") from None
        if not isinstance(fields, dict):
            raise InputFileError(f"{args.policy}: expected a JSON object of ClassifyPolicy fields")
    if args.max_age_seconds is not None:
        fields["interruption_max_age_seconds"] = args.max_age_seconds
    try:
        return ClassifyPolicy.model_validate(fields)
    except ValidationError as exc:
        problem = exc.errors()[0]
        where = ".".join(str(p) for p in problem.get("loc", ()))
        raise InvalidArgumentError(f"{args.policy or '--max-age-seconds'}: {where}: {problem.get('msg')}") from None


def _events(path: Path) -> Iterator[tuple[str, Any]]:
    """(where, event) for every event of the file, unwrapping arrays and SQS batches."""
    for number, document in enumerate(parse_documents(read_text(path), str(path)), 1):
        items = document if isinstance(document, list) else [document]
        for index, item in enumerate(items):
            where = f"{path}: document {number}" + (f"[{index}]" if isinstance(document, list) else "")
            if isinstance(item, dict) and isinstance(item.get("Records"), list):
                for record_index, record in enumerate(item["Records"]):
                    yield f"{where}, Records[{record_index}]", _body(record)
            else:
                yield where, item


def _body(record: Any) -> Any:
    body = record.get("body") if isinstance(record, dict) else None
    if not isinstance(body, str):
        return record
    try:
        return json.loads(body)
    except json.JSONDecodeError:
        return body  # rejected below, as the Lambda drops it


def _classify_one(
    event: Any, where: str, now: int, policy: ClassifyPolicy, decisions: list[dict[str, Any]], rejected: list[Any]
) -> None:
    if not isinstance(event, dict):
        rejected.append({"event_id": None, "reason": f"{where}: not an EventBridge event (a JSON object)"})
        return
    event_id, detail_type = event.get("id"), event.get("detail-type")
    if detail_type not in DETAIL_TYPES:
        why = f"detail type {detail_type!r} is none of the four CloudOptim acts on"
        decisions.append(_decision(event_id, detail_type, _instances(event), "ignore", [why]))
        return
    try:
        notices = to_notices(NOTICE_EVENT.validate_python(event))
    except ValidationError as exc:
        problem = exc.errors()[0]
        field = ".".join(str(p) for p in problem.get("loc", ()) if p not in DETAIL_TYPES)
        rejected.append({"event_id": event_id, "reason": f"{where}: {field}: {problem.get('msg')}"})
        return
    if not notices:  # the Lambda drops these; a Health event of another service says why it does nothing
        decided = classify(_without_instance(event), policy, now)
        if decided.action == "ignore" and decided.kind is not None:
            decisions.append(_decision(event_id, detail_type, [], "ignore", list(decided.reasons)))
        else:
            rejected.append({"event_id": event_id, "reason": f"{where}: the event names no EC2 instance"})
        return
    groups: dict[tuple[str, tuple[str, ...]], list[str]] = {}
    for received in notices:
        decided = classify(received.notice, policy, now)
        groups.setdefault((decided.action, decided.reasons), []).append(received.notice.instance_id)
    for (action, reasons), instances in groups.items():
        decisions.append(_decision(event_id, detail_type, instances, action, list(reasons)))


def _without_instance(event: dict[str, Any]) -> Notice:
    raw = event.get("detail")
    detail: dict[str, Any] = raw if isinstance(raw, dict) else {}
    return Notice(
        str(event.get("detail-type")), "", 0, source=event.get("source"), account=event.get("account"),
        service=detail.get("service"), category=detail.get("eventTypeCategory"), status=detail.get("statusCode"),
    )  # fmt: skip


def _decision(event_id: Any, detail_type: Any, instances: list[str], action: str, reasons: list[str]) -> dict[str, Any]:
    return {
        "event_id": event_id,
        "detail_type": detail_type,
        "instance_ids": instances,
        "action": action,
        "reasons": reasons,
    }


def _instances(event: dict[str, Any]) -> list[str]:
    detail = event.get("detail")
    found: list[Any] = [detail.get("instance-id"), detail.get("EC2InstanceId")] if isinstance(detail, dict) else []
    resources = event.get("resources")
    found += [r.rsplit("/", 1)[-1] for r in resources if isinstance(r, str)] if isinstance(resources, list) else []
    return sorted({i for i in found if isinstance(i, str) and i.startswith("i-")})


def _table(result: dict[str, Any]) -> str:
    lines = [f"{len(result['decisions'])} decision(s), {len(result['rejected'])} rejected"]
    for d in result["decisions"]:
        lines.append(f"{d['action']:<19} {d['event_id']}  {d['detail_type']}  {', '.join(d['instance_ids'])}")
        lines.extend(f"{'':<20}{reason}" for reason in d["reasons"])
    for r in result["rejected"]:
        lines.append(f"{'rejected':<19} {r['event_id']}  {r['reason']}")
    return "\n".join(lines)
