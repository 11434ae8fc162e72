"""The engine's step for each resource of a change, decided as `pulumi up` decides it.

Source: pulumi/pulumi at 1b594989 (v3.259+), pkg/resource/deploy/step_generator.go:

- A resource only in the new program is created (`import`ed when it names an id to adopt); one only in
  the old state is deleted, unless it is protected (`GenerateDeletes` refuses), and a `retainOnDelete`
  one is only dropped from the state. A read (`Resource.get`) is read again; nothing is created or
  deleted for it.
- A resource whose URN changes is another resource to the engine: the new URN is created and the old
  one deleted, unless an alias names the old URN (a URN holds the parent's type chain, not its name).
- Otherwise the provider's `Diff` decides (`diffResource`), on the new inputs with `ignoreChanges`
  paths reset to the old values (`processIgnoreChanges`); `replaceOnChanges` turns a change under its
  paths into a replacement (`applyReplaceOnChanges`); a component, having no provider, is updated
  when its inputs differ. A replacement deletes first if `deleteBeforeReplace` is set, else as the
  provider asks (`continueStepsFromDiff`), and is refused for a resource protected before and after.
- Options alone (`dependsOn`, `customTimeouts`) cause no step: without a diff the engine emits a
  `SameStep`, which records the new goal (`protect`, `retainOnDelete`, `aliases`...) in the state.
- In a preview, a resource created or replaced has its computed outputs unknown, and so has every
  input made from them (`planner.provenance`); a read whose dependencies are created or replaced is
  read after them. An unknown value is a change to the provider, which replaces the resource if the
  value is under a replacing input (terraform: "known after apply, forces replacement").
"""

from __future__ import annotations

from collections import Counter
from collections.abc import Mapping, Sequence
from typing import Any

from planner.diff.model import KNOWN_AFTER_APPLY, SECRET, FieldChange, Op, ResourceDiff, output_of
from planner.diff.providers import Change, ProviderDiff, diff_of, replaced_by
from planner.diff.values import (
    changed_leaves,
    engine_values,
    holds_secret,
    masked,
    masked_input,
    visible_inputs,
)
from planner.paths import steps as path_steps
from planner.paths import with_value

ENGINE = "pulumi step_generator.go"
IGNORED_OPTIONS = ("dependsOn", "customTimeouts")
"""Options the engine does not act on in an update: they order and time steps, and cause none."""
NOT_OPTIONS = ("read",)
"""Keys of a plan's `options` that describe the resource, not an option the program set."""


def label(resource: Mapping[str, Any]) -> str:
    return f"{resource.get('type')}::{resource.get('name')}"


def parent_of(resource: Mapping[str, Any] | None) -> str | None:
    parent = (resource or {}).get("parent")
    return str(parent) if parent else None


def options_of(resource: Mapping[str, Any] | None) -> Mapping[str, Any]:
    return {k: v for k, v in ((resource or {}).get("options") or {}).items() if k not in NOT_OPTIONS}


def is_read(resource: Mapping[str, Any] | None) -> bool:
    return bool(((resource or {}).get("options") or {}).get("read"))


def is_component(resource: Mapping[str, Any]) -> bool:
    """A component: the planner records no id for it; its type is of the program's own package."""
    type_ = str(resource.get("type"))
    return type_.startswith("gangplank:") or ("id" in resource and resource.get("id") is None
                                              and not type_.startswith("pulumi:providers:"))


# -- pairing ---------------------------------------------------------------------------------


def resource_keys(*plans: Sequence[Mapping[str, Any]]) -> list[dict[tuple[str, ...], Mapping[str, Any]]]:
    """Each plan's resources by (type, name); twins (one type and name under two parents) add the parent."""
    twins = {pair for resources in plans
             for pair, n in Counter((str(r.get("type")), str(r.get("name"))) for r in resources).items() if n > 1}
    indexes = []
    for resources in plans:
        index: dict[tuple[str, ...], Mapping[str, Any]] = {}
        for resource in resources:
            pair = (str(resource.get("type")), str(resource.get("name")))
            index[(*pair, str(resource.get("parent"))) if pair in twins else pair] = resource
        indexes.append(index)
    return indexes


def _aliased_keys(resource: Mapping[str, Any]) -> list[tuple[str, str]]:
    """(type, name) of the old URNs the resource's aliases name."""
    found = []
    for alias in options_of(resource).get("aliases") or []:
        if isinstance(alias, str) and alias.count("::") >= 3:
            chain, name = alias.split("::")[2:4]
            found.append((chain.split("$")[-1], name))
        elif isinstance(alias, dict):
            found.append((str(alias.get("type") or resource.get("type")),
                          str(alias.get("name") or resource.get("name"))))
    return found


def pairs(base: Sequence[Mapping[str, Any]], head: Sequence[Mapping[str, Any]]
          ) -> list[tuple[Mapping[str, Any] | None, Mapping[str, Any] | None]]:
    """(old, new) for every resource: paired by type and name, or through an alias of the new one."""
    before, after = resource_keys(base, head)
    unmatched = {key for key in before if key not in after}
    matched: dict[tuple[str, ...], tuple[str, ...]] = {}
    for key, resource in after.items():
        if key in before:
            continue
        for alias in _aliased_keys(resource):
            if alias in unmatched and alias != key[:2]:
                matched[key] = alias
                unmatched.discard(alias)
                break
    found: list[tuple[Mapping[str, Any] | None, Mapping[str, Any] | None]] = []
    for key, resource in after.items():
        old_key = key if key in before else matched.get(key)
        found.append((before.get(old_key) if old_key else None, resource))
    found += [(before[key], None) for key in sorted(unmatched)]
    return found


# -- URNs --------------------------------------------------------------------------------------


def type_chains(resources: Sequence[Mapping[str, Any]]) -> dict[str, str]:
    """`<type>::<name>` -> the URN's qualified type (`parent types$type`), as the engine builds it."""
    by_label = {label(r): r for r in resources}
    chains: dict[str, str] = {}

    def chain(current: str, seen: frozenset[str] = frozenset()) -> str:
        if current in chains:
            return chains[current]
        resource = by_label[current]
        parent = parent_of(resource)
        own = str(resource.get("type"))
        if parent in by_label and parent not in seen:
            own = f"{chain(parent, seen | {current})}${own}"
        elif parent:
            own = f"{parent.partition('::')[0]}${own}"
        chains[current] = own
        return own

    for name in by_label:
        chain(name)
    return chains


def keeps_urn(old: Mapping[str, Any], new: Mapping[str, Any], old_chain: str, new_chain: str) -> bool:
    """Whether the engine finds `new` under the URN `old` had: the same type chain and name, or an alias."""
    if old_chain == new_chain and old.get("name") == new.get("name"):
        return True
    old_parent = parent_of(old)
    for alias in options_of(new).get("aliases") or []:
        if isinstance(alias, str):
            parts = alias.split("::")
            if len(parts) >= 4 and parts[2] == old_chain and parts[3] == old.get("name"):
                return True
        elif isinstance(alias, dict):
            if (alias.get("name") or new.get("name")) != old.get("name"):
                continue
            if (alias.get("type") or new.get("type")) != old.get("type"):
                continue
            parent_urn = alias.get("parentUrn")
            if isinstance(parent_urn, str) and parent_urn.count("::") >= 3 and old_parent is not None:
                chain, name = parent_urn.split("::")[2:4]
                if f"{chain.split('$')[-1]}::{name}" == old_parent:
                    return True
            elif (parent_urn is None and not alias.get("noParent") and old_chain.rpartition("$")[0] == \
                    new_chain.rpartition("$")[0]) or (alias.get("noParent") and "$" not in old_chain):
                return True
    return False


# -- one resource ------------------------------------------------------------------------------


def _reset(value: Any, path: tuple[Any, ...], old: Any) -> Any:
    """processIgnoreChanges: the value at `path` as it was (unchanged where either side lacks it)."""
    if not path:
        return old
    step, rest = path[0], path[1:]
    if isinstance(step, str) and isinstance(value, dict) and isinstance(old, dict) and step in old:
        return {**value, step: _reset(value.get(step), rest, old[step])}
    if isinstance(step, int) and isinstance(value, list) and isinstance(old, list) and step < min(len(value),
                                                                                                      len(old)):
        return [_reset(item, rest, old[step]) if i == step else item for i, item in enumerate(value)]
    return value


def effective_inputs(old: Mapping[str, Any], new: Mapping[str, Any], unknown: set[str]) -> dict[str, Any]:
    """The new inputs as the provider sees them: ignored paths reset, values from pending outputs unknown."""
    inputs: Any = dict(new.get("inputs") or {})
    for path in options_of(new).get("ignoreChanges") or []:
        try:
            inputs = _reset(inputs, path_steps(path), old.get("inputs") or {})
        except ValueError:
            continue  # the engine skips a path it cannot parse too
    for path, shown in engine_values(new, unknown).items():
        if shown == KNOWN_AFTER_APPLY:
            inputs = with_value(inputs, path_steps(path), KNOWN_AFTER_APPLY)
    return inputs


def _secret_changes(old: Mapping[str, Any], new: Mapping[str, Any], unknown: set[str]) -> list[str]:
    """Secret inputs that changed though both plans show `[secret]`: made from other resources that are
    created or replaced now, or from other resources than before (a user added to basic auth)."""
    found = []
    old_deps, new_deps = old.get("propertyDependencies"), new.get("propertyDependencies") or {}
    for key, value in (new.get("inputs") or {}).items():
        if not holds_secret(value):
            continue
        sources = set(new_deps.get(key) or ())
        moved = old_deps is not None and sources != set((old_deps or {}).get(key) or ())
        if moved or sources & unknown:
            found.append(key)
    return found


def _marked(value: Any, path: str, marks: Mapping[str, str]) -> Any:
    """`value` (at `path`) with the engine values inside it marked instead of the plan's stand-ins."""
    if value is None or path == "(all)":
        return value
    depth = len(path_steps(path))
    for found, shown in marks.items():
        if found == path:
            return shown
        if found.startswith((path + ".", path + "[")):
            value = with_value(value, path_steps(found)[depth:], shown)
    return value


def _shown_change(type_: str, path: str, before: Any, after: Any, old: Mapping[str, Any],
                  new: Mapping[str, Any], unknown: set[str], replaces: bool) -> FieldChange:
    """A changed path as the diff shows it: engine values marked, secrets masked.

    Old values at a path either plan makes from outputs are the mocks' too (a base planned before
    plans said so has no `fromOutputs`): both plans' paths mark them.
    """
    old_marks = {found: output_of(sources[0]) for plan in (new, old)
                 for found, sources in (plan.get("fromOutputs") or {}).items()}
    before = _marked(before, path, old_marks)
    after = _marked(after, path, engine_values(new, unknown))
    before, after = masked_input(type_, path, before, after)
    return FieldChange(path, before, after, replaces)


def step_of(old: Mapping[str, Any], new: Mapping[str, Any], chains: tuple[str, str], unknown: set[str],
            config: Mapping[str, str]) -> ResourceDiff | None:
    """The engine's step for a resource in both plans (None when there is nothing to show)."""
    type_, name = str(new.get("type")), str(new.get("name"))
    old_options, new_options = options_of(old), options_of(new)
    options = [FieldChange(key, *masked(old_options.get(key), new_options.get(key)))
               for key in sorted(old_options.keys() | new_options.keys())
               if old_options.get(key) != new_options.get(key)]
    moved = parent_of(old) != parent_of(new)
    if moved:
        options.insert(0, FieldChange("parent", parent_of(old), parent_of(new)))
    if old.get("provider") != new.get("provider"):
        options.append(FieldChange("provider", old.get("provider"), new.get("provider")))
    if is_read(new):
        changed = old.get("inputs") != new.get("inputs") or bool(options) or old.get("id") != new.get("id")
        return ResourceDiff(type_, name, "read", parent_of(new), option_changes=tuple(options),
                            base_parent=parent_of(old)) if changed else None

    inputs = effective_inputs(old, new, unknown)
    leaves = changed_leaves(old.get("inputs") or {}, inputs)
    secret_keys = [key for key in _secret_changes(old, new, unknown) if not any(
        path == key or path.startswith((key + ".", key + "[")) for path, _, _ in leaves)]
    paths = tuple([path for path, _, _ in leaves] + secret_keys)
    answer = ProviderDiff(())
    if paths:
        change = Change(type_, old.get("inputs") or {}, inputs, paths, config)
        answer = ProviderDiff(paths) if is_component(new) else diff_of(type_)(change)
        on_change = {path: "the resource's option `replaceOnChanges` (pulumi step_generator.go)"
                     for path in new_options.get("replaceOnChanges") or []}
        extra = [found for found in replaced_by(change, on_change) if found[0] in answer.changed]
        answer = ProviderDiff(answer.changed, (*answer.replaces, *extra), answer.delete_before_replace,
                              answer.unknown_rules)
    replacing = {path for path, _ in answer.replaces}
    grouped: dict[str, list[str]] = {}
    for path, why in answer.replaces:
        grouped.setdefault(why, []).append(path)
    reasons = [f"{', '.join(f'`{p}`' for p in paths)}: {why}" for why, paths in grouped.items()]
    keeps = keeps_urn(old, new, *chains)
    if not keeps:
        reasons.insert(0, f"its URN changes (`{chains[0]}` → `{chains[1]}`) and no alias names the old one: to "
                          "the engine another resource (pulumi step_generator.go)")
    shown = [_shown_change(type_, path, before, after, old, new, unknown, path in replacing)
             for path, before, after in leaves if path in answer.changed]
    shown += [FieldChange(key, SECRET, SECRET, key in replacing) for key in secret_keys if key in answer.changed]
    ignored = tuple(change.field for change in options if change.field in IGNORED_OPTIONS)
    acted = tuple(change for change in options if change.field not in IGNORED_OPTIONS)
    op: Op
    if not keeps or answer.replaces:
        op = "replace"
    elif answer.changed:
        op = "update"
    elif acted or ignored:
        op = "same"
    else:
        return None
    delete_first = False
    if op == "replace":
        chosen = new_options.get("deleteBeforeReplace")
        delete_first = bool(chosen) if chosen is not None else answer.delete_before_replace
        if not keeps:
            delete_first = False  # two URNs: the engine creates the new one, and deletes the old one at the end
    refused = None
    if op == "replace" and keeps and old_options.get("protect") and new_options.get("protect"):
        refused = (f"{ENGINE}: \"unable to replace resource ... as it is currently marked for protection\": "
                   "`pulumi up` stops; unprotect it first if it must be replaced")
    return ResourceDiff(
        type_, name, op, parent_of(new), tuple(shown), tuple(acted), base_parent=parent_of(old),
        replace_reasons=tuple(reasons), delete_first=delete_first,
        retained=op == "replace" and bool(new_options.get("retainOnDelete")), refused=refused,
        unprotected=bool(old_options.get("protect")) and not new_options.get("protect"),
        move_keeps_urn=keeps, ignored_options=ignored, component=is_component(new),
        unknown_rules=answer.unknown_rules)


# -- every resource ----------------------------------------------------------------------------


def _order(head: Sequence[Mapping[str, Any]]) -> list[Mapping[str, Any]]:
    """Head's resources with every dependency (and parent, and provider) before its dependents."""
    by_label = {label(r): r for r in head}
    done: set[str] = set()
    ordered: list[Mapping[str, Any]] = []
    for start in sorted(by_label):
        stack: list[tuple[str, bool]] = [(start, False)]
        while stack:
            current, expanded = stack.pop()
            if current in done:
                continue
            if expanded:
                done.add(current)
                ordered.append(by_label[current])
                continue
            stack.append((current, True))
            resource = by_label[current]
            for dep in sorted({*(resource.get("dependencies") or []), parent_of(resource) or "",
                               str(resource.get("provider") or "")}, reverse=True):
                if dep in by_label and dep not in done:
                    stack.append((dep, False))
    return ordered


def resource_steps(base: Sequence[Mapping[str, Any]], head: Sequence[Mapping[str, Any]],
                   config: Mapping[str, str] | None = None) -> tuple[ResourceDiff, ...]:
    """Every resource's step from `base` to `head` (resources the engine leaves alone are left out)."""
    config = config or {}
    paired = {id(new): old for old, new in pairs(base, head) if new is not None}
    removed = [old for old, new in pairs(base, head) if new is None and old is not None]
    old_chains, new_chains = type_chains(base), type_chains(head)
    unknown: set[str] = set()
    found: list[ResourceDiff] = []
    for new in _order(head):
        old = paired.get(id(new))
        name = label(new)
        if old is None:
            options = options_of(new)
            op: Op = "read" if is_read(new) else "import" if options.get("import") else "create"
            found.append(ResourceDiff(str(new.get("type")), str(new.get("name")), op, parent_of(new),
                                      head_inputs=visible_inputs(str(new.get("type")), new.get("inputs"),
                                                                 engine_values(new, unknown)),
                                      component=is_component(new)))
            step: ResourceDiff | None = found[-1]
        else:
            step = step_of(old, new, (old_chains[label(old)], new_chains[name]), unknown, config)
            if step is not None:
                found.append(step)
        pending = step is not None and step.op in ("create", "replace")
        if is_read(new) and set(new.get("dependencies") or ()) & unknown:
            pending = True  # read after what it waits for: its outputs are the new ones
        if pending or (old is None and is_read(new)):
            unknown.add(name)
    for old in removed:
        options = options_of(old)
        op = "read" if is_read(old) else "delete"
        refused = None
        if op == "delete" and options.get("protect"):
            refused = (f"{ENGINE} `GenerateDeletes`: a protected resource is not deleted: `pulumi up` stops "
                       "until it is unprotected (`pulumi state unprotect`)")
        found.append(ResourceDiff(
            str(old.get("type")), str(old.get("name")), op, parent_of(old), base_parent=parent_of(old),
            retained=bool(options.get("retainOnDelete")), refused=refused, unprotected=bool(options.get("protect")),
            base_inputs=visible_inputs(str(old.get("type")), old.get("inputs"),
                                       {path: output_of(sources[0]) for path, sources in
                                        (old.get("fromOutputs") or {}).items()}),
            component=is_component(old)))
    order = {"create": 0, "import": 0, "update": 1, "replace": 2, "delete": 3, "same": 4, "read": 5}
    return tuple(sorted(found, key=lambda d: (order[d.op], d.type, d.name, d.parent or "")))
