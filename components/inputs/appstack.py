"""An app stack's own settings (`gangplank:role: apps`): the few keys it sets, and the rest from its platform.

An app stack sets only `APP_STACK_KEYS` (which platform, which teams, the catalogue, the monitors' API
access): everything else describes the platform, and the app stack reads it from the platform stack's
contract (`components.platform.contract`), which `settings_from_contract` turns into the whole `Settings`.
Each role refuses the keys that are not its own, naming the key and why (`role_problems`).
"""

from __future__ import annotations

import re
from collections.abc import Collection, Mapping
from typing import Any

from pydantic import BaseModel, create_model

from components.inputs.problems import Problem, config_subject
from components.inputs.settings import CONFIG_NAMESPACE, Settings
from components.inputs.settings_parsing import parse_settings, read_stack_yaml, stack_file_name

APP_STACK_KEYS = ("role", "platformStack", "teams", "appsFile", "uptimerobotApiKey", "uptimerobotApiUrl")
"""The keys an app stack (`gangplank:role: apps`) sets: which platform, which teams, the catalogue, and the
uptime monitors' API access (the monitors live in the app stack). Everything else describes the platform, and an
app stack reads it from the platform stack's contract."""
APP_STACK_ONLY_KEYS = ("platformStack", "teams")
PLATFORM_STACK_REFUSED_KEYS = ("appsFile",)
"""A platform stack declares no app: a catalogue set on it would be read by nothing."""


def _snake_key(key: str) -> str:
    return re.sub(r"(?<!^)([A-Z])", r"_\1", key).lower()


def role_problems(values: Mapping[str, Any], stack_file: str, where: Any) -> list[Problem]:
    """Keys that do not belong to the stack's role: an app stack sets only `APP_STACK_KEYS` (and must name its
    platform); `platformStack` and `teams` are an app stack's; a platform stack reads no catalogue."""
    role = values.get("role", "all")
    problems = []

    def problem(key: str, message: str) -> None:
        full_key = f"{CONFIG_NAMESPACE}:{key}"
        problems.append(Problem(stack_file, where(full_key), config_subject(full_key), message))

    if role == "apps":
        for key in values:
            if key not in APP_STACK_KEYS:
                problem(key, "belongs to the platform: an app stack reads it from its platform stack's contract "
                             "(gangplank:platformStack); set it on the platform stack")
        if "platformStack" not in values:
            problem("platformStack", "required in an app stack (gangplank:role: apps): its platform stack, "
                                     "'<organization>/<project>/<stack>'; set it with `pulumi config set "
                                     "gangplank:platformStack <name>`")
    elif role in ("all", "platform"):
        for key in APP_STACK_ONLY_KEYS:
            if key in values:
                problem(key, f"applies to app stacks only (gangplank:role: apps); this stack's role is '{role}'")
        if role == "platform":
            for key in PLATFORM_STACK_REFUSED_KEYS:
                if key in values:
                    problem(key, "a platform stack declares no app, so it reads no catalogue; set it on its app "
                                 "stacks")
    return problems


AppStackSettings = create_model(  # type: ignore[call-overload]
    "AppStackSettings",
    __config__=Settings.model_config,
    __doc__="An app stack's own config (`APP_STACK_KEYS`); its platform's contract gives the rest "
            "(`settings_from_contract`). The fields and their documentation are `Settings`'s.",
    **{name: (Settings.model_fields[name].annotation, Settings.model_fields[name])
       for name in (_snake_key(key) for key in APP_STACK_KEYS)},
)


def settings_from_contract(own: BaseModel, platform: Mapping[str, Any]) -> Settings:
    """An app stack's whole settings: its own keys (`AppStackSettings`) over the platform's settings as its contract
    hands them on (camelCase keys). Raises pydantic's ValidationError when the platform's do not validate."""
    values = {**platform, **own.model_dump(by_alias=True, exclude_unset=True)}
    return Settings.model_validate(values)


def parse_stack_settings(raw: Mapping[str, Any], stack_file: str, stack_yaml: Any = None,
                         secret_keys: Collection[str] = (),
                         environ: Mapping[str, str] | None = None) -> Settings | AppStackSettings:
    """As `parse_settings`, for a stack of any role: an app stack (`gangplank:role: apps`) gives its own keys
    (`AppStackSettings`), which its platform's contract completes into `Settings`."""
    return parse_settings(raw, stack_file, stack_yaml, secret_keys, environ, app_stack_model=AppStackSettings)


def load_stack_settings(stack: str) -> Settings | AppStackSettings:
    """Settings of the running stack, from the config Pulumi hands the program (an app stack's own keys only:
    its platform's contract completes them)."""
    from pulumi.runtime import config as runtime_config

    raw = {**runtime_config.get_config_env(), **runtime_config.CONFIG.get()}
    secret_keys = {key for key in raw if runtime_config.is_config_secret(key)}
    secret_keys |= set(runtime_config.get_config_secret_keys_env())
    stack_file = stack_file_name(stack)
    return parse_stack_settings(raw, stack_file, read_stack_yaml(stack_file), secret_keys)
