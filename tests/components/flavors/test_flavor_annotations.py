"""What each Ingress flavor writes for an app's intent: annotations, snippets, master and minion, htpasswd lines
(split out of test_flavors)."""

from __future__ import annotations

from typing import Any

import pytest

from components.flavors.app_intent import RateLimitIntent
from components.flavors.ingress_nginx import IngressNginxFlavor
from components.flavors.nginx_inc import NginxIncFlavor
from components.flavors.traffic import Flavor
from tests.components.flavors.chart_values import (
    FULL,
    config,
    controller,
    intent,
    spec,
)
from tests.conftest import validate_kubernetes

# -- annotations per intent --------------------------------------------------------------


def ingress_with(annotations: dict[str, str]) -> dict[str, Any]:
    return {"apiVersion": "networking.k8s.io/v1", "kind": "Ingress",
            "metadata": {"name": "shop", "namespace": "shop", "annotations": annotations},
            "spec": {"ingressClassName": "nginx-public", "rules": [{"host": "shop.dev.example.com"}]}}




def test_f5_standalone_annotations() -> None:
    annotations = NginxIncFlavor().ingress_annotations(intent(**FULL))
    snippets = annotations.pop("nginx.org/location-snippets").splitlines()
    assert annotations == {
        "nginx.org/add-header": "Strict-Transport-Security:max-age=31536000:always",
        "nginx.org/limit-req-rate": "20r/s",
        "nginx.org/limit-req-burst": "30",
        "nginx.org/limit-req-no-delay": "true",
        "nginx.org/limit-req-reject-code": "429",
        "nginx.org/basic-auth-secret": "shop-basic-auth",
        "nginx.org/basic-auth-realm": "Restricted",
        "nginx.org/client-max-body-size": "8m",
    }
    assert snippets == ["limit_conn gangplank_conn_per_client 50;", "limit_conn_status 429;",
                        "allow 203.0.113.0/24;", "allow 2001:db8::/48;", "deny all;"]


def test_f5_snippets_are_enabled_and_declared() -> None:
    values = NginxIncFlavor().controller_values(spec("public"))
    # F5 rejects a whole Ingress with a snippet annotation when snippets are off.
    assert controller(values)["enableSnippets"] is True
    assert "limit_conn_zone $binary_remote_addr$host zone=gangplank_conn_per_client:10m;" in \
        config(NginxIncFlavor(), values)["http-snippets"]


def test_f5_master_and_minion() -> None:
    flavor = NginxIncFlavor()
    master = flavor.ingress_annotations(intent(merge_role="master", **FULL))
    minion = flavor.ingress_annotations(intent(merge_role="minion", **FULL))
    # internal/configs/annotations.go: masterDenylist / minionDenylist at v5.5.4.
    master_denied = {"nginx.org/rewrites", "nginx.org/ssl-services", "nginx.org/grpc-services",
                     "nginx.org/websocket-services", "nginx.org/sticky-cookie-services", "nginx.com/health-checks",
                     "nginx.org/use-cluster-ip"}
    minion_denied = {"nginx.org/proxy-hide-headers", "nginx.org/proxy-pass-headers", "nginx.org/redirect-to-https",
                     "ingress.kubernetes.io/ssl-redirect", "nginx.org/ssl-redirect", "nginx.org/http-redirect-code",
                     "nginx.org/hsts", "nginx.org/hsts-max-age", "nginx.org/hsts-include-subdomains",
                     "nginx.org/server-tokens", "nginx.org/listen-ports", "nginx.org/listen-ports-ssl",
                     "nginx.org/server-snippets", "nginx.org/ssl-ciphers", "nginx.org/app-root"}
    assert master == {"nginx.org/mergeable-ingress-type": "master",
                      "nginx.org/add-header": "Strict-Transport-Security:max-age=31536000:always"}
    assert not set(master) & master_denied
    assert minion["nginx.org/mergeable-ingress-type"] == "minion"
    assert not set(minion) & minion_denied
    # Host-level HSTS is the master's; app-level settings are the minion's.
    assert "nginx.org/add-header" not in minion
    assert {"nginx.org/limit-req-rate", "nginx.org/basic-auth-secret", "nginx.org/location-snippets",
            "nginx.org/client-max-body-size"} <= set(minion)


def test_ingress_nginx_annotations() -> None:
    annotations = IngressNginxFlavor().ingress_annotations(intent(**FULL))
    prefix = "nginx.ingress.kubernetes.io/"
    assert annotations == {
        prefix + "limit-rps": "20",
        prefix + "limit-burst-multiplier": "2",  # burst 30 over 20 rps, rounded up
        prefix + "limit-connections": "50",
        prefix + "auth-type": "basic",
        prefix + "auth-secret": "shop-basic-auth",
        prefix + "auth-secret-type": "auth-file",
        prefix + "auth-realm": "Restricted",
        prefix + "allowlist-source-range": "203.0.113.0/24,2001:db8::/48",
        prefix + "proxy-body-size": "8m",
    }


def test_ingress_nginx_hsts_is_per_controller() -> None:
    flavor = IngressNginxFlavor()
    assert "addHeaders" not in controller(flavor.controller_values(spec("private")))
    assert controller(flavor.controller_values(spec("public")))["addHeaders"] == {
        "Strict-Transport-Security": "max-age=31536000"}
    assert flavor.ingress_annotations(intent(visibility="private", hsts=False)) == {}
    for wrong in (intent(visibility="private", hsts=True), intent(visibility="public", hsts=False)):
        with pytest.raises(ValueError, match="per controller"):
            flavor.ingress_annotations(wrong)
    with pytest.raises(ValueError, match="natively"):
        flavor.ingress_annotations(intent(merge_role="minion"))


@pytest.mark.parametrize("rps, burst, multiplier, f5_burst", [(10, None, "1", "10"), (20, 40, "2", "40"),
                                                              (20, 0, "0", "0"), (20, 5, "1", "5")])
def test_burst(rps: int, burst: int | None, multiplier: str, f5_burst: str) -> None:
    limit = RateLimitIntent(rps, burst, None)
    nginx_inc = NginxIncFlavor().ingress_annotations(intent(rate_limit=limit))
    ingress_nginx = IngressNginxFlavor().ingress_annotations(intent(rate_limit=limit))
    assert nginx_inc["nginx.org/limit-req-burst"] == f5_burst
    assert "nginx.org/location-snippets" not in nginx_inc  # no connection limit asked
    assert ingress_nginx["nginx.ingress.kubernetes.io/limit-burst-multiplier"] == multiplier
    assert "nginx.ingress.kubernetes.io/limit-connections" not in ingress_nginx


def test_redirect_intent_adds_no_scheme_redirect(flavor: Flavor) -> None:
    annotations = flavor.ingress_annotations(intent(visibility="private", hsts=False))
    assert not any("redirect" in key for key in annotations)
    with pytest.raises(ValueError, match="plain HTTP"):
        flavor.ingress_annotations(intent(https_redirect=False))


def test_annotations_are_valid_kubernetes(flavor: Flavor) -> None:
    roles = ("master", "minion", None) if flavor.shared_host_mode == "mergeable" else (None,)
    for role in roles:
        for visibility in ("public", "private"):
            annotations = flavor.ingress_annotations(intent(visibility=visibility, hsts=visibility == "public",
                                                            merge_role=role, **FULL))
            assert all(isinstance(v, str) for v in annotations.values())
            validate_kubernetes(ingress_with(annotations))


def test_htpasswd(flavor: Flavor) -> None:
    digest = "$2b$04$" + "A" * 53
    assert flavor.htpasswd_line("alice", digest) == f"alice:{digest}"
    expected = {"nginx-inc": ("nginx.org/htpasswd", "htpasswd"), "ingress-nginx": ("Opaque", "auth")}
    assert (flavor.htpasswd.secret_type, flavor.htpasswd.key) == expected[flavor.name]
    for user, hashed in (("al:ice", digest), ("", digest), ("alice", "{SHA}abc"), ("alice", "plain")):
        with pytest.raises(ValueError):
            flavor.htpasswd_line(user, hashed)
