"""The Kubernetes RBAC CloudOptim needs in a customer's cluster: one rule per API call the code makes.

`RULES` is the single list; tests/functional/test_rbac_coverage.py replays the Kubernetes adapter against the
emulator and fails when the adapter makes a request no rule allows, or a rule allows what no code uses.
"""

from __future__ import annotations

from dataclasses import dataclass
from typing import Literal

GROUP = "cloudoptim"  # the Kubernetes group an EKS access entry maps the account's role to
NAMESPACE = "cloudoptim"
NAME = "cloudoptim"


@dataclass(frozen=True, slots=True)
class Rule:
    api_group: str
    resource: str
    verbs: tuple[str, ...]
    why: str


RULES: tuple[Rule, ...] = (
    Rule("", "nodes", ("get", "list"), "find the node of an interrupted instance by providerID; wait for Ready"),
    Rule("", "nodes", ("patch",), "cordon a node before draining it"),
    Rule("", "pods", ("list",), "list the pods on a node being drained"),
    Rule("", "pods/eviction", ("create",), "evict pods through the Eviction API, which honours PodDisruptionBudgets"),
    Rule("policy", "poddisruptionbudgets", ("list",), "read disruption budgets before planning a drain"),
    # hibernation (issue 15): snapshot, scale to zero and back, exactly; discovery and the waste scan list nodes
    Rule("apps", "deployments", ("list",), "hibernation: snapshot Deployments' replicas before a sleep"),
    Rule("apps", "deployments/scale", ("patch",), "hibernation: scale a Deployment to zero and back to its snapshot"),
    Rule("apps", "statefulsets", ("list",), "hibernation: snapshot StatefulSets; wake waits for them to be Ready"),
    Rule("apps", "statefulsets/scale", ("patch",), "hibernation: scale a StatefulSet to zero and back"),
    Rule("batch", "cronjobs", ("list", "patch"), "hibernation: suspend CronJobs while asleep, restore their flag"),
    Rule("autoscaling", "horizontalpodautoscalers", ("list",), "hibernation: record HPAs to verify the wake"),
    Rule("keda.sh", "scaledobjects", ("list", "patch"), "hibernation: pause KEDA while asleep, unpause on wake"),
)


def merged_rules() -> list[tuple[str, str, tuple[str, ...]]]:
    """(apiGroup, resource, verbs) with each resource's verbs merged, in RULES order."""
    merged: dict[tuple[str, str], list[str]] = {}
    for rule in RULES:
        verbs = merged.setdefault((rule.api_group, rule.resource), [])
        verbs.extend(v for v in rule.verbs if v not in verbs)
    return [(group, resource, tuple(verbs)) for (group, resource), verbs in merged.items()]


def manifest(credentials: Literal["eks", "secret"]) -> str:
    """YAML for `kubectl apply -f -`: a ClusterRole and its binding to the EKS access group, or, for token
    access, to a ServiceAccount in namespace `cloudoptim`."""
    lines = [
        "# CloudOptim: read-mostly access; each rule is one call CloudOptim makes (docs/onboarding.md).",
        "apiVersion: rbac.authorization.k8s.io/v1",
        "kind: ClusterRole",
        "metadata:",
        f"  name: {NAME}",
        "rules:",
    ]
    for group, resource, verbs in merged_rules():
        why = "; ".join(r.why for r in RULES if (r.api_group, r.resource) == (group, resource))
        quoted = ", ".join(f'"{verb}"' for verb in verbs)
        lines += [
            f"  # {why}",
            f'  - apiGroups: ["{group}"]',
            f'    resources: ["{resource}"]',
            f"    verbs: [{quoted}]",
        ]
    if credentials == "secret":
        subject = ["  - kind: ServiceAccount", f"    name: {NAME}", f"    namespace: {NAMESPACE}"]
        namespace = ["apiVersion: v1", "kind: Namespace", "metadata:", f"  name: {NAMESPACE}", "---"]
        account = [
            "apiVersion: v1",
            "kind: ServiceAccount",
            "metadata:",
            f"  name: {NAME}",
            f"  namespace: {NAMESPACE}",
        ]
        lines = [*namespace, *account, "---", *lines]
    else:
        subject = ["  - kind: Group", f"    name: {GROUP}", "    apiGroup: rbac.authorization.k8s.io"]
    lines += [
        "---",
        "apiVersion: rbac.authorization.k8s.io/v1",
        "kind: ClusterRoleBinding",
        "metadata:",
        f"  name: {NAME}",
        "roleRef:",
        "  apiGroup: rbac.authorization.k8s.io",
        "  kind: ClusterRole",
        f"  name: {NAME}",
        "subjects:",
        *subject,
    ]
    return "\n".join(lines) + "\n"
