"""gangplank: wiring only. Every decision lives in `components/`; see the README's layout section.

What a stack declares depends on its role (`gangplank:role`, `components.roles`): the platform and every app
(`all`, the default), the platform alone (`platform`), or some teams' apps on a platform stack (`apps`).
"""

import functools

import pulumi

from components.inputs.appstack import AppStackSettings, load_stack_settings
from components.roles import declare_all_stack, declare_app_stack, declare_platform_stack

stack = pulumi.get_stack()
# All input is validated before the first resource is declared.
settings = load_stack_settings(stack)
if isinstance(settings, AppStackSettings):
    # It reads its platform's contract first: awaited after this file's top-level code (pulumi.run).
    pulumi.run(functools.partial(declare_app_stack, settings, stack))
elif settings.role == "platform":
    declare_platform_stack(settings, stack)
else:
    declare_all_stack(settings, stack)
