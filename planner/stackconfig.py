"""Stack config as `pulumi up` would hand it to the program, read from `Pulumi.<stack>.yaml`.

Pulumi passes scalars as strings and structured values as JSON; `secure:` values arrive
decrypted. Offline there is no key to decrypt them, so they become a placeholder that is
still marked secret: the program can tell the key is set, and nothing can print it.
"""

from __future__ import annotations

import json
from dataclasses import dataclass
from pathlib import Path
from typing import Any

from components.inputs.problems import InputError, Problem, config_subject
from components.inputs.settings_parsing import known_stacks, stack_file_name, stack_yaml_problems
from components.inputs.yamlfile import YamlFileError, load_yaml
from components.inputs.yamllines import line_of, plain

SECRET_PLACEHOLDER = "offline-placeholder-secret"


@dataclass(frozen=True)
class StackConfig:
    """One stack's config in the shape the Pulumi runtime uses."""

    values: dict[str, str]
    """`namespace:key` -> value as a string (JSON for lists and objects)."""
    secret_keys: list[str]
    """Keys whose value is secret."""


def read_stack_config(stack: str, project_dir: str | Path = ".") -> StackConfig:
    """Read `Pulumi.<stack>.yaml`; raises InputError when it is missing or malformed."""
    name = stack_file_name(stack)
    path = str(Path(project_dir) / name) if str(project_dir) != "." else name
    return read_stack_file(path, f"; known stacks: {', '.join(known_stacks(project_dir)) or 'none'}")


def read_stack_file(path: str, hint_if_missing: str = "") -> StackConfig:
    """Read a stack file by its path (another version of one, e.g. the step before a change); raises InputError when
    it is missing or malformed."""
    try:
        root = load_yaml(path)
    except YamlFileError as err:
        hint = hint_if_missing if err.message == "file not found" else ""
        raise InputError(stack_yaml_problems(path, err, hint)) from None
    config = (root or {}).get("config") if isinstance(root, dict) else None
    if config is None:
        config = {}
    if not isinstance(config, dict):
        raise InputError([Problem(path, line_of(root, ["config"]), config_subject("*"),
                                  "'config' must be a mapping of 'namespace:key: value'")])
    values: dict[str, str] = {}
    secret_keys: list[str] = []
    problems: list[Problem] = []
    for key, value in plain(config).items():
        if isinstance(value, dict) and "secure" in value:
            if set(value) != {"secure"} or not isinstance(value["secure"], str) or not value["secure"]:
                problems.append(Problem(path, line_of(root, ["config", key]), config_subject(key),
                                        "a secret is written `secure: <ciphertext>` alone, as `pulumi config set "
                                        "--secret` writes it"))
                continue
            values[key] = SECRET_PLACEHOLDER
            secret_keys.append(key)
        else:
            values[key] = _as_config_string(value)
    if problems:
        raise InputError(problems)
    return StackConfig(values, sorted(secret_keys))


def _as_config_string(value: Any) -> str:
    if isinstance(value, bool):
        return "true" if value else "false"
    if isinstance(value, str):
        return value
    if isinstance(value, int | float):
        return str(value)
    return json.dumps(value)
