"""The catalogue's canary, sticky and external-auth fields: each problem names the file, the line, the app and the
field, in words a person can act on."""

from __future__ import annotations

import pytest

from components.inputs.catalog.loading import load_catalogue
from components.inputs.problems import InputError
from tests.conftest import STACKS, make_settings

APP = """\
apps:
  - name: shop
    visibility: public
    service: {name: shop, port: 80}
    healthPath: /healthz
"""


def problems(write_apps, extra: str) -> list[str]:
    path = write_apps(APP + extra)
    with pytest.raises(InputError) as refused:
        load_catalogue(path, make_settings(flavor="ingress-nginx"), "dev", STACKS)
    return [str(problem).replace(path, "apps.yaml") for problem in refused.value.problems]


@pytest.mark.parametrize(("extra", "expected"), [
    ("    auth: {basic: {users: [alice]}, external: {url: 'https://auth.example.com/check'}}\n",
     "apps.yaml:6: app 'shop' field 'auth': basic auth and external auth together are refused"),
    ("    auth: {external: {url: 'https://user:secret@auth.example.com/check'}}\n",
     "apps.yaml:6: app 'shop' field 'auth.external.url': 'https://user:secret@auth.example.com/check' must not "
     "carry a login"),
    ("    auth: {external: {url: 'https://a.example.com/c', responseHeaders: [X-User, x-user]}}\n",
     "apps.yaml:6: app 'shop' field 'auth.external.responseHeaders[1]': header 'x-user' is listed twice"),
    ("    canary: {service: {name: next, port: 80}, header: {name: X-Canary, value: a, pattern: b}}\n",
     "apps.yaml:6: app 'shop' field 'canary.header': give exactly one of 'value'"),
    ("    canary: {service: {name: next, port: 80}, header: {name: X-Canary, pattern: '(?=beta)'}}\n",
     "apps.yaml:6: app 'shop' field 'canary.header.pattern': '(?=beta)' uses a '(?' group other than '(?:'"),
    ("    canary: {service: {name: next, port: 80}, header: {name: Cookie, value: a}}\n",
     "apps.yaml:6: app 'shop' field 'canary.header.name': 'Cookie' cannot select a canary; use canary.cookie"),
    ("    canary: {service: {name: next, port: 443, protocol: HTTPS}}\n",
     "apps.yaml:6: app 'shop' field 'canary.service.protocol': the canary speaks HTTPS and the app HTTP"),
    ("    canary: {service: {name: shop, port: 80}, weight: 50}\n",
     "apps.yaml:6: app 'shop' field 'canary.service': is the app's own Service and port"),
    ("    canary: {weight: 101}\n",
     "apps.yaml:6: app 'shop' field 'canary.weight': Input should be less than or equal to 100"),
    ("    sticky: {cookie: {name: 'a;b'}}\n",
     "apps.yaml:6: app 'shop' field 'sticky.cookie.name': String should match pattern"),
])
def test_problems_name_the_line_app_and_field(write_apps, extra, expected) -> None:
    found = problems(write_apps, extra)
    assert any(problem.startswith(expected) for problem in found), found


def test_the_monitor_of_an_externally_authenticated_app_needs_a_health_path_of_its_own(write_apps) -> None:
    path = write_apps(APP.replace("    healthPath: /healthz\n", "") +
                      "    auth: {external: {url: 'https://auth.example.com/check'}}\n")
    with pytest.raises(InputError) as refused:
        load_catalogue(path, make_settings(), "dev", STACKS)
    [problem] = refused.value.problems
    assert str(problem).startswith(f"{path}:2: app 'shop' field 'healthPath': '/' is one of the app's paths; the "
                                   "monitor cannot sign in at the external auth service")
