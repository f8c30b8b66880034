"""`cloudoptim local drill|rehearsal|up`: the whole product on this machine (moto + a Kubernetes emulator)."""

from __future__ import annotations

import argparse
import json
import os
import signal
import sys
import threading
from collections.abc import Callable, Iterator
from contextlib import contextmanager
from pathlib import Path
from typing import Any

from cloudoptim.errors import InputFileError, InvalidArgumentError

FORMATS = ("json",)


def add_commands(areas: Any) -> None:
    local = areas.add_parser("local", help="run the whole product on this machine: drills and trials")
    commands = local.add_subparsers(dest="command", required=True, metavar="COMMAND")
    drill = commands.add_parser("drill", help="send Spot notices through the local stack and report what happened")
    drill.add_argument("--events", type=int, default=100, help="notices to send, duplicates included (default 100)")
    drill.add_argument("--duplicates", type=float, default=0.1, help="share re-delivered with the same event id")
    drill.add_argument("--seed", type=int, default=7)
    drill.add_argument("--rate", type=float, default=20.0, help="notices per second at most (default 20)")
    drill.add_argument("--max-in-flight", type=int, default=16, help="unfinished workflows at most (default 16)")
    drill.add_argument("--spot-only", action="store_true", help="interrupt Spot nodes only (AWS's own rule)")
    drill.add_argument(
        "--faults",
        type=float,
        default=0.0,
        metavar="FRACTION",
        help="share of unique notices with a fault: ingest or a task crashing after its claim and before its side "
        "effect, DynamoDB throttling, a Lambda timing out (default 0)",
    )
    drill.add_argument(
        "--hostile",
        type=int,
        default=0,
        metavar="N",
        help="hostile messages to put in front of ingest: forged account, foreign region, foreign source, stale, "
        "malformed, oversized, deeply nested, unknown instance (default 0)",
    )
    drill.add_argument(
        "--event-age", type=float, default=0.0, help="date notices this many seconds earlier (late delivery)"
    )
    drill.add_argument("--format", choices=FORMATS, default="json")
    _stack_options(drill)
    drill.set_defaults(run=run_drill)
    rehearsal = commands.add_parser(
        "rehearsal", help="mass interruption of one pool across tenants through ingest (executions started, not run)"
    )
    rehearsal.add_argument("--notices", type=int, default=1000, help="notices to send, duplicates included")
    rehearsal.add_argument("--tenants", type=int, default=10, help="tenants whose nodes share the pool (default 10)")
    rehearsal.add_argument("--window-seconds", type=float, default=120.0, help="send them all within (default 120)")
    rehearsal.add_argument("--duplicates", type=float, default=0.05, help="share re-delivered (default 0.05)")
    rehearsal.add_argument("--throttled", type=float, default=0.05, help="share with DynamoDB writes throttled")
    rehearsal.add_argument("--seed", type=int, default=7)
    rehearsal.add_argument("--format", choices=FORMATS, default="json")
    _stack_options(rehearsal)
    rehearsal.set_defaults(run=run_rehearsal)
    hibernate = commands.add_parser(
        "hibernate-drill", help="put the emulated cluster to sleep and wake it; report what came back"
    )
    hibernate.add_argument("--format", choices=FORMATS, default="json")
    _stack_options(hibernate)
    hibernate.set_defaults(run=run_hibernate_drill)
    escalation = commands.add_parser(
        "escalation-drill",
        help="interrupt one Spot pool for three tenants in turn while others run nodes there; report the hive mind's "
        "levels, proactive executions and recommendations",
    )
    escalation.add_argument("--format", choices=FORMATS, default="json")
    _stack_options(escalation)
    escalation.set_defaults(run=run_escalation_drill)
    retrain = commands.add_parser(
        "retrain",
        help="run the weekly RetrainModel state machine on a price history you have (archived as the scraper would)",
    )
    prices_help = "Spot price history: describe-spot-price-history JSON or text, TSV (.xz, .gz, .tar)"
    retrain.add_argument("--prices", type=Path, nargs="+", required=True, help=prices_help)
    retrain.add_argument("--region", default="eu-west-1", help="the region to retrain (default eu-west-1)")
    heuristic_help = "roll the active model back first (ChangeModel): the candidate is judged against the heuristic"
    retrain.add_argument("--from-heuristic", action="store_true", help=heuristic_help)
    retrain.add_argument("--format", choices=FORMATS, default="json")
    _stack_options(retrain)
    retrain.set_defaults(run=run_retrain)
    sweep = commands.add_parser(
        "sweep", help="discover, sweep, approve, execute and re-discover the emulated cluster (tenant demo)"
    )
    sweep.add_argument("--approve", choices=("all", "none"), default="none", help="approve every recommendation")
    sweep.add_argument("--hours", type=int, default=120, help="hours of usage history to sample first (default 120)")
    sweep.add_argument("--format", choices=FORMATS, default="json")
    _stack_options(sweep)
    sweep.set_defaults(run=run_sweep)
    notify = commands.add_parser(
        "notify", help="the demo tenant's weekly summary to a file outbox and its alerts to a local webhook"
    )
    notify.add_argument(
        "--approve", choices=("all", "none"), default="none", help="approve the sweep's recommendations"
    )
    notify.add_argument("--format", choices=FORMATS, default="json")
    _stack_options(notify)
    notify.set_defaults(run=run_notify)
    up = commands.add_parser("up", help="start the local stack and keep it running until Ctrl-C")
    _stack_options(up)
    up.add_argument("--api-port", type=int, default=8080, help="serve the API at http://127.0.0.1:PORT (default 8080)")
    up.set_defaults(run=run_up)
    token = commands.add_parser("token", help="print a bearer token for the local API (a new tenant signs up)")
    token.add_argument("--tenant", required=True, help="tenant id: lowercase letters, digits and '-'")
    token.add_argument("--role", choices=("admin", "operator", "viewer"), default="admin")
    token.add_argument("--hours", type=float, default=12.0, help="validity (default 12 h)")
    token.add_argument(
        "--platform-operator", action="store_true", help="with --role admin: may use /v1/admin/models (the registry)"
    )
    token.set_defaults(run=run_token)


def _stack_options(parser: argparse.ArgumentParser) -> None:
    parser.add_argument("--cluster", type=Path, help="Kubernetes List JSON to seed the emulator (default: shipped)")
    parser.add_argument("--wait-seconds", type=int, default=1, help="the workflow's Wait states (default 1)")
    parser.add_argument("--verbose", action="store_true", help="show the functions' logs on stderr")


def _stack(args: argparse.Namespace, metrics: bool, tenant: str = "local", groups: bool = False) -> Any:
    from localmode.stack import LocalSettings, LocalStack

    seed = None
    if args.cluster is not None:
        try:
            seed = json.loads(args.cluster.read_text())
        except (OSError, ValueError) as exc:
            raise InputFileError(f"cannot read cluster {args.cluster}: {exc}") from exc
    settings = LocalSettings(
        wait_seconds=args.wait_seconds,
        log_level="INFO" if args.verbose else "WARNING",
        metrics=metrics,
        tenant_id=tenant,
        auto_scaling_groups=groups,
    )
    return LocalStack(settings, seed=seed)


@contextmanager
def _stdout_to_stderr() -> Iterator[None]:
    """The functions log to stdout as in Lambda; keep it free for the report (fd level: catches them all)."""
    sys.stdout.flush()
    saved = os.dup(1)
    os.dup2(2, 1)
    try:
        yield
    finally:
        sys.stdout.flush()
        os.dup2(saved, 1)
        os.close(saved)


def run_drill(args: argparse.Namespace) -> str:
    from localmode.drill import DrillSettings
    from localmode.drill import run_drill as drill

    if args.events < 1 or not 0 <= args.duplicates < 1 or args.rate <= 0 or args.max_in_flight < 1:
        raise InvalidArgumentError("--events >= 1, 0 <= --duplicates < 1, --rate > 0 and --max-in-flight >= 1")
    if not 0 <= args.faults <= 1 or args.hostile < 0 or not 0 <= args.event_age < 3600:
        raise InvalidArgumentError("0 <= --faults <= 1, --hostile >= 0 and 0 <= --event-age < 3600")
    settings = DrillSettings(
        events=args.events,
        duplicates=args.duplicates,
        seed=args.seed,
        rate_per_second=args.rate,
        max_in_flight=args.max_in_flight,
        spot_only=args.spot_only,
        faults=args.faults,
        hostile=args.hostile,
        event_age_seconds=args.event_age,
    )
    return _on_stack(args, lambda stack: drill(stack, settings))


def run_rehearsal(args: argparse.Namespace) -> str:
    from localmode.rehearsal import RehearsalSettings
    from localmode.rehearsal import run_rehearsal as rehearse

    if args.notices < 1 or args.tenants < 1 or args.window_seconds <= 0:
        raise InvalidArgumentError("--notices >= 1, --tenants >= 1 and --window-seconds > 0")
    if not 0 <= args.duplicates < 1 or not 0 <= args.throttled <= 1:
        raise InvalidArgumentError("0 <= --duplicates < 1 and 0 <= --throttled <= 1")
    settings = RehearsalSettings(args.notices, args.tenants, args.window_seconds, args.duplicates, args.throttled,
                                 args.seed)  # fmt: skip
    return _on_stack(args, lambda stack: rehearse(stack, settings))


def run_hibernate_drill(args: argparse.Namespace) -> str:
    from localmode.hibernate_drill import run_hibernate_drill as drill

    return _on_stack(args, drill)


def run_escalation_drill(args: argparse.Namespace) -> str:
    from localmode.escalation_drill import run_escalation_drill as drill

    return _on_stack(args, drill)


def run_retrain(args: argparse.Namespace) -> str:
    from localmode.retrain_drill import RetrainDrillSettings, run_retrain_drill

    missing = [str(p) for p in args.prices if not p.is_file()]
    if missing:
        raise InputFileError(f"--prices: no such file: {', '.join(missing)}")
    settings = RetrainDrillSettings(tuple(args.prices), args.region, args.from_heuristic)
    return _on_stack(args, lambda stack: run_retrain_drill(stack, settings))


def run_sweep(args: argparse.Namespace) -> str:
    from localmode.sweep_drill import SweepDrill

    if not 100 <= args.hours <= 336:
        raise InvalidArgumentError("--hours: 100 to 336 (rightsizing needs 100 samples; the window is 14 days)")
    return _on_stack(
        args, lambda stack: SweepDrill(stack, approve=args.approve, hours=args.hours).run(), tenant="demo", groups=True
    )


def run_notify(args: argparse.Namespace) -> str:
    from localmode.notify import NotifyDrill

    home = Path(os.environ.get("CLOUDOPTIM_HOME") or Path.home() / ".cloudoptim")
    return _on_stack(
        args, lambda stack: NotifyDrill(stack, home, approve=args.approve).run(), tenant="demo", groups=True
    )


def _on_stack(args: argparse.Namespace, job: Callable[[Any], dict[str, Any]], **options: Any) -> str:
    """Start the local stack (`_stack` options), run one job on it, stop it whatever happens; the job's report as
    JSON. The stack's own output goes to stderr, so stdout holds the report only."""
    with _stdout_to_stderr():
        stack = _stack(args, metrics=args.verbose, **options)
        try:
            stack.start()
            report = job(stack)
        finally:
            stack.stop()
    return json.dumps(report, indent=2)


def run_up(args: argparse.Namespace) -> str:
    from localmode.api import LocalApiServer, local_app

    if not 1 <= args.api_port <= 65535:
        raise InvalidArgumentError(f"--api-port {args.api_port}: a TCP port, 1-65535")
    stack = _stack(args, metrics=True, tenant="demo", groups=True)
    stopped = threading.Event()
    signal.signal(signal.SIGTERM, lambda *_: stopped.set())
    server = None
    try:
        endpoints = stack.start()
        app = local_app(
            stack.deployed.tables,
            stack.aws.endpoint_url,
            stack.aws.region,
            args.api_port,
            stack.deployed.function_env.get("api"),
        )
        server = LocalApiServer(app, args.api_port)
        endpoints["api"] = server.start()
        endpoints["openapi"] = f"{endpoints['api']}/openapi.json"
        endpoints["dashboard"] = f"{endpoints['api']}/ (sign in with /#token=TOKEN, TOKEN from the command below)"
        endpoints["token"] = "cloudoptim local token --tenant demo --role admin|operator|viewer"
        endpoints["first_sweep"] = _first_sweep(stack)
        print(json.dumps(endpoints, indent=2), flush=True)
        print("local stack running; Ctrl-C to stop", file=sys.stderr, flush=True)
        stopped.wait()
    except KeyboardInterrupt:
        pass
    finally:
        if server is not None:
            server.stop()
        stack.stop()
    return "stopped"


def run_token(args: argparse.Namespace) -> str:
    from cloudoptim.tenancy.principal import PLATFORM_OPERATORS, TENANT_ID
    from localmode.api import token

    if not TENANT_ID.match(args.tenant):
        raise InvalidArgumentError(f"--tenant {args.tenant!r}: 1-47 lowercase letters, digits or '-', first not '-'")
    if not 0 < args.hours <= 24 * 7:
        raise InvalidArgumentError("--hours: more than 0, at most 168")
    if args.platform_operator and args.role != "admin":
        raise InvalidArgumentError("--platform-operator: only with --role admin (operators are admins in the group)")
    groups = (PLATFORM_OPERATORS,) if args.platform_operator else ()
    return token(args.tenant, args.role, int(args.hours * 3600), groups)


def _first_sweep(stack: Any) -> str:
    """The demo tenant's cluster swept once, so the API has recommendations to show (recommend only)."""
    from localmode.sweep_drill import SweepDrill

    try:
        report = SweepDrill(stack, approve="none").run()
    except Exception as exc:
        return f"failed: {type(exc).__name__}: {exc}"
    return (
        f"{report['sweep']}: {report['recommendations']} recommendation(s), ${report['projected_savings_per_hour']}/h"
    )
