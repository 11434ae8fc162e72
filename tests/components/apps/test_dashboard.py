"""Dashboard: the Forecastle chart values, checked against what the chart and Forecastle read."""

from __future__ import annotations

from typing import Any

from components.apps.dashboard import NAMESPACE, chart_values, instance_name

# Value paths the Forecastle chart's templates read (`.Values.<path>` in deployments/kubernetes/chart/
# forecastle/templates at tag v1.0.159 of stakater/Forecastle). The chart has no values schema, and Helm
# passes unknown values silently: a path missing here is one no template reads. Note `namespace` at the
# top level, not `forecastle.namespace` (which values.yaml declares but no template reads).
FORECASTLE_VALUE_PATHS = frozenset({
    "namespace", "nameOverride", "forecastle.deployment.replicas", "forecastle.deployment.revisionHistoryLimit",
    "forecastle.deployment.resources", "forecastle.deployment.annotations", "forecastle.ingress.enabled",
    "forecastle.ingress.className", "forecastle.image.name", "forecastle.image.tag", "forecastle.config",
})
# forecastle.config is written to config.yaml as is; Forecastle reads these keys (pkg/config/config.go at
# v1.0.159; viper matches keys case-insensitively, so `any` is NamespaceSelector.Any).
FORECASTLE_CONFIG_KEYS = frozenset({"namespaceSelector", "headerBackground", "headerForeground", "title",
                                    "instanceName", "customApps", "crdEnabled"})
NAMESPACE_SELECTOR_KEYS = frozenset({"any", "matchNames", "labelSelector"})


def value_paths(values: dict[str, Any], prefix: str = "") -> list[str]:
    """Leaf paths of `values`, stopping at `forecastle.config` (a document of its own)."""
    paths = []
    for key, value in values.items():
        path = f"{prefix}.{key}" if prefix else key
        if isinstance(value, dict) and path != "forecastle.config":
            paths += value_paths(value, path)
        else:
            paths.append(path)
    return paths


def test_every_value_is_one_the_chart_reads() -> None:
    values = chart_values("dev")
    assert set(value_paths(values)) <= FORECASTLE_VALUE_PATHS
    assert "namespace" not in values.get("forecastle", {})  # the release namespace places the objects


def test_forecastle_config_lists_every_namespace_for_this_stack_only() -> None:
    config = chart_values("staging")["forecastle"]["config"]
    assert set(config) <= FORECASTLE_CONFIG_KEYS
    assert set(config["namespaceSelector"]) <= NAMESPACE_SELECTOR_KEYS and config["namespaceSelector"]["any"] is True
    assert config["instanceName"] == instance_name("staging") == "gangplank-staging"
    assert NAMESPACE == "forecastle"
