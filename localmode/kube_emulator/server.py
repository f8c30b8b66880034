"""The HTTP face of the emulator: the Kubernetes REST paths the drain workflow and its drills use."""

from __future__ import annotations

import json
import re
import threading
from collections.abc import Callable
from dataclasses import dataclass
from http.server import BaseHTTPRequestHandler, ThreadingHTTPServer
from typing import Any
from urllib.parse import parse_qs, urlsplit

from cloudoptim.adapters.kube.auth import is_eks_token
from localmode.kube_emulator.objects import ApiError, Obj, json_patch, merge_patch, status_body
from localmode.kube_emulator.selectors import SelectorError
from localmode.kube_emulator.store import ClusterStore

Query = dict[str, str]
Handler = Callable[[ClusterStore, dict[str, str], Query, Any, str], tuple[int, Obj]]
VERSION: Obj = {"major": "1", "minor": "31", "gitVersion": "v1.31.0-eks-emulated", "platform": "linux/amd64"}
_ROUTES: list[tuple[str, re.Pattern[str], Handler]] = []


def route(method: str, pattern: str) -> Callable[[Handler], Handler]:
    def register(handler: Handler) -> Handler:
        _ROUTES.append((method, re.compile(f"^{pattern}$"), handler))
        return handler

    return register


def _list(kind: str, api_version: str, items: list[Obj], query: Query) -> Obj:
    """A List, paged by `limit` with an offset as the opaque `continue` token."""
    start = int(query.get("continue") or 0)
    limit = int(query.get("limit") or 0)
    page = items[start : start + limit] if limit > 0 else items[start:]
    meta: Obj = {"resourceVersion": "1"}
    if limit > 0 and start + limit < len(items):
        meta["continue"] = str(start + limit)
        meta["remainingItemCount"] = len(items) - start - limit
    return {"kind": kind, "apiVersion": api_version, "metadata": meta, "items": page}


@route("GET", r"/version/?")
def _version(store: ClusterStore, path: dict[str, str], query: Query, body: Any, ctype: str) -> tuple[int, Obj]:
    return 200, VERSION


@route("GET", r"/api/v1/nodes")
def _list_nodes(store: ClusterStore, path: dict[str, str], query: Query, body: Any, ctype: str) -> tuple[int, Obj]:
    items = store.list_nodes(query.get("labelSelector"), query.get("fieldSelector"))
    return 200, _list("NodeList", "v1", items, query)


@route("POST", r"/api/v1/nodes")
def _create_node(store: ClusterStore, path: dict[str, str], query: Query, body: Any, ctype: str) -> tuple[int, Obj]:
    return 201, store.create_node(body)


@route("GET", r"/api/v1/nodes/(?P<name>[^/]+)")
def _get_node(store: ClusterStore, path: dict[str, str], query: Query, body: Any, ctype: str) -> tuple[int, Obj]:
    return 200, store.get_node(path["name"])


@route("PUT", r"/api/v1/nodes/(?P<name>[^/]+)")
def _put_node(store: ClusterStore, path: dict[str, str], query: Query, body: Any, ctype: str) -> tuple[int, Obj]:
    return 200, store.replace_node(path["name"], body)


@route("PATCH", r"/api/v1/nodes/(?P<name>[^/]+)")
def _patch_node(store: ClusterStore, path: dict[str, str], query: Query, body: Any, ctype: str) -> tuple[int, Obj]:
    current = store.get_node(path["name"])
    if "json-patch" in ctype:
        patched = json_patch(current, body if isinstance(body, list) else [])
    elif isinstance(body, dict):
        patched = merge_patch(current, body)
    else:
        raise ApiError(415, "UnsupportedMediaType", f"the body of the request was in an unknown format: {ctype}")
    if patched.get("metadata", {}).get("name") != path["name"]:
        raise ApiError(422, "Invalid", "metadata.name: the name cannot be patched")
    store.put_node(patched)
    return 200, store.get_node(path["name"])


@route("DELETE", r"/api/v1/nodes/(?P<name>[^/]+)")
def _delete_node(store: ClusterStore, path: dict[str, str], query: Query, body: Any, ctype: str) -> tuple[int, Obj]:
    return 200, store.delete_node(path["name"])


@route("GET", r"/api/v1(?:/namespaces/(?P<namespace>[^/]+))?/pods")
def _list_pods(store: ClusterStore, path: dict[str, str], query: Query, body: Any, ctype: str) -> tuple[int, Obj]:
    items = store.list_pods(path.get("namespace"), query.get("labelSelector"), query.get("fieldSelector"))
    return 200, _list("PodList", "v1", items, query)


@route("POST", r"/api/v1/namespaces/(?P<namespace>[^/]+)/pods")
def _create_pod(store: ClusterStore, path: dict[str, str], query: Query, body: Any, ctype: str) -> tuple[int, Obj]:
    return 201, store.create_pod(path["namespace"], body)


@route("GET", r"/api/v1/namespaces/(?P<namespace>[^/]+)/pods/(?P<name>[^/]+)")
def _get_pod(store: ClusterStore, path: dict[str, str], query: Query, body: Any, ctype: str) -> tuple[int, Obj]:
    return 200, store.get_pod(path["namespace"], path["name"])


@route("DELETE", r"/api/v1/namespaces/(?P<namespace>[^/]+)/pods/(?P<name>[^/]+)")
def _delete_pod(store: ClusterStore, path: dict[str, str], query: Query, body: Any, ctype: str) -> tuple[int, Obj]:
    return 200, store.delete_pod(path["namespace"], path["name"])


@route("POST", r"/api/v1/namespaces/(?P<namespace>[^/]+)/pods/(?P<name>[^/]+)/eviction")
def _evict(store: ClusterStore, path: dict[str, str], query: Query, body: Any, ctype: str) -> tuple[int, Obj]:
    options = (body or {}).get("deleteOptions") or {}
    dry_run = "All" in (options.get("dryRun") or []) or query.get("dryRun") == "All"
    store.evict(path["namespace"], path["name"], dry_run=dry_run)
    return 201, status_body(201, "", "")


@route("GET", r"/apis/policy/v1(?:/namespaces/(?P<namespace>[^/]+))?/poddisruptionbudgets")
def _list_pdbs(store: ClusterStore, path: dict[str, str], query: Query, body: Any, ctype: str) -> tuple[int, Obj]:
    return 200, _list("PodDisruptionBudgetList", "policy/v1", store.list_pdbs(path.get("namespace")), query)


@route("POST", r"/apis/policy/v1/namespaces/(?P<namespace>[^/]+)/poddisruptionbudgets")
def _create_pdb(store: ClusterStore, path: dict[str, str], query: Query, body: Any, ctype: str) -> tuple[int, Obj]:
    return 201, store.create_pdb(path["namespace"], body)


@route("GET", r"/apis/policy/v1/namespaces/(?P<namespace>[^/]+)/poddisruptionbudgets/(?P<name>[^/]+)")
def _get_pdb(store: ClusterStore, path: dict[str, str], query: Query, body: Any, ctype: str) -> tuple[int, Obj]:
    return 200, store.get_pdb(path["namespace"], path["name"])


@route("GET", r"/emulator/stats")
def _stats(store: ClusterStore, path: dict[str, str], query: Query, body: Any, ctype: str) -> tuple[int, Obj]:
    return 200, store.stats.as_dict()


@route("POST", r"/emulator/nodes")
def _register(store: ClusterStore, path: dict[str, str], query: Query, body: Any, ctype: str) -> tuple[int, Obj]:
    """The kubelet of a new instance: {name, instance_id, zone, instance_type, labels?, ready_after_seconds?}."""
    try:
        return 201, store.register_node(**body)
    except TypeError as exc:
        raise ApiError(
            400, "BadRequest", f"register a node with name, instance_id, zone, instance_type: {exc}"
        ) from exc


_REASONS = {409: "Conflict", 429: "TooManyRequests", 500: "InternalError", 503: "ServiceUnavailable"}


@dataclass
class Fault:
    """The next `remaining` requests matching `method` and `path` get `code` (a busy or throttling API server)."""

    method: str
    path: re.Pattern[str]
    code: int
    message: str
    remaining: int

    def error(self) -> ApiError:
        return ApiError(self.code, _REASONS.get(self.code, "InternalError"), self.message or f"injected {self.code}")


class EmulatorHandler(BaseHTTPRequestHandler):
    protocol_version = "HTTP/1.1"
    disable_nagle_algorithm = True  # headers and body go out in two writes: Nagle would hold the body 40 ms
    timeout = 30  # idle keep-alive connections of the client's pool end on their own
    server: EmulatorServer

    def do_GET(self) -> None:
        self._dispatch("GET")

    def do_POST(self) -> None:
        self._dispatch("POST")

    def do_PUT(self) -> None:
        self._dispatch("PUT")

    def do_PATCH(self) -> None:
        self._dispatch("PATCH")

    def do_DELETE(self) -> None:
        self._dispatch("DELETE")

    def log_message(self, format: str, *args: Any) -> None:
        """Quiet: drills issue thousands of requests."""

    def _dispatch(self, method: str) -> None:
        url = urlsplit(self.path)
        query = {k: v[-1] for k, v in parse_qs(url.query).items()}
        length = int(self.headers.get("Content-Length") or 0)
        raw = self.rfile.read(length) if length else b""
        try:
            self._authorise(url.path)
            fault = self.server.take_fault(method, url.path)
            if fault is not None:
                raise fault.error()
            body = json.loads(raw) if raw else None
            for verb, pattern, handler in _ROUTES:
                match = pattern.match(url.path)
                if verb == method and match:
                    path = {k: v for k, v in match.groupdict().items() if v is not None}
                    code, payload = handler(self.server.store, path, query, body, self.headers.get("Content-Type", ""))
                    break
            else:
                raise ApiError(404, "NotFound", "the server could not find the requested resource")
        except ApiError as exc:
            code, payload = exc.code, exc.body()
        except (SelectorError, json.JSONDecodeError, ValueError) as exc:
            code, payload = 400, status_body(400, "BadRequest", str(exc))
        self._send(code, payload)

    def _authorise(self, path: str) -> None:
        token, eks = self.server.token, self.server.accept_eks_tokens
        if (token is None and not eks) or path.startswith("/version"):
            return
        presented = (self.headers.get("Authorization") or "").removeprefix("Bearer ")
        if presented == token or (eks and is_eks_token(presented)):
            return
        raise ApiError(401, "Unauthorized", "Unauthorized")

    def _send(self, code: int, payload: Obj) -> None:
        data = json.dumps(payload).encode()
        self.send_response(code)
        self.send_header("Content-Type", "application/json")
        self.send_header("Content-Length", str(len(data)))
        self.end_headers()
        self.wfile.write(data)


class EmulatorServer(ThreadingHTTPServer):
    daemon_threads = True

    def __init__(
        self, address: tuple[str, int], store: ClusterStore, token: str | None, accept_eks_tokens: bool = False
    ) -> None:
        super().__init__(address, EmulatorHandler)
        self.store, self.token, self.accept_eks_tokens = store, token, accept_eks_tokens
        self.faults: list[Fault] = []
        self._faults_lock = threading.Lock()

    def add_fault(self, fault: Fault) -> None:
        with self._faults_lock:
            self.faults.append(fault)

    def take_fault(self, method: str, path: str) -> Fault | None:
        with self._faults_lock:
            for fault in self.faults:
                if fault.method == method and fault.path.search(path):
                    fault.remaining -= 1
                    if fault.remaining <= 0:
                        self.faults.remove(fault)
                    return fault
        return None
