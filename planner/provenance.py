"""Which input values are made from other resources' computed outputs: what only the engine knows.

The SDK tells the engine, per top-level input, which resources its value came from
(`RegisterResourceRequest.propertyDependencies`). A value made from what a provider computes (an
id, an ARN, name servers, an NLB's host name) is unknown in a preview whenever that resource is
created or replaced in the same run: the engine previews a create with the provider's planned
state, in which computed attributes are unknown and inputs are known (pulumi sdk/go/common/resource/
plugin/provider_plugin.go, Create with Preview; pulumi-kubernetes answers with the object's inputs).

So a value is "from outputs" when it holds a string one of its dependencies computed: a string of
that resource's state that is not among its own inputs (its id included). Plans record these
paths (`fromOutputs`), so that a diff can show them as known after apply instead of mock values.
"""

from __future__ import annotations

from collections.abc import Iterable

from planner.mocks.monitor import Registration
from planner.paths import leaves, value_at

MIN_COMPUTED_CHARS = 8
"""Shorter strings (a record type, `none`, a port) are too common to tell where a value came from."""
MIN_EMBEDDED_CHARS = 16
"""A computed string is looked for inside a longer value (an ARN in a list joined by commas) only from
this length on: an account id (12 digits) is part of every ARN of the account, not its source."""


def computed_strings(registration: Registration) -> frozenset[str]:
    """Strings the provider computed for a resource: its id and state strings it was not given."""
    given = {value for _, value in leaves(registration.inputs) if isinstance(value, str)}
    state = {value for _, value in leaves(registration.state()) if isinstance(value, str)}
    found = {value for value in state - given if len(value) >= MIN_COMPUTED_CHARS and value != "[unknown]"}
    if registration.id and registration.id not in given and len(registration.id) >= MIN_COMPUTED_CHARS \
            and registration.id != "[unknown]":
        found.add(registration.id)
    return frozenset(found)


def from_outputs(registrations: Iterable[Registration]) -> dict[str, dict[str, list[str]]]:
    """`<type>::<name>` -> {input path: the resources whose computed outputs its value holds}.

    Followed through inputs: a value a resource was given from another's outputs, and hands on as an
    output of its own (a certificate validation's `certificateArn`), still comes from the first.
    """
    by_label = {reg.label: reg for reg in registrations}
    found: dict[str, dict[str, list[str]]] = {}
    provided: dict[str, dict[str, frozenset[str]]] = {}

    def sources_in(reg: Registration) -> dict[str, list[str]]:
        if reg.label in found:
            return found[reg.label]
        paths: dict[str, set[str]] = {}
        for key, deps in reg.property_dependencies.items():
            offered: dict[str, frozenset[str]] = {}
            for dep in deps:
                if dep in by_label and dep != reg.label:
                    for text, origins in provides(by_label[dep]).items():
                        offered[text] = offered.get(text, frozenset()) | origins
            if not offered:
                continue
            for path, value in leaves(reg.inputs.get(key), key):
                if isinstance(value, str):
                    origins = _origins(value, offered)
                    if origins:
                        paths.setdefault(path, set()).update(origins)
        found[reg.label] = {path: sorted(labels) for path, labels in sorted(paths.items())}
        return found[reg.label]

    def provides(reg: Registration) -> dict[str, frozenset[str]]:
        if reg.label not in provided:
            provided[reg.label] = {}  # a dependency cycle (impossible in Pulumi) stops here
            own = {text: frozenset({reg.label}) for text in computed_strings(reg)}
            for path, origins in sources_in(reg).items():
                value = value_at(reg.inputs, path)
                if isinstance(value, str) and len(value) >= MIN_COMPUTED_CHARS:
                    own[value] = own.get(value, frozenset()) | frozenset(origins)
            provided[reg.label] = own
        return provided[reg.label]

    for reg in by_label.values():
        sources_in(reg)
    return {label: paths for label, paths in found.items() if paths}


def _origins(value: str, offered: dict[str, frozenset[str]]) -> set[str]:
    if value in offered:
        return set(offered[value])
    return {origin for text, origins in offered.items()
            if len(text) >= MIN_EMBEDDED_CHARS and len(text) < len(value) and text in value for origin in origins}
