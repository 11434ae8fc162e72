"""`GangplankMocks`: what each request of the SDK gets back, by mode; StackReferences; invokes.

Three modes:

- `plan` (default): the state after `pulumi up` completed: every id and computed output known.
- `fresh`: `pulumi preview` of a new stack. Creates get no id and only their inputs back, so every
  value the provider computes is unknown; reads whose id is unknown are skipped, as the engine
  skips them; imports and reads with a known id are read, as the engine reads them in previews.
- `update`: a preview of an update in which every Helm release and every dynamic resource (the
  UptimeRobot monitors) is updated. Existing resources keep their ids and outputs; what those
  providers recompute on update is unknown.

Resources are answered by `planner/mocks/providers.py`, the data sources from the mocked network
(`planner/mocks/network.py`); a dynamic resource first goes through its own provider's `check`.
"""

from __future__ import annotations

import base64
from collections.abc import Mapping
from dataclasses import dataclass
from typing import Any, Literal

import dill
import pulumi
from pulumi.runtime import rpc
from pulumi.runtime._serialization import _deserialize
from pulumi.runtime.mocks import MockCallArgs, MockResourceArgs

from planner.mocks.common import MOCK_ACCOUNT, digest, region
from planner.mocks.network import (
    MOCK_VPC_CIDR,
    NLB_HOSTED_ZONE_IDS,
    MockSubnet,
    get_subnet,
    get_subnets,
    mock_subnets,
)
from planner.mocks.providers import ANSWERS, ProviderAnswers, hosted_zone_id, kubernetes_object
from planner.resource_types import HELM_RELEASE

Mode = Literal["plan", "fresh", "update"]
MODES: tuple[Mode, ...] = ("plan", "fresh", "update")

DYNAMIC_PREFIX = "pulumi-python:dynamic"
UPDATED_IN_UPDATE_PREVIEW = (HELM_RELEASE,)
"""Types `--preview update` updates, besides every dynamic resource (`pulumi-python:dynamic/...`)."""

STACK_REFERENCE = "pulumi:pulumi:StackReference"


@dataclass(frozen=True)
class StackOutputs:
    """Another stack's outputs, as a `StackReference` to it reads them."""

    outputs: dict[str, Any]
    """Output name -> value (secret ones as the plan shows them: `[secret]`)."""
    secret_names: tuple[str, ...] = ()
    """The outputs that are secret."""


@dataclass(frozen=True)
class CheckFailure:
    """A dynamic provider's `check` refused an input of a resource."""

    resource: str
    """`<type>::<name>` of the resource."""
    field: str
    reason: str


class GangplankMocks(pulumi.runtime.Mocks):
    """Provider stand-ins: computed outputs per resource type, answers to data-source calls."""

    def __init__(self, mode: Mode = "plan", stack_references: Mapping[str, StackOutputs] | None = None) -> None:
        if mode not in MODES:
            raise ValueError(f"mode must be one of {', '.join(MODES)}, not {mode!r}")
        self.mode = mode
        self.stack_references = dict(stack_references or {})
        """Fully qualified stack name -> the outputs a StackReference to it reads."""
        self.check_failures: list[CheckFailure] = []
        self.unknown_outputs: dict[str, list[str]] = {}
        """`--preview update`: resource -> the outputs its provider computes, unknown until it is updated."""
        self._answers = ProviderAnswers([])
        self._providers: dict[str, Any] = {}
        self._listed: dict[str, MockSubnet] = {}
        """Subnets a getSubnets call returned, by id: what getSubnet can then be asked about."""

    def subnets(self, vpc_ids: list[str]) -> list[MockSubnet]:
        """The subnets of these VPCs (tests override this to model other layouts)."""
        return [subnet for vpc_id in vpc_ids for subnet in mock_subnets(vpc_id)]

    def new_resource(self, args: MockResourceArgs) -> tuple[str, dict[str, Any]]:
        if args.typ.startswith(DYNAMIC_PREFIX):
            # The engine sends every dynamic resource through its provider's `check` first and hands
            # `create`/`update` the checked inputs (pulumi/dynamic/__main__.py, Check).
            args = MockResourceArgs(args.typ, args.name, self._checked(args), args.provider, args.resource_id,
                                    args.custom)
        if self.mode == "fresh" and not args.resource_id:
            # A create in preview: pulumi-aws and pulumi-kubernetes answer the planned state with every
            # computed value unknown; providers without preview support (dynamic ones) get their
            # inputs back (pulumi sdk/go/common/resource/plugin/provider_plugin.go, Create with
            # Preview). An id is unknown until the create ran: it is left empty.
            return "", dict(args.inputs)
        if self.mode == "update" and (args.typ in UPDATED_IN_UPDATE_PREVIEW or args.typ.startswith(DYNAMIC_PREFIX)):
            # An update keeps the old id (pulumi pkg/resource/deploy/step.go, UpdateStep.Apply). Its
            # outputs in preview: a Helm release's `status` and `resourceNames` are unknown
            # (pulumi-kubernetes helm_release.go, checkpointRelease); a dynamic provider has no
            # preview, so the engine hands back the new inputs (provider_plugin.go, Update).
            resource_id, answer = self._answer(args)
            computed = sorted(key for key in answer if key not in args.inputs)
            if computed:
                self.unknown_outputs[f"{args.typ}::{args.name}"] = computed
            return resource_id, dict(args.inputs)
        return self._answer(args)

    def _answer(self, args: MockResourceArgs) -> tuple[str, dict[str, Any]]:
        if args.typ == STACK_REFERENCE:
            return self._stack_reference(args)
        method = ANSWERS.get(args.typ)
        if method is not None:
            return getattr(self._answers, method)(args)
        if args.typ.startswith("kubernetes:"):
            return kubernetes_object(args)
        if args.typ.startswith("pulumi:providers:"):
            # The engine gives a provider resource a UUID as its id (pulumi pkg/resource/deploy, providers).
            value = digest("provider", args.name, length=32)
            return f"{value[:8]}-{value[8:12]}-4{value[13:16]}-8{value[17:20]}-{value[20:]}", dict(args.inputs)
        return f"{args.name}-id", dict(args.inputs)

    def _stack_reference(self, args: MockResourceArgs) -> tuple[str, dict[str, Any]]:
        """A StackReference is a read of the built-in provider, whose id is the referenced stack's name; its state
        is `name`, `outputs` and `secretOutputNames` (pulumi pkg/resource/deploy/builtins.go, readStackReference).
        A stack the planner was not given reads as one without outputs."""
        name = str(args.resource_id or args.inputs.get("name") or args.name)
        found = self.stack_references.get(name, StackOutputs({}))
        outputs = {key: rpc.wrap_rpc_secret(value) if key in found.secret_names else value
                   for key, value in found.outputs.items()}
        return name, {"name": name, "outputs": outputs, "secretOutputNames": list(found.secret_names)}

    def _checked(self, args: MockResourceArgs) -> dict[str, Any]:
        """The dynamic resource's inputs after its own provider's `check`; failures are recorded."""
        # The SDK sends the pickled provider as a secret (it may hold secrets of its own).
        wrapped = args.inputs.get("__provider")
        blob = rpc.unwrap_rpc_secret(wrapped)
        if not isinstance(blob, str):
            return dict(args.inputs)
        provider = self._providers.get(blob)
        if provider is None:
            # Unpickled as the dynamic provider host does (pulumi/dynamic/__main__.py, get_provider),
            # without its configure(): `check` makes no call and needs no key.
            provider = self._providers[blob] = _deserialize(lambda: dill.loads(base64.b64decode(blob)))
        result = provider.check({}, dict(args.inputs))
        label = f"{args.typ}::{args.name}"
        self.check_failures += [CheckFailure(label, f.property, f.reason) for f in result.failures or []]
        return {**dict(result.inputs or {}), "__provider": wrapped}

    def call(self, args: MockCallArgs) -> tuple[dict[str, Any], list[tuple[str, str]] | None]:
        if args.token == "aws:lb/getHostedZoneId:getHostedZoneId":
            return {"id": NLB_HOSTED_ZONE_IDS.get(args.args.get("region") or region(), "Z26RNL4JYFTOTI")}, []
        if args.token == "aws:route53/getZone:getZone":
            zone_id = args.args.get("zoneId") or hosted_zone_id(str(args.args.get("name")))
            return {"zoneId": zone_id, "id": zone_id, "name": args.args.get("name", "example.com")}, []
        if args.token == "aws:ec2/getSubnets:getSubnets":
            vpc_ids = sorted({v for f in args.args.get("filters") or [] if f.get("name") == "vpc-id"
                              for v in f.get("values", [])})
            listed = self.subnets(vpc_ids)
            self._listed.update({subnet.id: subnet for subnet in listed})
            return get_subnets(args.args, listed), []
        if args.token == "aws:ec2/getSubnet:getSubnet":
            subnet_id = str(args.args.get("id"))
            return get_subnet(self._listed.get(subnet_id), subnet_id), []
        if args.token == "aws:ec2/getVpc:getVpc":
            # One primary CIDR, as most EKS VPCs have; the admission webhook's NetworkPolicy rule follows it.
            vpc_id = args.args.get("id") or "vpc-" + digest("default-vpc", length=17)
            return {"id": vpc_id, "cidrBlock": MOCK_VPC_CIDR, "state": "available",
                    "arn": f"arn:aws:ec2:{region()}:{MOCK_ACCOUNT}:vpc/{vpc_id}",
                    "cidrBlockAssociations": [{"associationId": "vpc-cidr-assoc-" + digest(vpc_id, length=17),
                                               "cidrBlock": MOCK_VPC_CIDR, "state": "associated"}]}, []
        return {}, []
