"""Performance patches for a busy in-process moto server; behaviour is unchanged.

Profiling a drill showed most time spent before any backend ran: moto's dispatcher lists its own package
folder (`list_of_moto_modules`: ~150 `isdir` calls) and tries every URL pattern, on every request, under
one global lock; and the Step Functions interpreter builds a new boto3 client (service model load, SSL
context) for every Lambda task, and every execution parses its ASL definition again with ANTLR (~45 ms).
The folder listing and the host -> backend answer never change while the process runs, boto3 clients are
thread-safe, and the parsed program is read-only during evaluation (executions keep their state in their
own `Environment`), so all four are cached. Finally botocore's loader caches service models per session,
and the handlers build a fresh session per assumed role (as they should in Lambda), so every launch
re-read and re-parsed the multi-megabyte EC2 model: the loader's file reads are shared process-wide. The
interpreter also parsed every JSONPath (`$.replacement`, ...) with jsonpath_ng's PLY parser on every state of every
execution (a sixth of a drill's CPU): the parsed expressions are read-only, so they are cached per path string.
Every request also looked its account's backend up under moto's one process-wide lock, held while other threads ran
Python: in a 150-notice drill, ingest waited 53 ms per AWS call there. A backend that exists is read without it.
"""

from __future__ import annotations

import copy
import functools
from collections.abc import Callable
from typing import Any

from botocore.loaders import Loader
from moto import backends
from moto.core.base_backend import BackendDict
from moto.core.utils import unix_time
from moto.dynamodb import models as dynamodb_models
from moto.dynamodb.models import DynamoDBBackend
from moto.dynamodb.models.table import Table
from moto.moto_server.werkzeug_app import DomainDispatcherApplication
from moto.sqs.models import Message, SQSBackend
from moto.stepfunctions.parser.asl.component.common.path import result_path
from moto.stepfunctions.parser.asl.component.state.exec.state_task import lambda_eval_utils
from moto.stepfunctions.parser.asl.parse.asl_parser import AmazonStateLanguageParser
from moto.stepfunctions.parser.asl.utils import json_path
from moto.stepfunctions.parser.backend.execution_worker import ExecutionWorker

_CLIENT_FACTORY = "boto_client_for"  # imported by name into lambda_eval_utils, so patched there


@functools.lru_cache(maxsize=64)
def _parsed_program(definition: str) -> Any:
    return AmazonStateLanguageParser.parse(definition)[0]


def _evaluation_entrypoint(worker: ExecutionWorker) -> Any:
    return _parsed_program(worker._evaluation_details.state_machine_details.definition)


_SHARED_LOADER_METHODS = (
    "load_data_with_path",
    "list_available_services",
    "determine_latest_version",
    "list_api_versions",
)


def _share_loader_cache() -> Callable[[], None]:
    originals = {name: getattr(Loader, name) for name in _SHARED_LOADER_METHODS}
    shared: dict[tuple[Any, ...], Any] = {}

    def cached(name: str) -> Callable[..., Any]:
        method = originals[name]

        def call(loader: Loader, *args: Any, **kwargs: Any) -> Any:
            key = (name, tuple(loader.search_paths), args, tuple(sorted(kwargs.items())))
            if key not in shared:
                shared[key] = method(loader, *args, **kwargs)
            return shared[key]

        return call

    for name in _SHARED_LOADER_METHODS:
        setattr(Loader, name, cached(name))

    def restore() -> None:
        for name, method in originals.items():
            setattr(Loader, name, method)

    return restore


def _cache_json_paths() -> Callable[[], None]:
    modules = (json_path, result_path)
    originals = [(module, module.parse) for module in modules]
    for module, parse in originals:
        module.parse = functools.lru_cache(maxsize=1024)(parse)  # type: ignore[attr-defined]

    def restore() -> None:
        for module, parse in originals:
            module.parse = parse  # type: ignore[attr-defined]

    return restore


class _TablesNotCopied:
    """Stands for the `copy` module inside moto.dynamodb.models: a Table "backup" is the table itself (so the
    original rollback restores nothing), every other deep copy is real. `_backed_up_items` does the rollback."""

    def deepcopy(self, value: Any, memo: Any = None) -> Any:
        return value if isinstance(value, Table) else copy.deepcopy(value, memo)

    def __getattr__(self, name: str) -> Any:
        return getattr(copy, name)


def _transaction_keys(backend: DynamoDBBackend, items: list[dict[str, Any]]) -> list[tuple[str, dict[str, Any]]]:
    keys = []
    for entry in items:
        op_type, op = next(iter(entry.items()))
        table = backend.tables.get(op.get("TableName"))
        if table is None:
            continue
        source = op.get("Item") if op_type == "Put" else op.get("Key")
        names = [table.hash_key_attr, *([table.range_key_attr] if table.range_key_attr else [])]
        if isinstance(source, dict) and all(n in source for n in names):
            keys.append((table.name, {n: source[n] for n in names}))
    return keys


def _backed_up_items(original: Callable[..., None]) -> Callable[..., None]:
    def transact_write_items(backend: DynamoDBBackend, transact_items: list[dict[str, Any]]) -> None:
        backups = [
            (t, key, copy.deepcopy(backend.get_item(t, key))) for t, key in _transaction_keys(backend, transact_items)
        ]
        try:
            original(backend, transact_items)
        except Exception:
            for table_name, key, item in reversed(backups):
                if item is None:
                    backend.delete_item(table_name, key)
                else:
                    backend.put_item(table_name, item.to_json()["Attributes"])
            raise

    return transact_write_items


def _cheap_transactions() -> Callable[[], None]:
    original, module_copy = DynamoDBBackend.transact_write_items, getattr(dynamodb_models, "copy")  # noqa: B009
    DynamoDBBackend.transact_write_items = _backed_up_items(original)  # type: ignore[method-assign]
    setattr(dynamodb_models, "copy", _TablesNotCopied())  # noqa: B010

    def restore() -> None:
        DynamoDBBackend.transact_write_items = original  # type: ignore[method-assign]
        setattr(dynamodb_models, "copy", module_copy)  # noqa: B010

    return restore


def _partition_queries() -> Callable[[], None]:
    original = Table.query

    def query(table: Table, hash_key: Any, range_comparison: Any, range_objs: Any, *args: Any, **kwargs: Any) -> Any:
        index_name = kwargs.get("index_name") if len(args) < 5 else args[4]
        conditions = kwargs.get("range_key_conditions") or []
        if index_name is not None or hash_key is None or not table.range_key_attr or len(conditions) > 1:
            return original(table, hash_key, range_comparison, range_objs, *args, **kwargs)
        partition = list(table.items[hash_key].values()) if hash_key in table.items else []
        if conditions:  # the same test moto applies afterwards, applied first
            name, comparison, values = conditions[0]
            partition = [i for i in partition if i.attrs.get(name) and i.attrs[name].compare(comparison, values)]
        table.all_items = lambda: partition  # type: ignore[method-assign]  # under moto_threads' lock: this call only
        try:
            return original(table, hash_key, range_comparison, range_objs, *args, **kwargs)
        finally:
            del table.all_items

    Table.query = query  # type: ignore[method-assign,assignment]

    def restore() -> None:
        Table.query = original  # type: ignore[method-assign]

    return restore


def _retention_alone() -> Callable[[], None]:
    original = SQSBackend.is_message_valid_based_on_retention_period

    def is_message_valid_based_on_retention_period(backend: SQSBackend, queue_name: str, message: Message) -> bool:
        retention = int(getattr(backend.get_queue(queue_name), "message_retention_period"))  # noqa: B009
        return bool(retention + float(message.sent_timestamp or 0) / 1000 > unix_time())

    SQSBackend.is_message_valid_based_on_retention_period = is_message_valid_based_on_retention_period  # type: ignore[method-assign,assignment]

    def restore() -> None:
        SQSBackend.is_message_valid_based_on_retention_period = original  # type: ignore[method-assign]

    return restore


def _lock_free_lookup() -> Callable[[], None]:
    """A dict read of an existing account backend is atomic; only creating one needs moto's lock (and registering it
    for `reset`, which also empties the dict, so a reset backend takes the locked path again)."""
    original = BackendDict.__getitem__

    def getitem(self: BackendDict[Any], account_id: str) -> Any:
        if dict.__contains__(self, account_id):
            return dict.__getitem__(self, account_id)
        return original(self, account_id)

    BackendDict.__getitem__ = getitem  # type: ignore[method-assign]

    def restore() -> None:
        BackendDict.__getitem__ = original  # type: ignore[method-assign]

    return restore


def install() -> Callable[[], None]:
    """Apply the caches; returns the function that removes them."""
    restore_loader = _share_loader_cache()
    restore_paths = _cache_json_paths()
    restore_transactions = _cheap_transactions()
    restore_retention = _retention_alone()
    restore_queries = _partition_queries()
    restore_lookup = _lock_free_lookup()
    original_modules = backends.list_of_moto_modules
    original_lookup = DomainDispatcherApplication.get_backend_for_host
    original_client = getattr(lambda_eval_utils, _CLIENT_FACTORY)
    original_entrypoint = ExecutionWorker._get_evaluation_entrypoint
    modules = tuple(original_modules())
    found: dict[str | None, Any] = {}

    def get_backend_for_host(app: DomainDispatcherApplication, host: str | None) -> Any:
        if host not in found:
            found[host] = original_lookup(app, host)
        return found[host]

    @functools.cache
    def shared_client(region: str, service: str) -> Any:
        return original_client(region=region, service=service, state_credentials=None)

    def boto_client_for(region: str, service: str, state_credentials: Any = None) -> Any:
        # Local credentials are all fake: one client per region and service serves every task.
        return shared_client(region, service)

    backends.list_of_moto_modules = lambda: iter(modules)
    DomainDispatcherApplication.get_backend_for_host = get_backend_for_host  # type: ignore[method-assign,assignment]
    setattr(lambda_eval_utils, _CLIENT_FACTORY, boto_client_for)
    ExecutionWorker._get_evaluation_entrypoint = _evaluation_entrypoint  # type: ignore[method-assign,assignment]

    def restore() -> None:
        restore_loader()
        restore_paths()
        restore_transactions()
        restore_retention()
        restore_queries()
        restore_lookup()
        backends.list_of_moto_modules = original_modules
        DomainDispatcherApplication.get_backend_for_host = original_lookup  # type: ignore[method-assign]
        setattr(lambda_eval_utils, _CLIENT_FACTORY, original_client)
        ExecutionWorker._get_evaluation_entrypoint = original_entrypoint  # type: ignore[method-assign]

    return restore
