"""What a diff of two plans holds: each app's and each resource's change, the risks, the routes.

Every resource change is one step of the engine (`Op`): create, update, replace (the new one first,
or the old one deleted first), delete, or none at all (`same`: the plans differ only in what the
engine does not act on, or in options it only records in the state). Reads (`Resource.get`) are
`read`: the engine reads them again, and nothing in the cloud changes.
"""

from __future__ import annotations

from collections import Counter
from collections.abc import Mapping
from dataclasses import dataclass, field
from typing import Any, Literal

Op = Literal["create", "import", "update", "replace", "delete", "same", "read"]
OPS: tuple[Op, ...] = ("create", "import", "update", "replace", "delete")
"""The steps that change something, in the order the diff lists them (as `pulumi preview` counts them)."""
OP_WORDS = {"create": "to create", "import": "to import", "update": "to update", "replace": "to replace",
            "delete": "to delete"}

Kind = Literal["added", "changed", "removed"]
KIND_ORDER: dict[str, int] = {"added": 0, "changed": 1, "removed": 2}

SECRET = "[secret]"
KNOWN_AFTER_APPLY = "[known after apply]"
"""A value the engine learns only when the resource it comes from has been created or replaced."""
OUTPUT_OF = "[output of {}]"
"""A value an existing resource computed (an id, an ARN): the plan only holds the mocks' stand-in."""


def output_of(label: str) -> str:
    return OUTPUT_OF.format(label)


def is_engine_value(value: Any) -> bool:
    """Whether a shown value stands for what only the engine knows (not a value of the plan)."""
    return isinstance(value, str) and (value == KNOWN_AFTER_APPLY or (value.startswith("[output of ")
                                                                      and value.endswith("]")))


@dataclass(frozen=True)
class FieldChange:
    """One field (an app field, an input path or an option) whose value differs; secrets masked."""

    field: str
    old: Any
    """The value in base (None when the field is new)."""
    new: Any
    """The value in head (None when the field is gone)."""
    replaces: bool = False
    """This change makes the provider (or a `replaceOnChanges` option) replace the resource."""


@dataclass(frozen=True)
class AppDiff:
    """An app that is added, removed or changed (an app is identified by its name)."""

    name: str
    kind: Kind
    base: Mapping[str, Any] | None
    """The app's entry in the base plan; None when added."""
    head: Mapping[str, Any] | None
    """The app's entry in the head plan; None when removed."""
    changes: tuple[FieldChange, ...] = ()
    """Changed fields, sorted by name (`monitor.interval` for a field inside `monitor`)."""
    resources: tuple[str, ...] = ()
    """Names of the app's own resources with a step (those under its component), for a changed app."""

    @property
    def current(self) -> Mapping[str, Any]:
        """The entry that describes the app after the change (before it, for a removed app)."""
        return self.head if self.head is not None else self.base or {}

    @property
    def team(self) -> str | None:
        """The team that owns the app, when the plan says (plans of stacks with teams)."""
        team = self.current.get("team")
        return str(team) if team else None


@dataclass(frozen=True)
class ResourceDiff:
    """One resource's step: identified by type and name (and parent, for twins)."""

    type: str
    name: str
    op: Op
    parent: str | None
    """`<type>::<name>` of the parent component in head (in base, for a deleted resource)."""
    input_changes: tuple[FieldChange, ...] = ()
    """The inputs that differ, by path (`spec.rules[0].host`), with both values."""
    option_changes: tuple[FieldChange, ...] = ()
    """Resource options that differ (`protect`, `dependsOn`, ...), and `parent` when it moved."""
    base_parent: str | None = None
    replace_reasons: tuple[str, ...] = ()
    """Why it is replaced, one line each: the paths and the rule (provider, option or engine) behind them."""
    delete_first: bool = False
    """A replacement that deletes the old one before creating the new one (a gap while neither exists)."""
    retained: bool = False
    """`retainOnDelete`: a delete (or the old half of a replacement) leaves the cloud object in place."""
    refused: str | None = None
    """Why the engine refuses this step (a protected resource replaced or deleted); None when it does not."""
    unprotected: bool = False
    """Protected in base, and not in head (option dropped, or the resource left the program)."""
    move_keeps_urn: bool = True
    """For a resource under another parent now: its URN stays (same parent type, or an alias)."""
    ignored_options: tuple[str, ...] = ()
    """Options that differ but that the engine does not act on (`dependsOn`, `customTimeouts`...)."""
    base_inputs: Any = None
    """The inputs in base (secrets masked), for a deleted resource."""
    head_inputs: Any = None
    """The inputs in head (secrets masked, engine values marked), for a created resource."""
    component: bool = False
    """A component resource: the engine records it, no provider is called."""
    unknown_rules: bool = False
    """No replacement rules are known for its type: its changes are shown as updates."""

    @property
    def label(self) -> str:
        return f"{self.type}::{self.name}"

    @property
    def kind(self) -> Kind:
        """The plan-level view: added, changed or removed."""
        return "added" if self.op in ("create", "import") else "removed" if self.op == "delete" else "changed"

    @property
    def changed_inputs(self) -> tuple[str, ...]:
        return tuple(change.field for change in self.input_changes)

    @property
    def changed_options(self) -> tuple[str, ...]:
        return tuple(change.field for change in self.option_changes)


RiskGroup = Literal["replace", "exposure", "rename", "review"]
RISK_GROUPS: tuple[RiskGroup, ...] = ("replace", "exposure", "rename", "review")


@dataclass(frozen=True)
class Risk:
    """A change a reviewer should look at twice; `message` is Markdown (one paragraph)."""

    kind: str
    """`move`, `replace`, `delete`, `refused`, `exposure`, `reach`, `dns`, `rename`, `visibility`, `route`,
    `monitor`, `zone`, `controller`, `protect`, `parent`."""
    subject: str
    message: str
    group: RiskGroup = "review"


@dataclass(frozen=True)
class Route:
    """How an affected app is reached: app -> ingress class -> NLB (controller) -> hosted zone."""

    app: str
    kind: Kind
    ingress_class: str
    controller: str
    zone: str
    current: bool


@dataclass(frozen=True)
class PlanWarning:
    """One of the head plan's top-level `warnings`: what the stack passes with, apart from the change."""

    kind: str
    """What it is about (`capacity`, `retirement`, `chartVersion`, `uptimerobotApiKey`, ...)."""
    message: str
    """One line for people (Markdown: config keys and commands in code spans)."""


@dataclass(frozen=True)
class PlanDiff:
    """Everything the renderers show, computed by `diff_plans`."""

    stack: str
    base_stack: str
    apps: tuple[AppDiff, ...]
    resources: tuple[ResourceDiff, ...]
    risks: tuple[Risk, ...]
    routes: tuple[Route, ...]
    warnings: tuple[PlanWarning, ...] = ()
    """The head plan's top-level `warnings`: capacity limits it is near or past, a retired flavor, a chart
    version gangplank does not check, a key `pulumi up` will need."""
    moves: tuple[str, ...] = ()
    """Each edge that is moving to another flavor after the change: where it is, and what its next step changes
    (`planner.edge_moves.move_lines`)."""
    base_version: int = 2
    """The base plan's format version (1: a plan written before plans had one)."""
    notes: tuple[str, ...] = field(default_factory=tuple)
    """What the reader should know about the comparison itself (Markdown)."""
    state_commands: tuple[tuple[str, tuple[str, ...]], ...] = ()
    """(new app, `pulumi state rename` commands) for each likely rename: what keeps its monitor."""
    blockers: tuple[Mapping[str, Any], ...] = ()
    """`{resource, reason, blocks, failsAfterSeconds}` (as `planner.rollout.blockers.blocker_json`): steps `pulumi up`
    cannot take as planned (the engine or a controller refuses them, or never lets them complete)."""

    @property
    def steps(self) -> tuple[ResourceDiff, ...]:
        """The resources whose step changes something (create, update, replace, delete)."""
        return tuple(r for r in self.resources if r.op in OPS)

    @property
    def is_empty(self) -> bool:
        """True when no app changes and the engine would change no resource."""
        return not self.apps and not self.steps

    def apps_of(self, kind: Kind) -> tuple[AppDiff, ...]:
        return tuple(app for app in self.apps if app.kind == kind)

    def resources_of(self, what: str) -> tuple[ResourceDiff, ...]:
        """The resources with this step (`create`, `replace`...) or of this kind of change: `added` (created or
        imported), `changed` (updated or replaced), `removed` (deleted)."""
        if what in KIND_ORDER:
            return tuple(r for r in self.steps if r.kind == what)
        return tuple(resource for resource in self.resources if resource.op == what)

    def op_counts(self) -> dict[str, int]:
        """Resources per step, as `pulumi preview` counts them (components included, reads not)."""
        counts = Counter(resource.op for resource in self.resources)
        return {op: counts[op] for op in OPS}

    def resource_counts(self) -> list[tuple[str, dict[str, int]]]:
        """(type, {op: count}) per resource type with a step, sorted by type."""
        counts: dict[str, Counter[str]] = {}
        for resource in self.steps:
            counts.setdefault(resource.type, Counter())[resource.op] += 1
        return [(type_, {op: c[op] for op in OPS}) for type_, c in sorted(counts.items())]
