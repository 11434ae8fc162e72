"""Which input values a plan says are made from other resources' computed outputs (`fromOutputs`)."""

from __future__ import annotations

import pytest

from planner.run import build_plan
from tests.conftest import FLAVORS


@pytest.mark.parametrize("flavor", FLAVORS)
def test_values_made_from_computed_outputs_name_their_source(cached_run, flavor):
    plan = build_plan(cached_run("dev", flavor, "plan"))
    by_name = {r["name"]: r for r in plan["resources"]}
    zone = "aws:route53/zone:Zone::platform-zones-public"
    assert by_name["docs.dev.example.com-a"]["fromOutputs"] == {
        "aliases[0].name": ["kubernetes:core/v1:Service::platform-public-service"], "zoneId": [zone]}
    assert by_name["docs.dev.example.com-a"]["propertyDependencies"]["zoneId"] == [zone]
    assert by_name["platform-zones-delegation"]["fromOutputs"]["records[0]"] == [zone]
    # Through an input handed on: the validation's `certificateArn` is the certificate's, and so is the
    # controller's TLS annotation made from the validation; the account id in every ARN is nobody's source.
    annotations = 'values.controller.service.annotations["service.beta.kubernetes.io/aws-load-balancer-ssl-cert"]'
    assert by_name["platform-public-release"]["fromOutputs"][annotations] == [
        "aws:acm/certificate:Certificate::platform-certificates-public"]
    # A value a provider echoes from its inputs (a namespace's name) is not the provider's to compute.
    assert "namespace" not in by_name["platform-public-release"].get("fromOutputs", {})
    assert "fromOutputs" not in by_name["docs-ingress"]
