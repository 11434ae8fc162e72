"""A model of the Kubernetes API server admitting custom resources: defaults, the schema and CEL rules.

`CrdSchemas.violations(obj)` checks an object against its CustomResourceDefinition's `openAPIV3Schema`
(the CRDs in `shared/`, found through `tests.reference`) the way kube-apiserver does on create:

1. the kind and version must be served by a CRD (apiextensions-apiserver: no CRD, no endpoint);
2. structural defaults are applied first (`default` of absent properties, recursively: apiextensions-
   apiserver pkg/apiserver/schema/defaulting/algorithm.go `Default`), because rules see the defaulted object;
3. the schema: `type` (with `nullable` and `x-kubernetes-int-or-string`), `properties` (an unknown field is an
   error, as with server-side field validation `Strict`, kubectl's default; without it the server would prune
   it silently), `required`, `enum`, `pattern` (Go's RE2, so `google-re2` here), string lengths in characters,
   list and object sizes, `minimum`/`maximum`, `allOf`/`anyOf`/`oneOf`/`not`, `x-kubernetes-list-type` `set`
   and `map` (unique items / unique keys: apiextensions-apiserver pkg/apiserver/schema/listtype/validation.go),
   and the string formats the CRDs here use that the server checks (`byte`, `date-time`: kube-openapi
   pkg/validation/strfmt; `int32`/`int64` are not checked on integers, pkg/validation/validate/formats.go only
   validates strings);
4. every `x-kubernetes-validations` rule, evaluated with Google's CEL (`cel-expr-python`, cel-cpp) with `self`
   bound to the node's value, property names escaped as the server escapes them (k8s.io/apiserver pkg/cel/
   escaping.go: `namespace` -> `__namespace__`, `-` -> `__dash__`, ...). Rules that read `oldSelf` are
   transition rules and do not run on create (apiextensions-apiserver pkg/apiserver/schema/cel/validation.go).

The CEL environment has the standard library, the `strings` extension (`lowerAscii`, `upperAscii`, `split`,
`substring`, ... as Kubernetes' `ext.Strings`), and the one Kubernetes library function the CRDs here use that
CEL lacks: `isIP` (k8s.io/apiserver pkg/cel/library/ip.go: an IPv4 or IPv6 address, not IPv4-mapped IPv6, no
zone, no leading zeros in IPv4 octets).
"""

from __future__ import annotations

import base64
import copy
import datetime
import ipaddress
import re
from collections.abc import Iterable, Iterator, Mapping
from dataclasses import dataclass
from functools import lru_cache
from pathlib import Path
from typing import Any

import re2
import yaml
from cel_expr_python import cel
from cel_expr_python.ext import ext_strings

CEL_RESERVED = {"true", "false", "null", "in", "as", "break", "const", "continue", "else", "for", "function", "if",
                "import", "let", "loop", "package", "namespace", "return", "var", "void", "while"}
"""k8s.io/apiserver pkg/cel/escaping.go `celReservedSymbols`."""
_IDENTIFIER = re.compile(r"^[a-zA-Z_][a-zA-Z0-9_]*$")
_LOADER = getattr(yaml, "CSafeLoader", yaml.SafeLoader)


@dataclass(frozen=True)
class Violation:
    """One reason the API server would refuse an object: the field path and the message, as `kubectl` prints them."""

    path: str
    message: str

    def __str__(self) -> str:
        return f"{self.path}: {self.message}"


def escape(name: str) -> str | None:
    """A property name as CEL sees it, or None when CEL cannot reach it (pkg/cel/escaping.go `Escape`)."""
    if name in CEL_RESERVED:
        return f"__{name}__"
    if not re.fullmatch(r"[a-zA-Z_.\-/][a-zA-Z0-9_.\-/]*", name):
        return None
    escaped = (name.replace("__", "__underscores__").replace(".", "__dot__").replace("-", "__dash__")
               .replace("/", "__slash__"))
    return escaped if _IDENTIFIER.match(escaped) else None


def is_ip(text: str) -> bool:
    """k8s.io/apiserver pkg/cel/library/ip.go `isIP` / `parseIPAddr` (Go's netip.ParseAddr, then no zone and no
    IPv4-mapped IPv6). Python's ipaddress refuses leading zeros in IPv4 octets as netip does."""
    if "%" in text:
        return False
    try:
        address = ipaddress.ip_address(text)
    except ValueError:
        return False
    return not (isinstance(address, ipaddress.IPv6Address) and address.ipv4_mapped is not None)


@lru_cache(maxsize=1)
def _environment() -> Any:
    is_ip_decl = cel.FunctionDecl("isIP", [cel.Overload("is_ip_string", cel.Type.BOOL, [cel.Type.STRING],
                                                        is_member=False, impl=is_ip)])
    return cel.NewEnv(variables={"self": cel.Type.DYN}, extensions=[ext_strings.ExtStrings()],
                      functions=[is_ip_decl])


@lru_cache(maxsize=4096)
def _compiled(rule: str) -> Any:
    return _environment().compile(rule)


def cel_value(value: Any, schema: Mapping[str, Any]) -> Any:
    """The object as CEL sees it: properties escaped (maps keep their keys), unreachable properties left out."""
    if isinstance(value, dict):
        properties = schema.get("properties")
        if properties is not None:
            out = {}
            for key, item in value.items():
                name = escape(key)
                if name is not None:
                    out[name] = cel_value(item, properties.get(key, {}))
            return out
        additional = schema.get("additionalProperties")
        sub = additional if isinstance(additional, dict) else {}
        return {key: cel_value(item, sub) for key, item in value.items()}
    if isinstance(value, list):
        return [cel_value(item, schema.get("items") or {}) for item in value]
    return value


def evaluate_rule(rule: Mapping[str, Any], value: Any, schema: Mapping[str, Any]) -> str | None:
    """None when `rule` holds for `value`, else the message the server gives."""
    expression = rule["rule"]
    try:
        result = _compiled(expression).eval(data={"self": cel_value(value, schema)})
    except RuntimeError as err:
        return f"compilation failed: {err}"
    if result.type() == cel.Type.ERROR:
        return f"{expression}: {result.value()}"
    if result.value() is True:
        return None
    message = rule.get("message")
    if not message and rule.get("messageExpression"):
        message = str(_compiled(rule["messageExpression"]).eval(data={"self": cel_value(value, schema)}).value())
    return message or f"failed rule: {expression}"


# -- the schema walk ------------------------------------------------------------------------


def apply_defaults(value: Any, schema: Mapping[str, Any]) -> Any:
    """Structural defaulting: absent properties with a `default` get it, recursively (defaults included)."""
    if isinstance(value, dict):
        properties = schema.get("properties") or {}
        for key, sub in properties.items():
            if key not in value and "default" in sub:
                value[key] = copy.deepcopy(sub["default"])
        for key, item in value.items():
            sub = properties.get(key)
            if sub is None and isinstance(schema.get("additionalProperties"), dict):
                sub = schema["additionalProperties"]
            if sub is not None:
                apply_defaults(item, sub)
    elif isinstance(value, list) and isinstance(schema.get("items"), dict):
        for item in value:
            apply_defaults(item, schema["items"])
    return value


_JSON_TYPES = {"object": dict, "array": list, "string": str, "boolean": bool}


def _type_ok(value: Any, schema: Mapping[str, Any]) -> bool:
    if schema.get("x-kubernetes-int-or-string"):
        return (isinstance(value, int) and not isinstance(value, bool)) or isinstance(value, str)
    kind = schema.get("type")
    if kind is None:
        return True
    if kind == "integer":
        return isinstance(value, int) and not isinstance(value, bool)
    if kind == "number":
        return isinstance(value, int | float) and not isinstance(value, bool)
    return isinstance(value, _JSON_TYPES[kind])


def _format_problem(value: str, fmt: str) -> str | None:
    if fmt == "byte":
        try:
            base64.b64decode(value, validate=True)
        except ValueError:
            return "must be base64 (format byte)"
    if fmt == "date-time":
        try:
            datetime.datetime.fromisoformat(value.replace("Z", "+00:00"))
        except ValueError:
            return "must be an RFC 3339 date-time"
    return None


def _walk(value: Any, schema: Mapping[str, Any], path: str, cel_rules: bool = True) -> Iterator[Violation]:
    if value is None:
        if not schema.get("nullable"):
            yield Violation(path, f"Invalid value: \"null\": {path.lstrip('.')} in body must be of type "
                                  f"{schema.get('type')}")
        return
    if not _type_ok(value, schema):
        wanted = "integer or string" if schema.get("x-kubernetes-int-or-string") else schema.get("type")
        yield Violation(path, f"Invalid value: {value!r}: {path.lstrip('.')} in body must be of type {wanted}")
        return
    yield from _value_checks(value, schema, path)
    for sub in schema.get("allOf") or []:
        yield from _walk(value, sub, path, cel_rules=False)
    if schema.get("anyOf") and not any(not list(_walk(value, sub, path, False)) for sub in schema["anyOf"]):
        yield Violation(path, "must match at least one schema in anyOf")
    if schema.get("oneOf") and sum(not list(_walk(value, sub, path, False)) for sub in schema["oneOf"]) != 1:
        yield Violation(path, "must match exactly one schema in oneOf")
    if "not" in schema and not list(_walk(value, schema["not"], path, False)):
        yield Violation(path, "must not match the schema in not")
    if isinstance(value, dict):
        yield from _object(value, schema, path)
    elif isinstance(value, list):
        yield from _array(value, schema, path)
    if cel_rules:
        for rule in schema.get("x-kubernetes-validations") or []:
            if re.search(r"\boldSelf\b", rule["rule"]):
                continue  # a transition rule: only on update
            message = evaluate_rule(rule, value, schema)
            if message is not None:
                where = path + (rule.get("fieldPath") or "")
                yield Violation(where, f"Invalid value: {message}")


def _value_checks(value: Any, schema: Mapping[str, Any], path: str) -> Iterator[Violation]:
    if "enum" in schema and value not in schema["enum"]:
        yield Violation(path, f"Unsupported value: {value!r}: supported values: {schema['enum']}")
    if isinstance(value, str):
        if "maxLength" in schema and len(value) > schema["maxLength"]:
            yield Violation(path, f"Too long: may not be more than {schema['maxLength']} characters")
        if "minLength" in schema and len(value) < schema["minLength"]:
            yield Violation(path, f"Invalid value: {value!r}: should be at least {schema['minLength']} chars long")
        if "pattern" in schema and not re2.search(schema["pattern"], value):
            yield Violation(path, f"Invalid value: {value!r}: should match '{schema['pattern']}'")
        if "format" in schema and (problem := _format_problem(value, schema["format"])):
            yield Violation(path, f"Invalid value: {value!r}: {problem}")
    if isinstance(value, int | float) and not isinstance(value, bool):
        if "minimum" in schema and value < schema["minimum"]:
            yield Violation(path, f"Invalid value: {value}: should be greater than or equal to {schema['minimum']}")
        if "maximum" in schema and value > schema["maximum"]:
            yield Violation(path, f"Invalid value: {value}: should be less than or equal to {schema['maximum']}")


def _object(value: dict[str, Any], schema: Mapping[str, Any], path: str) -> Iterator[Violation]:
    properties = schema.get("properties")
    additional = schema.get("additionalProperties")
    for key in schema.get("required") or []:
        if key not in value:
            yield Violation(f"{path}.{key}", "Required value")
    if "maxProperties" in schema and len(value) > schema["maxProperties"]:
        yield Violation(path, f"Too many: {len(value)}: must have at most {schema['maxProperties']} items")
    if "minProperties" in schema and len(value) < schema["minProperties"]:
        yield Violation(path, f"Too few: {len(value)}: must have at least {schema['minProperties']} items")
    for key, item in value.items():
        where = f"{path}.{key}"
        if properties is not None and key in properties:
            yield from _walk(item, properties[key], where)
        elif isinstance(additional, dict):
            yield from _walk(item, additional, where)
        elif properties is not None and not schema.get("x-kubernetes-preserve-unknown-fields") and not additional:
            yield Violation(where, "field not declared in schema")


def _array(value: list[Any], schema: Mapping[str, Any], path: str) -> Iterator[Violation]:
    if "maxItems" in schema and len(value) > schema["maxItems"]:
        yield Violation(path, f"Too many: {len(value)}: must have at most {schema['maxItems']} items")
    if "minItems" in schema and len(value) < schema["minItems"]:
        yield Violation(path, f"Invalid value: {len(value)}: should have at least {schema['minItems']} items")
    list_type = schema.get("x-kubernetes-list-type")
    if list_type == "set":
        seen: list[Any] = []
        for index, item in enumerate(value):
            if item in seen:
                yield Violation(f"{path}[{index}]", f"Duplicate value: {item!r}")
            seen.append(item)
    elif list_type == "map":
        keys = schema.get("x-kubernetes-list-map-keys") or []
        seen_keys: list[tuple[Any, ...]] = []
        for index, item in enumerate(value):
            key = tuple(item.get(k) if isinstance(item, dict) else None for k in keys)
            if key in seen_keys:
                yield Violation(f"{path}[{index}]", f"Duplicate value: {dict(zip(keys, key, strict=True))}")
            seen_keys.append(key)
    for index, item in enumerate(value):
        yield from _walk(item, schema.get("items") or {}, f"{path}[{index}]")


# -- the CRDs -------------------------------------------------------------------------------


@dataclass(frozen=True)
class ServedVersion:
    group: str
    version: str
    kind: str
    namespaced: bool
    schema: dict[str, Any]


class CrdSchemas:
    """The CRDs of some YAML files, by `apiVersion` and `kind`: what an API server with them installed admits."""

    def __init__(self, files: Iterable[Path]) -> None:
        self.versions: dict[tuple[str, str], ServedVersion] = {}
        for path in files:
            for document in yaml.load_all(Path(path).read_text(encoding="utf-8"), Loader=_LOADER):
                if not document or document.get("kind") != "CustomResourceDefinition":
                    continue
                spec = document["spec"]
                for version in spec["versions"]:
                    if version.get("served", True):
                        api_version = f"{spec['group']}/{version['name']}"
                        self.versions[(api_version, spec["names"]["kind"])] = ServedVersion(
                            spec["group"], version["name"], spec["names"]["kind"], spec["scope"] == "Namespaced",
                            version["schema"]["openAPIV3Schema"])

    def knows(self, obj: Mapping[str, Any]) -> bool:
        return (obj.get("apiVersion"), obj.get("kind")) in self.versions

    def violations(self, obj: Mapping[str, Any]) -> list[Violation]:
        """Why the API server would refuse to create `obj` ([] when it would admit it)."""
        served = self.versions.get((obj.get("apiVersion"), obj.get("kind")))  # type: ignore[arg-type]
        if served is None:
            return [Violation("apiVersion", f"no CRD serves {obj.get('apiVersion')} {obj.get('kind')}")]
        found = []
        metadata = obj.get("metadata") or {}
        name = metadata.get("name")
        if not isinstance(name, str) or not re.fullmatch(r"[a-z0-9]([-a-z0-9.]{0,251}[a-z0-9])?", name):
            found.append(Violation("metadata.name", f"Invalid value: {name!r}: a lowercase RFC 1123 subdomain"))
        if served.namespaced != bool(metadata.get("namespace")):
            found.append(Violation("metadata.namespace", "required for a namespaced kind" if served.namespaced
                                   else "a cluster-scoped kind has no namespace"))
        body = apply_defaults(copy.deepcopy({k: v for k, v in obj.items() if k != "metadata"}), served.schema)
        schema = {**served.schema, "properties": {key: sub for key, sub in served.schema.get("properties", {}).items()
                                                  if key != "metadata"}}
        found += list(_walk(body, schema, ""))
        return [Violation(v.path.lstrip("."), v.message) for v in found]
