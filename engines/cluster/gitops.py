"""Is an object applied by a GitOps controller? Then a change made in the cluster is undone at its next sync: the
change belongs in the object's repository. One rule for hibernation and the execution workflows.

>>> gitops_manager({"app.kubernetes.io/instance": "shop"}, {"argocd.argoproj.io/sync-wave": "1"})
'Argo CD (label app.kubernetes.io/instance with Argo CD annotations)'
>>> gitops_manager({"app.kubernetes.io/instance": "shop", "app.kubernetes.io/managed-by": "Helm"}, {}) is None
True
"""

from __future__ import annotations

from collections.abc import Mapping

# Argo CD tracks what it applied with this annotation (default since 2.x) or this label; Flux labels what it applies.
GITOPS_MARKS: tuple[tuple[str, str, str], ...] = (
    ("annotation", "argocd.argoproj.io/tracking-id", "Argo CD"),
    ("label", "argocd.argoproj.io/instance", "Argo CD"),
    ("label", "kustomize.toolkit.fluxcd.io/name", "Flux"),
    ("label", "helm.toolkit.fluxcd.io/name", "Flux"),
)
# Argo CD's legacy tracking label is the common app.kubernetes.io/instance, which Helm sets too: it counts only
# beside another Argo CD sign (an argocd.argoproj.io/ key, or managed-by naming Argo CD).
INSTANCE_LABEL = "app.kubernetes.io/instance"
ARGO_PREFIX = "argocd.argoproj.io/"


def gitops_manager(labels: Mapping[str, str], annotations: Mapping[str, str]) -> str | None:
    """'Argo CD (...)' or 'Flux (...)' naming the mark found, None for an object no GitOps controller applies."""
    for where, key, tool in GITOPS_MARKS:
        if key in (annotations if where == "annotation" else labels):
            return f"{tool} ({where} {key})"
    if INSTANCE_LABEL in labels:
        argo_keys = any(k.startswith(ARGO_PREFIX) for k in (*labels, *annotations))
        if argo_keys or "argocd" in labels.get("app.kubernetes.io/managed-by", "").lower():
            return f"Argo CD (label {INSTANCE_LABEL} with Argo CD annotations)"
    return None
