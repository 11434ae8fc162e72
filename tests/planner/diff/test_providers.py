"""Every replacement rule of every provider, one plan pair per rule: change that input alone, expect a replace.

The expected rules are written out here, from the upstream sources `planner.diff.providers` cites (not
read from its tables), so that a rule dropped or mistyped there fails here. Each table also has a
control: an input next to the rules that the provider updates in place.
"""

from __future__ import annotations

import copy
import itertools
from typing import Any

import pytest

from planner.diff import diff_plans
from planner.paths import steps

# pulumi-kubernetes provider/pkg/provider/diff.go `forceNew` (at 94977969), as (apiVersion, kind, field).
_SELECTOR = ("spec.selector", "spec.selector.matchExpressions", "spec.selector.matchLabels")
_STATEFUL = ("spec.podManagementPolicy", "spec.revisionHistoryLimit", "spec.serviceName", "spec.volumeClaimTemplates",
             *_SELECTOR)
_POD = ("spec.affinity", "spec.automountServiceAccountToken", "spec.dnsConfig", "spec.dnsPolicy",
        "spec.enableServiceLinks", "spec.hostAliases", "spec.hostIPC", "spec.hostNetwork", "spec.hostPID",
        "spec.hostname", "spec.imagePullSecrets", "spec.nodeName", "spec.nodeSelector", "spec.overhead",
        "spec.preemptionPolicy", "spec.priority", "spec.priorityClassName", "spec.readinessGates",
        "spec.restartPolicy", "spec.runtimeClassName", "spec.schedulerName", "spec.securityContext",
        "spec.serviceAccount", "spec.serviceAccountName", "spec.shareProcessNamespace", "spec.subdomain",
        "spec.terminationGracePeriodSeconds", "spec.volumes",
        *(f"spec.{containers}[0].{field}" for containers in ("containers", "initContainers") for field in (
            "args", "command", "env", "image", "imagePullPolicy", "lifecycle", "livenessProbe", "ports",
            "readinessProbe", "resources", "securityContext", "stdin", "stdinOnce", "terminationMessagePath",
            "terminationMessagePolicy", "tty", "volumeDevices", "volumeMounts", "workingDir")))
_PV = tuple(f"spec.{source}" for source in (
    "awsElasticBlockStore", "azureDisk", "azureFile", "cephfs", "cinder", "csi", "fc", "flexVolume", "flocker",
    "gcePersistentDisk", "glusterfs", "hostPath", "iscsi", "local", "nfs", "photonPersistentDisk", "portworxVolume",
    "quobyte", "rbd", "scaleIO", "storageos", "vsphereVolume"))
KUBERNETES_RULES = [
    *((api, kind, field) for api in ("apps/v1", "apps/v1beta2") for kind in ("Deployment", "DaemonSet")
      for field in _SELECTOR),
    *((api, "StatefulSet", field) for api in ("apps/v1", "apps/v1beta2", "apps/v1beta1") for field in _STATEFUL),
    *(("core/v1", "Pod", field) for field in _POD),
    *(("core/v1", "PersistentVolume", field) for field in _PV),
    *(("core/v1", "PersistentVolumeClaim", field) for field in ("spec.accessModes", "spec.storageClassName",
                                                                 "spec.volumeName", *_SELECTOR)),
    ("core/v1", "ResourceQuota", "spec.scopes"),
    ("core/v1", "Secret", "type"), ("core/v1", "Secret", "data"), ("core/v1", "Secret", "stringData"),
    ("core/v1", "ConfigMap", "data"), ("core/v1", "ConfigMap", "binaryData"),
    ("core/v1", "Service", "spec.clusterIP"),
    ("policy/v1beta1", "PodDisruptionBudget", "spec.minAvailable"),
    *((f"rbac.authorization.k8s.io/{version}", kind, "roleRef") for version in ("v1", "v1beta1", "v1alpha1")
      for kind in ("RoleBinding", "ClusterRoleBinding")),
    ("storage.k8s.io/v1", "StorageClass", "parameters"), ("storage.k8s.io/v1", "StorageClass", "provisioner"),
    *((f"batch/{version}", "Job", field) for version in ("v1", "v1beta1", "v2alpha1")
      for field in ("spec.completions", "spec.parallelism", "spec.template", *_SELECTOR)),
]
# Kinds the table does not list, the Gateway API's among them: their identity alone replaces them.
IDENTITY_KINDS = [("networking.k8s.io/v1", "Ingress"), ("networking.k8s.io/v1", "NetworkPolicy"),
                  ("core/v1", "Namespace"), ("gateway.networking.k8s.io/v1", "HTTPRoute"),
                  ("gateway.networking.k8s.io/v1", "Gateway"), ("gateway.networking.k8s.io/v1", "GatewayClass"),
                  ("gateway.networking.k8s.io/v1", "BackendTLSPolicy"), ("gateway.envoyproxy.io/v1alpha1",
                                                                         "SecurityPolicy")]
# terraform-provider-aws (files and commits cited in planner/diff/providers/aws.py), pulumi-aws input names.
AWS_RULES = [
    ("aws:route53/zone:Zone", "name"), ("aws:route53/zone:Zone", "delegationSetId"),
    ("aws:route53/record:Record", "name"), ("aws:route53/record:Record", "zoneId"),
    *(("aws:acm/certificate:Certificate", key) for key in (
        "certificateAuthorityArn", "domainName", "keyAlgorithm", "subjectAlternativeNames", "validationMethod",
        "validationOptions")),
    ("aws:acm/certificateValidation:CertificateValidation", "certificateArn"),
    ("aws:acm/certificateValidation:CertificateValidation", "validationRecordFqdns"),
    *(("aws:ec2/securityGroup:SecurityGroup", key) for key in ("description", "name", "namePrefix", "vpcId")),
    ("aws:vpc/securityGroupIngressRule:SecurityGroupIngressRule", "securityGroupId"),
    ("aws:vpc/securityGroupEgressRule:SecurityGroupEgressRule", "securityGroupId"),
]
AWS_UPDATES = [("aws:route53/zone:Zone", "comment"), ("aws:route53/zone:Zone", "vpcs"),
               ("aws:route53/zone:Zone", "tags"), ("aws:route53/record:Record", "records"),
               ("aws:route53/record:Record", "aliases"), ("aws:route53/record:Record", "type"),
               ("aws:route53/record:Record", "ttl"), ("aws:route53/record:Record", "setIdentifier"),
               ("aws:route53/record:Record", "weightedRoutingPolicies"), ("aws:acm/certificate:Certificate", "tags"),
               ("aws:ec2/securityGroup:SecurityGroup", "tags"),
               ("aws:vpc/securityGroupIngressRule:SecurityGroupIngressRule", "cidrIpv4"),
               ("aws:vpc/securityGroupIngressRule:SecurityGroupIngressRule", "fromPort")]
# terraform-provider-random internal/provider/resource_password.go `passwordSchemaV3`.
RANDOM_RULES = ["keepers", "length", "special", "upper", "lower", "number", "numeric", "minNumeric", "minUpper",
                "minLower", "minSpecial", "overrideSpecial"]


def pair(type_: str, old: dict[str, Any], new: dict[str, Any], options: dict[str, Any] | None = None,
         config: dict[str, str] | None = None) -> Any:
    base = {"stack": "dev", "apps": [], "resources": [{"type": type_, "name": "r", "id": "x", "inputs": old,
                                                        **({"options": options} if options else {})}]}
    head = copy.deepcopy(base)
    head["resources"][0]["inputs"] = new
    [found] = [r for r in diff_plans(base, head, config).resources if r.name == "r"]
    return found


def changed(inputs: dict[str, Any], path: str, value: Any = "changed") -> dict[str, Any]:
    """`inputs` with `path` set to `value` (made along the way)."""
    result = copy.deepcopy(inputs)
    target: Any = result
    parts = steps(path)
    for step, following in itertools.pairwise(parts):
        empty: Any = [{}] if isinstance(following, int) else {}
        target = target[step] if isinstance(step, int) else target.setdefault(step, empty)
    target[parts[-1]] = value
    return result


def k8s_object(api: str, kind: str) -> dict[str, Any]:
    return {"apiVersion": api.removeprefix("core/"), "kind": kind, "metadata": {"name": "app", "namespace": "ns"},
            "spec": {"containers": [{"name": "c"}], "initContainers": [{"name": "i"}]}}


@pytest.mark.parametrize(("api", "kind", "field"), KUBERNETES_RULES)
def test_kubernetes_force_new_fields_replace_deleting_first(api, kind, field):
    old = k8s_object(api, kind)
    found = pair(f"kubernetes:{api}:{kind}", old, changed(old, field))
    # Named, same name and namespace: the old object goes first (provider.go `deleteBeforeReplace`).
    assert (found.op, found.delete_first) == ("replace", True), (kind, field, found)
    assert any(field.split("[")[0] in reason or "identity" in reason or "immutable" in reason or "Secret" in reason
               for reason in found.replace_reasons)


@pytest.mark.parametrize(("api", "kind"), [*IDENTITY_KINDS, ("apps/v1", "Deployment"), ("core/v1", "Service")])
@pytest.mark.parametrize("field", ["metadata.name", "metadata.namespace"])
def test_kubernetes_identity_replaces_every_kind_new_one_first(api, kind, field):
    old = k8s_object(api, kind)
    found = pair(f"kubernetes:{api}:{kind}", old, changed(old, field))
    assert (found.op, found.delete_first) == ("replace", False)
    assert found.replace_reasons == (f"`{field}`: the object's identity (pulumi-kubernetes `Diff`)",)


@pytest.mark.parametrize(("api", "kind"), IDENTITY_KINDS)
def test_kubernetes_kinds_without_a_table_entry_update_the_rest_in_place(api, kind):
    old = k8s_object(api, kind)
    assert pair(f"kubernetes:{api}:{kind}", old, changed(old, "spec.rules")).op == "update"


@pytest.mark.parametrize(("api", "kind", "field"), [("apps/v1", "Deployment", "spec.replicas"),
                                                    ("apps/v1", "Deployment", "spec.template"),
                                                    ("core/v1", "Service", "spec.ports"),
                                                    ("core/v1", "Pod", "metadata.labels"),
                                                    ("batch/v1", "Job", "metadata.annotations")])
def test_kubernetes_other_fields_update(api, kind, field):
    old = k8s_object(api, kind)
    assert pair(f"kubernetes:{api}:{kind}", old, changed(old, field)).op == "update"


def test_mutable_secrets_and_patch_kinds_are_updated():
    secret = k8s_object("core/v1", "Secret")
    mutable = {"kubernetes:enableSecretMutable": "true"}
    assert pair("kubernetes:core/v1:Secret", secret, changed(secret, "data"), config=mutable).op == "update"
    assert pair("kubernetes:core/v1:Secret", secret, changed(secret, "type"), config=mutable).op == "replace"
    immutable = {**secret, "immutable": True}
    assert pair("kubernetes:core/v1:Secret", immutable, changed(immutable, "data"), config=mutable).op == "replace"
    patch = k8s_object("apps/v1", "DeploymentPatch")
    assert pair("kubernetes:apps/v1:DeploymentPatch", patch, changed(patch, "spec.selector")).op == "update"


def test_an_unnamed_kubernetes_object_is_replaced_new_one_first():
    old = {"metadata": {"generateName": "app-", "namespace": "ns"}, "spec": {"selector": {"matchLabels": {"a": "1"}}}}
    found = pair("kubernetes:apps/v1:Deployment", old, changed(old, "spec.selector.matchLabels.a", "2"))
    assert (found.op, found.delete_first) == ("replace", False)


@pytest.mark.parametrize("field", ["name", "namespace"])
def test_helm_release_identity_replaces_new_one_first(field):
    old = {"name": "ingress-public", "namespace": "ingress-public", "chart": "nginx-ingress", "values": {}}
    found = pair("kubernetes:helm.sh/v3:Release", old, changed(old, field))
    assert (found.op, found.delete_first) == ("replace", False)  # helm_release.go: `DeleteBeforeReplace: false`


def test_helm_release_chart_values_and_version_are_upgrades_unless_the_program_says_otherwise():
    old = {"name": "r", "namespace": "n", "chart": "nginx-ingress", "version": "2.6.4", "values": {"a": 1},
           "repositoryOpts": {"repo": "https://helm.nginx.com/stable"}}
    for field in ("chart", "version", "values.a", "repositoryOpts.repo"):
        assert pair("kubernetes:helm.sh/v3:Release", old, changed(old, field)).op == "update", field
    options = {"replaceOnChanges": ["chart", "repositoryOpts"], "deleteBeforeReplace": True}
    for field in ("chart", "repositoryOpts.repo"):
        found = pair("kubernetes:helm.sh/v3:Release", old, changed(old, field), options)
        assert (found.op, found.delete_first) == ("replace", True), field
        assert "option `replaceOnChanges`" in found.replace_reasons[0]
    assert pair("kubernetes:helm.sh/v3:Release", old, changed(old, "version"), options).op == "update"


@pytest.mark.parametrize(("type_", "field"), AWS_RULES)
def test_aws_force_new_inputs_replace_new_one_first(type_, field):
    old = {"name": "x", "cidrIpv4": "10.0.0.0/16", "tags": {"a": "b"}}
    found = pair(type_, old, changed(old, field))
    assert (found.op, found.delete_first) == ("replace", False), (type_, field)
    assert "terraform-provider-aws" in found.replace_reasons[0]


@pytest.mark.parametrize(("type_", "field"), AWS_UPDATES)
def test_aws_other_inputs_update(type_, field):
    old = {"name": "x", "cidrIpv4": "10.0.0.0/16", "tags": {"a": "b"}}
    assert pair(type_, old, changed(old, field)).op == "update", (type_, field)


def test_a_security_group_rule_whose_source_type_changes_is_replaced():
    old = {"securityGroupId": "sg-1", "cidrIpv4": "10.0.0.0/16", "fromPort": 443}
    new = {"securityGroupId": "sg-1", "cidrIpv6": "::/0", "fromPort": 443}
    found = pair("aws:vpc/securityGroupIngressRule:SecurityGroupIngressRule", old, new)
    assert found.op == "replace" and "source type changes" in found.replace_reasons[0]


def test_an_aws_type_without_rules_is_updated_and_said_so():
    found = pair("aws:s3/bucket:Bucket", {"bucket": "a"}, {"bucket": "b"})
    assert found.op == "update" and found.unknown_rules


@pytest.mark.parametrize("field", RANDOM_RULES)
def test_random_password_arguments_all_replace(field):
    old = {"length": 24, "special": False}
    found = pair("random:index/randomPassword:RandomPassword", old, changed(old, field, 99))
    assert found.op == "replace" and "terraform-provider-random" in found.replace_reasons[0]


def test_the_monitor_provider_decides_its_own_diff():
    """components/uptimerobot/provider.py `MonitorProvider.diff`: `type` replaces, the rest updates, and
    what it compares canonically (list order, 300 vs 300.0) is no change at all."""
    old = {"friendly_name": "docs (dev)", "url": "https://docs/", "type": "HTTP", "interval": 300,
           "tags": ["gangplank", "stack:dev"], "alert_contact_ids": [1, 2]}
    monitor = "pulumi-python:dynamic/uptimerobot:Monitor"
    found = pair(monitor, old, changed(old, "type", "KEYWORD"))
    assert (found.op, found.delete_first) == ("replace", False)
    assert pair(monitor, old, changed(old, "interval", 60)).op == "update"
    reordered = {**old, "tags": ["stack:dev", "gangplank"], "interval": 300.0, "alert_contact_ids": [2, 1]}
    base = {"stack": "dev", "resources": [{"type": monitor, "name": "r", "id": "1", "inputs": old}]}
    head = {"stack": "dev", "resources": [{"type": monitor, "name": "r", "id": "1", "inputs": reordered}]}
    assert diff_plans(base, head).is_empty
