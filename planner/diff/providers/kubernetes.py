"""pulumi-kubernetes' `Diff` for every Kubernetes kind: what replaces an object, and which way round.

Source: pulumi/pulumi-kubernetes at 94977969 (v4.32.0+), provider/pkg/provider/provider.go
`kubeProvider.Diff` and provider/pkg/provider/diff.go `forceNewProperties`:

- A change of `.metadata.name` or `.metadata.namespace` replaces any object of any kind
  (`metadataForceNewProperties`: "Changing the identity of the resource always causes a
  replacement"); a kind in the `forceNew` table is also replaced by a change under its listed fields.
  Kinds are looked up by apiVersion (group and version) and kind, so kinds the table does not list
  (an Ingress, a NetworkPolicy, a Gateway API HTTPRoute) are replaced by their identity only.
- A Secret whose provider does not set `enableSecretMutable` (the default: provider.go reads
  `kubernetes:config:enableSecretMutable`, else `PULUMI_K8S_ENABLE_SECRET_MUTABLE`, "Default to
  false"), or that is `immutable`, is replaced by a change of `.type`, `.stringData` or `.data`; a
  ConfigMap likewise by `.binaryData` or `.data` (`enableConfigMapMutable`).
- "Patch" kinds (`...Patch`) are replaced by their identity only (`kinds.IsPatchResource`).
- Delete before replace when: something replaces it, it is named by the program (not
  `generateName`, not auto-named), and its new name and namespace are the old ones (Diff:
  `deleteBeforeReplace := len(replaces) > 0 && IsNamed && !IsAutonamed && name == old name &&
  namespace == old namespace`): two objects cannot share a name, so the old one goes first.
"""

from __future__ import annotations

from typing import Any

from planner.diff.providers import Change, ProviderDiff, replaced_by

PROVIDER = "pulumi-kubernetes provider.go `Diff`"
IDENTITY = ("metadata.name", "metadata.namespace")
"""diff.go `metadataForceNewProperties(".metadata")`: every kind."""


def _selector(prefix: str) -> list[str]:
    """diff.go `labelSelectorForceNewProperties`."""
    return [prefix, f"{prefix}.matchExpressions", f"{prefix}.matchLabels"]


def _containers(*prefixes: str) -> list[str]:
    """diff.go `containerForceNewProperties`."""
    fields = ("args", "command", "env", "image", "imagePullPolicy", "lifecycle", "livenessProbe", "ports",
              "readinessProbe", "resources", "securityContext", "stdin", "stdinOnce", "terminationMessagePath",
              "terminationMessagePolicy", "tty", "volumeDevices", "volumeMounts", "workingDir")
    return [f"{prefix}.{field}" for prefix in prefixes for field in fields]


_DEPLOYMENT = _selector("spec.selector")
_STATEFUL_SET = ["spec.podManagementPolicy", "spec.revisionHistoryLimit", "spec.serviceName",
                 "spec.volumeClaimTemplates", *_selector("spec.selector")]
_JOB = ["spec.completions", "spec.parallelism", "spec.template", *_selector("spec.selector")]
_ROLE_BINDING = ["roleRef"]
_CORE_V1 = {
    "PersistentVolume": [f"spec.{source}" for source in (
        "awsElasticBlockStore", "azureDisk", "azureFile", "cephfs", "cinder", "csi", "fc", "flexVolume", "flocker",
        "gcePersistentDisk", "glusterfs", "hostPath", "iscsi", "local", "nfs", "photonPersistentDisk",
        "portworxVolume", "quobyte", "rbd", "scaleIO", "storageos", "vsphereVolume")],
    "PersistentVolumeClaim": ["spec.accessModes", "spec.storageClassName", "spec.volumeName",
                              *_selector("spec.selector")],
    "Pod": [*(f"spec.{field}" for field in (
        "affinity", "automountServiceAccountToken", "dnsConfig", "dnsPolicy", "enableServiceLinks", "hostAliases",
        "hostIPC", "hostNetwork", "hostPID", "hostname", "imagePullSecrets", "nodeName", "nodeSelector", "overhead",
        "preemptionPolicy", "priority", "priorityClassName", "readinessGates", "restartPolicy", "runtimeClassName",
        "schedulerName", "securityContext", "serviceAccount", "serviceAccountName", "shareProcessNamespace",
        "subdomain", "terminationGracePeriodSeconds", "volumes")),
            *_containers("spec.containers[*]", "spec.initContainers[*]")],
    "ResourceQuota": ["spec.scopes"],
    "Secret": ["type"],
    "Service": ["spec.clusterIP"],
}
FORCE_NEW: dict[tuple[str, str, str], list[str]] = {
    # diff.go `forceNew`: group -> version -> kind -> fields (the core group also as "").
    ("apps", "v1beta1", "StatefulSet"): _STATEFUL_SET,
    **{("apps", version, kind): fields for version in ("v1beta2", "v1")
       for kind, fields in (("DaemonSet", _DEPLOYMENT), ("Deployment", _DEPLOYMENT), ("StatefulSet", _STATEFUL_SET))},
    **{("core", "v1", kind): fields for kind, fields in _CORE_V1.items()},
    ("policy", "v1beta1", "PodDisruptionBudget"): ["spec"],
    **{("rbac.authorization.k8s.io", version, kind): _ROLE_BINDING
       for version in ("v1alpha1", "v1beta1", "v1") for kind in ("ClusterRoleBinding", "RoleBinding")},
    ("storage.k8s.io", "v1", "StorageClass"): ["parameters", "provisioner"],
    **{("batch", version, "Job"): _JOB for version in ("v1beta1", "v1", "v2alpha1")},
}
SECRET_CONTENTS = ["type", "stringData", "data"]
"""diff.go: a Secret not mutable (the provider default) is replaced by any change of its contents."""
CONFIG_MAP_CONTENTS = ["binaryData", "data"]
"""diff.go: a ConfigMap not mutable (the provider default) likewise."""


def group_version_kind(type_: str) -> tuple[str, str, str]:
    """`kubernetes:networking.k8s.io/v1:Ingress` -> ("networking.k8s.io", "v1", "Ingress")."""
    _, api_version, kind = type_.split(":", 2)
    group, _, version = api_version.rpartition("/")
    return group or "core", version, kind


def _enabled(change: Change, key: str) -> bool:
    return str(change.config.get(f"kubernetes:{key}", "")).lower() == "true"


def force_new_fields(change: Change) -> list[str]:
    """diff.go `forceNewProperties` for the object's kind, with the provider's settings."""
    group, version, kind = group_version_kind(change.type)
    if kind.endswith("Patch"):
        return list(IDENTITY)  # provider.go: "Patch resources can be updated in place for all other properties."
    fields = list(IDENTITY)
    immutable = change.new.get("immutable") is True
    if group == "core" and version == "v1" and kind == "Secret" and (not _enabled(change, "enableSecretMutable")
                                                                     or immutable):
        return fields + SECRET_CONTENTS
    if (group, version, kind) in FORCE_NEW:
        return fields + FORCE_NEW[(group, version, kind)]
    if group == "core" and version == "v1" and kind == "ConfigMap" and (
            not _enabled(change, "enableConfigMapMutable") or immutable):
        return fields + CONFIG_MAP_CONTENTS
    return fields


def _metadata(inputs: Any, key: str) -> Any:
    metadata = inputs.get("metadata") if isinstance(inputs, dict) else None
    return metadata.get(key) if isinstance(metadata, dict) else None


def diff(change: Change) -> ProviderDiff:
    """Diff of a Kubernetes object (any kind)."""
    _group, _version, kind = group_version_kind(change.type)
    patterns = {field: "the object's identity (pulumi-kubernetes `Diff`)" if field in IDENTITY else
                "a Secret's contents, while `enableSecretMutable` is off (pulumi-kubernetes diff.go)"
                if kind == "Secret" and field in SECRET_CONTENTS[1:] else
                f"immutable in a {kind} (pulumi-kubernetes diff.go `forceNew`)"
                for field in force_new_fields(change)}
    replaces = replaced_by(change, patterns)
    named = bool(_metadata(change.new, "name")) and not _metadata(change.new, "generateName")
    delete_first = bool(replaces) and named and \
        _metadata(change.new, "name") == _metadata(change.old, "name") and \
        _canonical_namespace(change.new) == _canonical_namespace(change.old)
    return ProviderDiff(change.paths, replaces, delete_before_replace=delete_first)


def _canonical_namespace(inputs: Any) -> str:
    """provider.go `canonicalNamespace`: an unset namespace is `default`."""
    return str(_metadata(inputs, "namespace") or "default")
