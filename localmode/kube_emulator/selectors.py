"""The API's query selectors: `labelSelector=app=web,tier in (a,b),!canary` and `fieldSelector=spec.nodeName=n1`."""

from __future__ import annotations

import re
from collections.abc import Callable, Mapping
from typing import Any

from cloudoptim.adapters.kube.objects import label_selector
from cloudoptim.errors import InputFileError

LabelTest = Callable[[Mapping[str, str]], bool]
ObjectTest = Callable[[Mapping[str, Any]], bool]

_SET_TERM = re.compile(r"^(?P<key>[^\s!=]+)\s+(?P<op>in|notin)\s+\((?P<values>[^)]*)\)$")
_EQUALITY = re.compile(r"^(?P<key>[^\s!=]+)\s*(?P<op>==|=|!=)\s*(?P<value>[^\s,]*)$")


class SelectorError(ValueError):
    """A selector the API server would answer with 400 BadRequest."""


def _split_terms(text: str) -> list[str]:
    """Commas separate terms except inside the parentheses of a set term."""
    terms, depth, current = [], 0, ""
    for char in text:
        depth += {"(": 1, ")": -1}.get(char, 0)
        if char == "," and depth == 0:
            terms.append(current.strip())
            current = ""
        else:
            current += char
    terms.append(current.strip())
    return [t for t in terms if t]


def _label_term(term: str) -> LabelTest:
    if match := _SET_TERM.match(term):
        key, values = match["key"], {v.strip() for v in match["values"].split(",") if v.strip()}
        if match["op"] == "in":
            return lambda labels: labels.get(key) in values
        return lambda labels: labels.get(key) not in values
    if match := _EQUALITY.match(term):
        key, value = match["key"], match["value"]
        if match["op"] == "!=":
            return lambda labels: labels.get(key) != value
        return lambda labels: labels.get(key) == value
    if term.startswith("!") and _EQUALITY.match(f"{term[1:]}=x"):
        return lambda labels: term[1:] not in labels
    if _EQUALITY.match(f"{term}=x"):
        return lambda labels: term in labels
    raise SelectorError(f"unable to parse requirement: {term!r}")


def parse_label_selector(text: str | None) -> LabelTest:
    tests = [_label_term(t) for t in _split_terms(text or "")]
    return lambda labels: all(test(labels) for test in tests)


def field_value(obj: Mapping[str, Any], path: str) -> str:
    """A dotted field as the API compares it: missing is "", booleans are "true"/"false"."""
    value: Any = obj
    for part in path.split("."):
        value = value.get(part) if isinstance(value, Mapping) else None
    if isinstance(value, bool):
        return "true" if value else "false"
    return "" if value is None else str(value)


def parse_field_selector(text: str | None) -> ObjectTest:
    tests: list[ObjectTest] = []
    for term in _split_terms(text or ""):
        match = _EQUALITY.match(term)
        if match is None:
            raise SelectorError(f"invalid field selector term: {term!r}")
        tests.append(_field_test(match["key"], match["value"], negate=match["op"] == "!="))
    return lambda obj: all(test(obj) for test in tests)


def _field_test(path: str, value: str, negate: bool) -> ObjectTest:
    return lambda obj: (field_value(obj, path) == value) != negate


def budget_selector(spec: Mapping[str, Any]) -> LabelTest:
    """A policy/v1 budget's selector: absent selects nothing, empty selects every pod of the namespace."""
    if spec.get("selector") is None:
        return lambda labels: False
    try:
        selector = label_selector(spec["selector"], "spec.selector")
    except InputFileError as exc:
        raise SelectorError(str(exc)) from exc
    return selector.matches
