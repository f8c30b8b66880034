"""Kubernetes objects of the OpenB clusters as kubectl prints them: nodes, workload and DaemonSet pods, PDBs.

Field for field what an EKS 1.31 cluster with Karpenter returns (labels, annotations, default tolerations,
conditions), so the consolidation benchmark reads the same JSON a customer's cluster would give it.
"""

from __future__ import annotations

from typing import NamedTuple

from benchmarks.traces.openb_placement import (
    APPS,
    CAPACITY_TYPE,
    ECR,
    GPU,
    GPU_PRESENT,
    HOSTNAME,
    ZONE,
    DaemonSet,
    Ids,
    Obj,
    Workload,
)
from engines.cluster.budget import count
from engines.spot.model import InstanceType

DAEMON_CONDITIONS = (
    "not-ready:NoExecute unreachable:NoExecute disk-pressure:NoSchedule memory-pressure:NoSchedule "
    "pid-pressure:NoSchedule unschedulable:NoSchedule network-unavailable:NoSchedule"
)
DEFAULT_TOLERATIONS = [  # added to every pod by the DefaultTolerationSeconds admission plugin
    {"effect": "NoExecute", "key": "node.kubernetes.io/not-ready", "operator": "Exists", "tolerationSeconds": 300},
    {"effect": "NoExecute", "key": "node.kubernetes.io/unreachable", "operator": "Exists", "tolerationSeconds": 300},
]
DAEMON_TOLERATIONS = [{"operator": "Exists"}] + [  # the chart's catch-all plus what the DaemonSet controller adds
    {"effect": effect, "key": f"node.kubernetes.io/{key}", "operator": "Exists"}
    for key, effect in (pair.split(":") for pair in DAEMON_CONDITIONS.split())
]
GPU_TOLERATION = {"effect": "NoSchedule", "key": GPU, "operator": "Equal", "value": "true"}


class Host(NamedTuple):
    name: str
    ip: str
    zone: str


def _container(name: str, image: str, cpu_m: int, mem_mi: int, gpus: int = 0, mounts: list[Obj] | None = None) -> Obj:
    requests: Obj = {"cpu": cpu(cpu_m), "memory": memory(mem_mi)}
    limits: Obj = {"memory": memory(mem_mi)}
    if gpus:
        requests[GPU] = limits[GPU] = str(gpus)
    c: Obj = {"name": name, "image": image, "imagePullPolicy": "IfNotPresent"}
    c["resources"] = {"limits": limits, "requests": requests}
    c |= {"terminationMessagePath": "/dev/termination-log", "terminationMessagePolicy": "File"}
    return c | ({"volumeMounts": mounts} if mounts else {})


def _pod(meta: Obj, containers: list[Obj], spec: Obj, host: Host, pod_ip: str, started: str, ids: Ids) -> Obj:
    meta = {"creationTimestamp": started, "resourceVersion": ids.version(), "uid": ids.uid()} | meta
    spec = {
        "containers": containers,
        "dnsPolicy": "ClusterFirst",
        "enableServiceLinks": True,
        "nodeName": host.name,
        "preemptionPolicy": "PreemptLowerPriority",
        "priority": 0,
        "restartPolicy": "Always",
        "schedulerName": "default-scheduler",
        "securityContext": {},
        "serviceAccount": "default",
        "serviceAccountName": "default",
        "terminationGracePeriodSeconds": 30,
        "tolerations": DEFAULT_TOLERATIONS,
    } | spec
    kinds = ("PodReadyToStartContainers", "Initialized", "Ready", "ContainersReady", "PodScheduled")
    statuses = [
        {
            "containerID": f"containerd://{ids.rng.bytes(32).hex()}",
            "image": c["image"],
            "imageID": f"{c['image'].split(':')[0]}@sha256:{ids.rng.bytes(32).hex()}",
            "lastState": {},
            "name": c["name"],
            "ready": True,
            "restartCount": 0,
            "started": True,
            "state": {"running": {"startedAt": started}},
        }
        for c in containers
    ]
    status = {
        "conditions": [
            {"lastProbeTime": None, "lastTransitionTime": started, "status": "True", "type": t} for t in kinds
        ],
        "containerStatuses": statuses,
        "hostIP": host.ip,
        "hostIPs": [{"ip": host.ip}],
        "phase": "Running",
        "podIP": pod_ip,
        "podIPs": [{"ip": pod_ip}],
        "qosClass": "Burstable",
        "startTime": started,
    }
    return {"apiVersion": "v1", "kind": "Pod", "metadata": meta, "spec": spec, "status": status}


def render_pod(w: Workload, index: int, host: Host, pod_ip: str, started: str, ids: Ids) -> Obj:
    """One replica of a team workload (or coredns when the namespace is kube-system)."""
    system = w.namespace == "kube-system"
    meta: Obj = {"labels": dict(w.labels), "namespace": w.namespace}
    owner = {"apiVersion": "apps/v1", "blockOwnerDeletion": True, "controller": True, "kind": w.kind, "uid": w.uid}
    spec: Obj = {}
    mounts: list[Obj] = []
    if w.kind == "Deployment":
        meta["generateName"] = f"{w.name}-{w.hash}-"
        meta["name"] = ids.unique(f"{w.name}-{w.hash}")
        meta["labels"]["pod-template-hash"] = w.hash
        meta["ownerReferences"] = [owner | {"kind": "ReplicaSet", "name": f"{w.name}-{w.hash}"}]
    elif w.kind == "StatefulSet":
        meta["name"] = spec["hostname"] = f"{w.name}-{index}"
        meta["generateName"], spec["subdomain"] = f"{w.name}-", w.name
        meta["labels"] |= {
            "apps.kubernetes.io/pod-index": str(index),
            "controller-revision-hash": f"{w.name}-{w.hash}",
            "statefulset.kubernetes.io/pod-name": meta["name"],
        }
        meta["ownerReferences"] = [owner | {"name": w.name}]
        spec["volumes"] = [{"name": "data", "persistentVolumeClaim": {"claimName": f"data-{meta['name']}"}}]
        mounts.append({"mountPath": "/data", "name": "data"})
    else:
        meta["name"] = w.name
    if w.annotations:
        meta["annotations"] = dict(w.annotations)
    if w.empty_dir:
        spec["volumes"] = [{"emptyDir": {}, "name": "scratch"}]
        mounts.append({"mountPath": "/scratch", "name": "scratch"})
    selector: dict[str, str] = {}
    if w.gpus:
        selector[GPU_PRESENT] = "true"
        spec["tolerations"] = [GPU_TOLERATION, *DEFAULT_TOLERATIONS]
    if w.on_demand_only:
        selector[CAPACITY_TYPE] = "on-demand"
    if selector:
        spec["nodeSelector"] = selector
    term = {"labelSelector": {"matchLabels": dict(w.labels)}, "topologyKey": HOSTNAME}
    if w.anti_affinity:
        spec["affinity"] = {"podAntiAffinity": {"requiredDuringSchedulingIgnoredDuringExecution": [term]}}
    if w.spread:
        spec["topologySpreadConstraints"] = [
            {"labelSelector": {"matchLabels": dict(w.labels)}, "maxSkew": 1, "topologyKey": ZONE}
            | {"whenUnsatisfiable": "DoNotSchedule"}
        ]
    image = f"{ECR}/eks/coredns:v1.11.4" if system else f"{APPS}/{w.namespace}/{w.name}:1.{len(w.name)}.0"
    containers = [_container("coredns" if system else "app", image, w.cpu_m, w.mem_mi, w.gpus, mounts)]
    if w.sidecar:
        containers.append(
            _container("log-shipper", "public.ecr.aws/aws-observability/aws-for-fluent-bit:2.32.4", 50, 64)
        )
    if system:
        control_plane = {"effect": "NoSchedule", "key": "node-role.kubernetes.io/control-plane"}
        critical = [{"key": "CriticalAddonsOnly", "operator": "Exists"}, control_plane, *DEFAULT_TOLERATIONS]
        spec |= {"priorityClassName": "system-cluster-critical", "priority": 2000000000, "tolerations": critical}
        preferred = [{"podAffinityTerm": term, "weight": 100}]
        spec["affinity"] = {"podAntiAffinity": {"preferredDuringSchedulingIgnoredDuringExecution": preferred}}
    return _pod(meta, containers, spec, host, pod_ip, started, ids)


def render_daemon_pod(ds: DaemonSet, owner: tuple[str, str], host: Host, pod_ip: str, started: str, ids: Ids) -> Obj:
    """One DaemonSet pod; `owner` is the DaemonSet's uid and controller-revision-hash."""
    meta: Obj = {
        "generateName": f"{ds.name}-",
        "labels": ds.labels | {"controller-revision-hash": owner[1], "pod-template-generation": "1"},
        "name": ids.unique(ds.name),
        "namespace": ds.namespace,
        "ownerReferences": [
            {"apiVersion": "apps/v1", "blockOwnerDeletion": True, "controller": True, "kind": "DaemonSet"}
            | {"name": ds.name, "uid": owner[0]}
        ],
    }
    pin = {"matchFields": [{"key": "metadata.name", "operator": "In", "values": [host.name]}]}
    spec: Obj = {
        "affinity": {"nodeAffinity": {"requiredDuringSchedulingIgnoredDuringExecution": {"nodeSelectorTerms": [pin]}}},
        "tolerations": DAEMON_TOLERATIONS,
    }
    if ds.namespace == "kube-system":
        spec |= {"priorityClassName": "system-node-critical", "priority": 2000001000}
    if ds.host_network:
        spec["hostNetwork"] = True
    return _pod(meta, [_container(ds.name, ds.image, ds.cpu_m, ds.mem_mi)], spec, host, pod_ip, started, ids)


def render_pdb(w: Workload, created: str, ids: Ids) -> Obj:
    """The workload's PDB with the status the disruption controller computes when every pod is healthy."""
    assert w.pdb is not None
    key, value = w.pdb
    expected = w.replicas
    min_available, max_unavailable = (value, None) if key == "minAvailable" else (None, value)
    status = count(min_available, max_unavailable, expected=expected, healthy=expected)
    desired, allowed = status.desired, status.disruptions_allowed
    condition = {
        "lastTransitionTime": created,
        "message": "",
        "observedGeneration": 1,
        "reason": "SufficientPods" if allowed else "InsufficientPods",
        "status": "True" if allowed else "False",
        "type": "DisruptionAllowed",
    }
    meta = {"creationTimestamp": created, "generation": 1, "name": w.name, "namespace": w.namespace}
    return {
        "apiVersion": "policy/v1",
        "kind": "PodDisruptionBudget",
        "metadata": meta | {"resourceVersion": ids.version(), "uid": ids.uid()},
        "spec": {key: value, "selector": {"matchLabels": dict(w.labels)}},
        "status": {
            "conditions": [condition],
            "currentHealthy": expected,
            "desiredHealthy": desired,
            "disruptionsAllowed": allowed,
            "expectedPods": expected,
            "observedGeneration": 1,
        },
    }


def cpu(millicores: int) -> str:
    """A cpu quantity in the API server's canonical form ("2", "250m")."""
    return str(millicores // 1000) if millicores % 1000 == 0 else f"{millicores}m"


def memory(mib: int) -> str:
    """A memory quantity in canonical binary-SI form ("16Gi", "70Mi")."""
    return f"{mib // 1024}Gi" if mib % 1024 == 0 else f"{mib}Mi"


def render_node(
    host: Host,
    t: InstanceType,
    allocatable: tuple[int, int, int, int],
    spot: bool,
    dnd: bool,
    created: str,
    heartbeat: str,
    region: str,
    ids: Ids,
) -> Obj:
    cpu_m, mem_mi, gpus, pods = allocatable
    labels = {"beta.kubernetes.io/arch": "amd64", "beta.kubernetes.io/instance-type": t.name}
    labels |= {"beta.kubernetes.io/os": "linux", "failure-domain.beta.kubernetes.io/region": region}
    labels |= {"failure-domain.beta.kubernetes.io/zone": host.zone, "karpenter.k8s.aws/ec2nodeclass": "default"}
    labels |= {"karpenter.sh/capacity-type": "spot" if spot else "on-demand", "karpenter.sh/initialized": "true"}
    labels |= {"karpenter.sh/nodepool": "gpu" if gpus else "default", "karpenter.sh/registered": "true"}
    labels |= {"kubernetes.io/arch": "amd64", "kubernetes.io/hostname": host.name, "kubernetes.io/os": "linux"}
    labels |= {"node.kubernetes.io/instance-type": t.name, "topology.kubernetes.io/region": region}
    labels |= {"topology.kubernetes.io/zone": host.zone} | ({GPU_PRESENT: "true"} if gpus else {})
    annotations = {"alpha.kubernetes.io/provided-node-ip": host.ip, "node.alpha.kubernetes.io/ttl": "0"}
    annotations |= {"volumes.kubernetes.io/controller-managed-attach-detach": "true"}
    annotations |= {"karpenter.sh/do-not-disrupt": "true"} if dnd else {}
    spec: Obj = {"providerID": f"aws:///{host.zone}/i-0{ids.rng.bytes(8).hex()[:16]}"}
    if gpus:
        spec["taints"] = [{"effect": "NoSchedule", "key": GPU, "value": "true"}]
    extra = {GPU: str(gpus)} if gpus else {}
    capacity = {"cpu": str(t.vcpus), "ephemeral-storage": "20959212Ki", "hugepages-1Gi": "0", "hugepages-2Mi": "0"}
    capacity |= {"memory": memory(round(t.memory_gib * 1024)), "pods": str(pods)} | extra
    alloc = capacity | {"cpu": cpu(cpu_m), "ephemeral-storage": "18242267924", "memory": memory(mem_mi)}
    conditions = [
        {"lastHeartbeatTime": heartbeat, "lastTransitionTime": created, "message": message}
        | {"reason": reason, "status": status, "type": kind}
        for kind, status, reason, message in (
            ("MemoryPressure", "False", "KubeletHasSufficientMemory", "kubelet has sufficient memory available"),
            ("DiskPressure", "False", "KubeletHasNoDiskPressure", "kubelet has no disk pressure"),
            ("PIDPressure", "False", "KubeletHasSufficientPID", "kubelet has sufficient PID available"),
            ("Ready", "True", "KubeletReady", "kubelet is posting ready status"),
        )
    ]
    info = {"architecture": "amd64", "containerRuntimeVersion": "containerd://1.7.25"}
    info |= {"kernelVersion": "6.1.127-135.201.amzn2023.x86_64", "kubeProxyVersion": "v1.31.4-eks-aeac579"}
    info |= {
        "kubeletVersion": "v1.31.4-eks-aeac579",
        "operatingSystem": "linux",
        "osImage": "Amazon Linux 2023.6.20250203",
    }
    addresses = [{"address": host.ip, "type": "InternalIP"}]
    addresses += [{"address": host.name, "type": kind} for kind in ("InternalDNS", "Hostname")]
    status = {"addresses": addresses, "allocatable": alloc, "capacity": capacity, "conditions": conditions}
    status |= {"daemonEndpoints": {"kubeletEndpoint": {"Port": 10250}}, "nodeInfo": info}
    meta = {"annotations": annotations, "creationTimestamp": created, "labels": labels, "name": host.name}
    meta |= {"resourceVersion": ids.version(), "uid": ids.uid()}
    return {"apiVersion": "v1", "kind": "Node", "metadata": meta, "spec": spec, "status": status}
