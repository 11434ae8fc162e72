"""Stack settings from what Pulumi hands the program: raw config to a validated `Settings`, every problem named.

`parse_settings` checks every `namespace:key` of a stack's config (unknown keys and namespaces, secrets stored in
plain text, the AWS region, the keys of the stack's role) and validates the `gangplank:*` keys with `Settings`
(`settings.py`), naming the stack file, the line and the key of every problem; the stack file's name, the
checkout's stacks and the parsed file (for those lines) come from here too.
"""

from __future__ import annotations

import difflib
import json
import os
import re
from collections.abc import Collection, Mapping
from pathlib import Path
from types import UnionType
from typing import Annotated, Any, Union, get_args, get_origin

from pydantic import BaseModel, ValidationError
from pydantic.alias_generators import to_camel

from components.inputs.edge_settings import EdgeSettingProblems
from components.inputs.problems import InputError, Problem, config_subject, dotted, shown
from components.inputs.settings import CONFIG_NAMESPACE, Settings
from components.inputs.yamlfile import YamlFileError, load_yaml
from components.inputs.yamllines import line_of

KNOWN_NAMESPACES = (CONFIG_NAMESPACE, "aws", "kubernetes", "random", "pulumi")
"""Config namespaces a stack may use: gangplank's own and those of the providers the program uses."""
SECRET_ONLY_KEYS = ("uptimerobotApiKey",)
"""Keys whose value must be stored encrypted (`pulumi config set --secret`), never in plain text."""
AWS_REGION_KEY = "aws:region"
AWS_REGION_ENV = ("AWS_REGION", "AWS_DEFAULT_REGION")
"""pulumi-aws reads the region from `aws:region`, else from these environment variables."""
AWS_REGION_RE = re.compile(r"[a-z]{2}(-[a-z]+)+-[0-9]{1,2}")
KUBERNETES_CONTEXT_KEY = "kubernetes:context"
EKS_CLUSTER_ARN_RE = re.compile(r"^arn:aws[a-z-]*:eks:[a-z0-9-]+:[0-9]{12}:cluster/([0-9A-Za-z][A-Za-z0-9_-]{0,99})$")
"""`kubernetes:context` as `aws eks update-kubeconfig` names it: the cluster's ARN, which ends in its name."""


def _is_structured_field(name: str) -> bool:
    """Lists and maps: Pulumi hands them to the program as JSON text."""
    annotation = Settings.model_fields[name].annotation
    if get_origin(annotation) in (Union, UnionType):  # an optional value (`teams`)
        annotation = next(arg for arg in get_args(annotation) if arg is not type(None))
    if get_origin(annotation) is Annotated:
        annotation = get_args(annotation)[0]
    if isinstance(annotation, type) and issubclass(annotation, BaseModel):
        return True  # an object of fields (`gangplank:limits`)
    return get_origin(annotation) in (list, dict)


def parse_settings(raw: Mapping[str, Any], stack_file: str, stack_yaml: Any = None,
                   secret_keys: Collection[str] = (), environ: Mapping[str, str] | None = None,
                   app_stack_model: type[BaseModel] | None = None) -> Settings:
    """Validate raw config (`namespace:key` -> value as Pulumi passes it: strings, JSON for lists).

    `secret_keys` are the keys stored encrypted (their values are never shown); `environ` is where
    pulumi-aws may find the region instead (default: this process's environment). Raises InputError
    naming the stack file, the line when `stack_yaml` (the parsed file) is given, and the key of
    every problem. An app stack's config (`role: apps`) holds only its own keys, validated with
    `app_stack_model` (`components.inputs.appstack.parse_stack_settings`); without one it is refused.
    """
    from components.inputs.appstack import (
        APP_STACK_KEYS,
        APP_STACK_ONLY_KEYS,
        PLATFORM_STACK_REFUSED_KEYS,
        role_problems,
    )

    by_alias = {to_camel(name): name for name in Settings.model_fields}
    environ = os.environ if environ is None else environ
    secret = set(secret_keys)
    values: dict[str, Any] = {}
    problems: list[Problem] = []

    def where(key: str, *inner: str | int) -> int | None:
        return line_of(stack_yaml, ["config", key, *inner]) if stack_yaml is not None else None

    for full_key, value in raw.items():
        namespace, colon, key = full_key.partition(":")
        if not colon or namespace not in KNOWN_NAMESPACES:
            guess = difflib.get_close_matches(namespace, KNOWN_NAMESPACES, n=1)
            hint = (f"; did you mean '{guess[0]}:{shown(key, 60)}'?" if guess and colon
                    else f"; keys are 'namespace:key' with a namespace of {', '.join(KNOWN_NAMESPACES)}")
            problems.append(Problem(stack_file, where(full_key), config_subject(full_key),
                                    f"unknown config namespace '{shown(namespace, 60)}'{hint}"))
            continue
        if namespace != CONFIG_NAMESPACE:
            continue
        if key not in by_alias:
            guess = difflib.get_close_matches(key, by_alias, n=1)
            hint = f"did you mean '{CONFIG_NAMESPACE}:{guess[0]}'?" if guess else \
                f"supported keys: {', '.join(sorted(by_alias))}"
            problems.append(Problem(stack_file, where(full_key), config_subject(full_key), f"unknown key; {hint}"))
            continue
        if key in SECRET_ONLY_KEYS and full_key not in secret:
            problems.append(Problem(stack_file, where(full_key), config_subject(full_key),
                                    f"is stored in plain text; store it encrypted with `pulumi config set --secret "
                                    f"{full_key} <value>` (and replace the key: it has been readable in the file)"))
        if isinstance(value, str) and _is_structured_field(by_alias[key]):
            try:
                value = json.loads(value)
            except (json.JSONDecodeError, RecursionError):
                value = [part.strip() for part in value.split(",") if part.strip()]
        values[key] = value

    problems += role_problems(values, stack_file, where)
    role = values.get("role", "all")
    model: type[BaseModel] = Settings
    if role == "apps" and app_stack_model is None:
        raise InputError([Problem(stack_file, where(f"{CONFIG_NAMESPACE}:role"),
                                  config_subject(f"{CONFIG_NAMESPACE}:role"),
                                  "an app stack's settings come from its platform's contract: read them with "
                                  "components.inputs.appstack")])
    if role == "apps":
        model = app_stack_model or model
        values = {key: value for key, value in values.items() if key in APP_STACK_KEYS}
    else:
        values = {key: value for key, value in values.items()
                  if key not in APP_STACK_ONLY_KEYS and not (role == "platform" and key in PLATFORM_STACK_REFUSED_KEYS)}
    context = raw.get(KUBERNETES_CONTEXT_KEY)
    eks = EKS_CLUSTER_ARN_RE.match(context) if isinstance(context, str) else None
    if role != "apps" and "clusterName" not in values and eks is not None:  # the platform's controllers' cluster
        values["clusterName"] = eks.group(1)

    region = raw.get(AWS_REGION_KEY)
    if region is None and not any(environ.get(name) for name in AWS_REGION_ENV):
        problems.append(Problem(stack_file, None, config_subject(AWS_REGION_KEY),
                                f"required by pulumi-aws; set it with `pulumi config set {AWS_REGION_KEY} <region>` "
                                f"(e.g. eu-west-1), or the {AWS_REGION_ENV[0]} environment variable"))
    elif region is not None and not (isinstance(region, str) and AWS_REGION_RE.fullmatch(region)):
        problems.append(Problem(stack_file, where(AWS_REGION_KEY), config_subject(AWS_REGION_KEY),
                                f"'{shown(region) if AWS_REGION_KEY not in secret else '(secret)'}' is not an AWS "
                                "region such as 'eu-west-1'"))

    try:
        settings = model.model_validate(values)
    except ValidationError as err:
        for error in err.errors():
            loc = list(error["loc"])
            edge_problems = (error.get("ctx") or {}).get("error")
            if isinstance(edge_problems, EdgeSettingProblems):
                key = f"{CONFIG_NAMESPACE}:edges"
                problems += [Problem(stack_file, where(key, *path), f"{config_subject(key)} field '{dotted(path)}'",
                                     message) for path, message in edge_problems.problems]
                continue
            key = f"{CONFIG_NAMESPACE}:{loc[0]}" if loc else f"{CONFIG_NAMESPACE}:*"
            inner = [step for step in loc[1:] if step != "[key]"]
            problems.append(Problem(stack_file, where(key, *inner), config_subject(key) + (
                f" field '{dotted(inner)}'" if inner else ""), _setting_message(error, key, key in secret)))
        raise InputError(problems) from None
    if problems:
        raise InputError(problems)
    return settings  # type: ignore[return-value]


def _setting_message(error: Any, key: str, secret: bool) -> str:
    """What is wrong with a key's value: quoting the value, unless it is secret."""
    loc = error["loc"]
    if error["type"] == "missing" and len(loc) == 1:
        return f"required; set it with `pulumi config set {key} <value>`"
    if error["type"] == "missing":
        return "required field is missing"
    if secret:
        field = Settings.model_fields.get(_snake(str(loc[0]))) if loc else None
        expected = re.split(r"\.\s+(?=[A-Z])", field.description or "")[0].strip().rstrip(".") if field else ""
        return f"invalid value (not shown: it is secret); expected: {one_line_doc(expected)}"
    message = error["msg"].removeprefix("Value error, ")
    if error["type"] != "value_error" and not isinstance(error.get("input"), dict | list):
        message += f" (got '{shown(error.get('input'))}')"
    return message


def one_line_doc(doc: str) -> str:
    return " ".join(doc.split())


def _snake(camel: str) -> str:
    return re.sub(r"(?<!^)([A-Z])", r"_\1", camel).lower()


def stack_file_name(stack: str) -> str:
    return f"Pulumi.{stack}.yaml"


def known_stacks(project_dir: str | Path = ".") -> list[str]:
    """Stacks that have a `Pulumi.<stack>.yaml` in the project directory."""
    return sorted(p.name[len("Pulumi."):-len(".yaml")] for p in Path(project_dir).glob("Pulumi.*.yaml"))


def read_stack_yaml(stack_file: str) -> Any:
    """The parsed stack file for error line numbers; None when there is none (Pulumi may hold the config
    elsewhere). A file that the planner would refuse (an ambiguous value, a tag, an alias bomb) is refused
    under `pulumi up` too, so the two never read one file differently."""
    try:
        return load_yaml(stack_file)
    except YamlFileError as err:
        if err.message == "file not found":
            return None
        raise InputError(stack_yaml_problems(stack_file, err)) from None


def stack_yaml_problems(stack_file: str, err: YamlFileError, hint: str = "") -> list[Problem]:
    """The problems of a stack file that cannot be read, each named by its key where the reading got that far."""
    problems = []
    for issue in err.issues:
        location = issue.location
        subject = config_subject("*")
        if len(location) >= 2 and location[0] == "config":
            inner = "".join(f"[{step}]" if isinstance(step, int) else f".{step}" for step in location[2:]).lstrip(".")
            subject = config_subject(str(location[1])) + (f" field '{inner}'" if inner else "")
        problems.append(Problem(stack_file, issue.line, subject, issue.message + hint))
    return problems
