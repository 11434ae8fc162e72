"""The structure of a catalogue file, checked app by app: what `apps.schema.json` says too.

Its problems are located by app and field, and worded for a person (`file:line: app 'x' field 'y': ...`).
"""

from __future__ import annotations

import difflib
from collections.abc import Iterable, Sequence
from typing import Any

from pydantic import BaseModel, TypeAdapter, ValidationError

from components.inputs.catalog.models import EXTENSION_PREFIX, MONITOR_USER, TOP_LEVEL_FIELDS, App, OwnedHosts, Owners
from components.inputs.problems import Problem, app_subject, dotted, shown
from components.inputs.salvage import validate_salvaging
from components.inputs.shaping import shaping_problems
from components.inputs.yamllines import line_of, plain, start_line

_OWNERS: TypeAdapter[list[str]] = TypeAdapter(Owners)
_OWNED_HOSTS: TypeAdapter[list[str]] = TypeAdapter(OwnedHosts)


def _owner_message(error: Any) -> str:
    if error["type"] == "string_pattern_mismatch":
        return (f"'{shown(error['input'])}' is not a code owner: '@user', '@org/team' or an email address, as "
                "GitHub's CODEOWNERS takes them")
    if error["type"] == "too_short":
        return "an empty list: name at least one owner, or remove 'owners' (the platform's owners then own the file)"
    message = error["msg"]
    return message if isinstance(error.get("input"), dict | list) else f"{message} (got {shown(repr(error['input']))})"


def parse_catalogue(path: str, root: Any, refused: Iterable[Sequence[str | int]] = ()
                    ) -> tuple[dict[int, App], list[Problem]]:
    """Check the structure of a parsed apps.yaml, app by app: everything `apps.schema.json` says too.

    Returns the apps that can be read (by their position in the file) and every problem. An entry
    with invalid values is read without them (`components.inputs.salvage`), so that the rules on the
    entry and across apps still run on the rest of it: all problems of a file come in one run.
    `refused` are the locations of values the YAML reader refused (reported by it).
    """
    def top(message: str, line: int | None = 1) -> tuple[dict[int, App], list[Problem]]:
        return {}, [Problem(path, line, app_subject(None, "apps"), message)]

    if root is None or (isinstance(root, str) and not root.strip()):
        return top("the file is empty; expected a mapping with a list under 'apps:'")
    if not isinstance(root, dict):
        return top(f"expected a mapping with a list under 'apps:', found {_kind(root)}", start_line(root) or 1)
    problems = [
        Problem(path, line_of(root, [key]), app_subject(None, str(key)), f"unknown top-level field '{key}'; "
                "the file's fields are 'apps', 'owners' and 'ownsHosts' (and 'x-' fields to hold YAML anchors)")
        for key in root if key not in TOP_LEVEL_FIELDS and not str(key).startswith(EXTENSION_PREFIX)
    ]
    if "owners" in root:
        try:
            _OWNERS.validate_python(plain(root["owners"]))
        except ValidationError as err:
            for error in err.errors():
                loc: list[str | int] = ["owners", *error["loc"]]
                problems.append(Problem(path, line_of(root, loc, start_line(root)), app_subject(None, dotted(loc)),
                                        _owner_message(error)))
        else:
            owners = list(root["owners"])
            problems += [Problem(path, line_of(root, ["owners", i]), app_subject(None, f"owners[{i}]"),
                                 f"'{shown(owner)}' is listed twice") for i, owner in enumerate(owners)
                         if owner in owners[:i]]
    if "ownsHosts" in root:
        problems += owned_host_problems(path, root)
    if "apps" not in root:
        return {}, [*problems, *top("required field 'apps' is missing", start_line(root))[1]]
    if not isinstance(root["apps"], list):
        return {}, [*problems, *top(f"'apps' must be a list of apps, found {_kind(root['apps'])}",
                                    line_of(root, ["apps"]))[1]]
    refused_in: dict[int, list[tuple[str | int, ...]]] = {}
    for loc in refused:
        if len(loc) >= 2 and loc[0] == "apps" and isinstance(loc[1], int):
            refused_in.setdefault(loc[1], []).append(tuple(loc[2:]))
    parsed: dict[int, App] = {}
    for index, entry in enumerate(root["apps"]):
        app, errors, salvage = validate_salvaging(App, plain(entry), refused_in.get(index, ()))
        problems += _structure_problems(path, root, index, errors)
        if not isinstance(app, App):
            continue
        app._salvage = salvage
        parsed[index] = app
        for loc, message in entry_problems(app):
            problems.append(Problem(path, line_of(root, ["apps", index, *loc], start_line(entry)),
                                    app_subject(app_name_at(root, index), dotted(loc)), message))
    return parsed, problems


def owned_host_problems(path: str, root: Any) -> list[Problem]:
    """What is wrong with a file's `ownsHosts` as written: its shape and each host's grammar, a host listed twice."""
    try:
        _OWNED_HOSTS.validate_python(plain(root["ownsHosts"]))
    except ValidationError as err:
        found = []
        for error in err.errors():
            loc: list[str | int] = ["ownsHosts", *error["loc"]]
            message = ("an empty list: name at least one host, or remove 'ownsHosts'" if error["type"] == "too_short"
                       else error["msg"].removeprefix("Value error, "))
            found.append(Problem(path, line_of(root, loc, start_line(root)), app_subject(None, dotted(loc)), message))
        return found
    hosts = [host.rstrip(".").lower() for host in root["ownsHosts"]]
    return [Problem(path, line_of(root, ["ownsHosts", i]), app_subject(None, f"ownsHosts[{i}]"),
                    f"'{shown(host)}' is listed twice") for i, host in enumerate(hosts) if host in hosts[:i]]


def entry_problems(app: App) -> list[tuple[list[str | int], str]]:
    """Rules across the fields of one entry that need nothing else (the schema's `oneOf`, `if`, `uniqueItems`),
    located as the entry is written; rules on a field set aside as invalid are not judged."""
    found: list[tuple[list[str | int], str]] = []
    salvage = app._salvage
    if (app.service is None) == (app.deploy is None) and not (salvage.lost("service") or salvage.lost("deploy")):
        which = "both" if app.service else "neither"
        found.append((["service"], f"give exactly one of 'service' (an existing Service) and 'deploy' (an image to "
                                   f"run); found {which}"))
    if (app.visibility is None) == (app.edges is None) and not (salvage.lost("visibility") or salvage.lost("edges")):
        which = "both" if app.visibility else "neither"
        found.append((["visibility"], "give exactly one of 'visibility' (public or private) and 'edges' (edge names "
                                      f"of the stack); found {which}"))
    if app.deploy is not None and not app.name[0].isalpha():
        found.append((["name"], f"'{app.name}' must start with a letter: a deployed app gets a Service of its name, "
                                "and Service names start with a letter"))
    found += shaping_problems(app)
    users = app.basic_auth.users if app.basic_auth else []
    for position, user in enumerate(users):
        if user in users[:position]:
            found.append((["auth", "basic", "users", position], f"user '{user}' is listed twice"))
        if user == MONITOR_USER:
            found.append((["auth", "basic", "users", position], f"'{MONITOR_USER}' is the uptime monitor's own user "
                                                                "(it gets a generated password); choose another name"))
    for position, edge_name in enumerate(app.edges or []):
        if edge_name in app.edges[:position]:  # type: ignore[index]
            found.append((["edges", position], f"edge '{edge_name}' is listed twice"))
    for key, backend_spec in (("service", app.service), ("deploy", app.deploy)):
        tls = backend_spec.tls if backend_spec is not None else None
        if tls is None:
            continue
        if backend_spec.protocol != "HTTPS":  # type: ignore[union-attr]
            found.append(([key, "tls"], "applies to a backend that speaks HTTPS: set protocol: HTTPS"))
        if tls.verify and tls.ca_secret is None:
            found.append(([key, "tls", "verify"], "needs caSecret, the CA certificates to check the backend's "
                                                  "certificate against (nginx has no default trust store for it)"))
    monitor = app.monitor
    if monitor.type == "KEYWORD" and monitor.keyword is None and not salvage.touched("monitor"):
        found.append((["monitor", "keyword"], "a KEYWORD monitor needs the keyword to look for"))
    if monitor.type != "KEYWORD" and monitor.keyword is not None and not salvage.touched("monitor"):
        found.append((["monitor", "keyword"], "a keyword applies only to monitors of type KEYWORD"))
    return [(salvage.where_written(loc), message) for loc, message in found]


def _kind(value: Any) -> str:
    if value is None:
        return "nothing (null)"
    for kind, label in ((bool, "a boolean"), (dict, "a mapping"), (list, "a list"), (str, "a string"),
                        (int | float, "a number")):
        if isinstance(value, kind):
            return label
    return type(value).__name__


def app_name_at(root: Any, index: int) -> str:
    """The name of the entry at `index` as written, else its position (`#3`): what a problem names the app by."""
    try:
        name = root["apps"][index].get("name")
    except (AttributeError, IndexError, KeyError, TypeError):
        name = None
    return name if isinstance(name, str) and name else f"#{index + 1}"


def _structure_problems(path: str, root: Any, index: int, errors: Sequence[dict[str, Any]]) -> list[Problem]:
    problems = []
    app = app_name_at(root, index)
    for error in errors:
        field_loc = list(error["loc"])
        loc = ["apps", index, *field_loc]
        problems.append(Problem(path, line_of(root, loc, start_line(root)), app_subject(app, dotted(field_loc) or "*"),
                                _message(error, field_loc)))
    return problems


def _message(error: dict[str, Any], loc: list[str | int]) -> str:
    kind = error["type"]
    if kind == "extra_forbidden":
        known = _known_fields(loc[:-1])
        guess = difflib.get_close_matches(str(loc[-1]), known, n=1)
        hint = f"; did you mean '{guess[0]}'?" if guess else f"; known fields: {', '.join(known)}"
        return f"unknown field '{loc[-1]}'{hint}"
    if kind == "missing":
        return "required field is missing"
    if kind == "too_short" and loc and loc[-1] == "stacks":
        return "an empty list puts the app in no stack: list its stacks, or remove the app"
    if kind == "value_error":  # our own validators quote the value already
        return error["msg"].removeprefix("Value error, ")
    if kind == "model_type":
        return f"expected a mapping of fields, found {_kind(error['input'])}"
    message = error["msg"]
    if kind == "string_pattern_mismatch" and "\\x00-\\x1f" in str((error.get("ctx") or {}).get("pattern")):
        message = "must be text on one line, without control characters"
    if not isinstance(error.get("input"), dict | list):
        message += f" (got {shown(repr(error['input']))})"
    return message


def _known_fields(loc: Sequence[str | int]) -> list[str]:
    """The field names allowed at `loc` (for 'did you mean' hints)."""
    model: Any = App
    for step in loc:
        if isinstance(step, int):
            continue
        field = next((f for n, f in model.model_fields.items() if (f.alias or n) == step), None)
        if field is None:
            return []
        model = _model_of(field.annotation)
        if model is None:
            return []
    return sorted(f.alias or n for n, f in model.model_fields.items())


def _model_of(annotation: Any) -> Any:
    if isinstance(annotation, type) and issubclass(annotation, BaseModel):
        return annotation
    for arg in getattr(annotation, "__args__", ()):
        found = _model_of(arg)
        if found is not None:
            return found
    return None
