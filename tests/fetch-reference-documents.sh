#!/usr/bin/env bash
# Fetch the reference documents the tests check against (see docs/testing.md, "Running the tests")
# from upstream, into DIR (default ../shared), and verify them against their pinned sha256.
# CI machines without the team's shared/ folder run this first, with GANGPLANK_SHARED_DIR=DIR.
set -euo pipefail
dir="${1:-../shared}"
mkdir -p "$dir/charts" "$dir/uptimerobot" "$dir/gateway-api/standard" "$dir/envoy-gateway" "$dir/forecastle"
curl -fsSL --retry 3 -o "$dir/charts/nginx-ingress-2.6.4.values.schema.json" \
  https://raw.githubusercontent.com/nginx/kubernetes-ingress/v5.5.4/charts/nginx-ingress/values.schema.json
curl -fsSL --retry 3 -o "$dir/uptimerobot/openapi-v3.yaml" \
  https://raw.githubusercontent.com/uptimerobot/uptimerobot-cli/48cf89d87d3e003bfb2049ab9ce0f56618d783ef/openapi/openapi.yaml
curl -fsSL --retry 3 -o "$dir/charts/envoy-gateway-helm-v1.9.0.values.tmpl.yaml" \
  https://raw.githubusercontent.com/envoyproxy/gateway/v1.9.0/charts/gateway-helm/values.tmpl.yaml
for crd in gateway.networking.k8s.io_backendtlspolicies.yaml gateway.networking.k8s.io_gatewayclasses.yaml gateway.networking.k8s.io_gateways.yaml gateway.networking.k8s.io_grpcroutes.yaml gateway.networking.k8s.io_httproutes.yaml gateway.networking.k8s.io_listenersets.yaml gateway.networking.k8s.io_referencegrants.yaml gateway.networking.k8s.io_tcproutes.yaml gateway.networking.k8s.io_tlsroutes.yaml gateway.networking.k8s.io_udproutes.yaml gateway.networking.k8s.io_vap_safeupgrades.yaml; do
  curl -fsSL --retry 3 -o "$dir/gateway-api/standard/$crd" \
    "https://raw.githubusercontent.com/kubernetes-sigs/gateway-api/v1.6.1/config/crd/standard/$crd"
done
for crd in gateway.envoyproxy.io_backends.yaml gateway.envoyproxy.io_backendtrafficpolicies.yaml gateway.envoyproxy.io_clienttrafficpolicies.yaml gateway.envoyproxy.io_envoyextensionpolicies.yaml gateway.envoyproxy.io_envoypatchpolicies.yaml gateway.envoyproxy.io_envoyproxies.yaml gateway.envoyproxy.io_httproutefilters.yaml gateway.envoyproxy.io_securitypolicies.yaml; do
  curl -fsSL --retry 3 -o "$dir/envoy-gateway/$crd" \
    "https://raw.githubusercontent.com/envoyproxy/gateway/v1.9.0/charts/gateway-helm/charts/crds/crds/generated/$crd"
done
curl -fsSL --retry 3 -o "$dir/forecastle/forecastleApp.yaml" \
  https://raw.githubusercontent.com/stakater/Forecastle/v1.0.159/deployments/kubernetes/chart/forecastle/crds/forecastleApp.yaml
(cd "$dir" && sha256sum -c) <<'SUMS'
49a1b1a68c6a79dc0f923f557cc778ec0e56d2835389c649163114910e56bd4c  charts/nginx-ingress-2.6.4.values.schema.json
1067b9e072927ec0e2de83520cf2e44db83d81427668673dc1a663db8675783d  uptimerobot/openapi-v3.yaml
d8f66cda56be8775f4421454297e7b502096aa3cf62546aecd82f27cd00edc36  charts/envoy-gateway-helm-v1.9.0.values.tmpl.yaml
0d48c9e4b53dd9510cf615b9b1192d9d7afb07a1cc0498c9515627cb1c075419  gateway-api/standard/gateway.networking.k8s.io_backendtlspolicies.yaml
53710048ba26f8620eed59d5e51b157ecf040daf5c6eef31a4b991e0808c4be5  gateway-api/standard/gateway.networking.k8s.io_gatewayclasses.yaml
25b885f5870b8fff1ae82efa2628b2761cef3745900c2aecf8fb76629a01255a  gateway-api/standard/gateway.networking.k8s.io_gateways.yaml
53a8d029da8f07e55d3fa58a5cf6de5950dab19fbb8d6a8082fb5e51ca5ef6fc  gateway-api/standard/gateway.networking.k8s.io_grpcroutes.yaml
a424a0d6c953b162e71d1d97bb7e75012d8f1ac264e7274f2763d1b96ab39852  gateway-api/standard/gateway.networking.k8s.io_httproutes.yaml
bf4d4b02564999b2558b96e31465129895db9b3a8adfb90adb9c80eac52a3a70  gateway-api/standard/gateway.networking.k8s.io_listenersets.yaml
8c645e9333cfa67790cc2a53e0c00076f88b2bd4230d2b49688c78bc34f9b2c3  gateway-api/standard/gateway.networking.k8s.io_referencegrants.yaml
d5104d0cf30e924f5e3c9e2e76abd46876401c34ca33b9e79321523eee78c7f6  gateway-api/standard/gateway.networking.k8s.io_tcproutes.yaml
bb8b67926e5d9652cbfd2e19063b7c1d9e78806c9dd671608f57baef2f2e3bbb  gateway-api/standard/gateway.networking.k8s.io_tlsroutes.yaml
4b80684c2bf8ef4b0a2a3ab45164ac9f96258fc69912645ff50ced595b0aa6de  gateway-api/standard/gateway.networking.k8s.io_udproutes.yaml
afb0ea1b3cc2e9344d93b0926fbe741aeb48ab4439f9f7b4b77b9ac94faf6c2e  gateway-api/standard/gateway.networking.k8s.io_vap_safeupgrades.yaml
bb1901aea758d05458b853b07db04a96a1ea4346b177e392e5ce7398573805be  envoy-gateway/gateway.envoyproxy.io_backends.yaml
cd75a4c222df5487aa9ca8957b48bcc3255eb25de02ed9153faf620bc160f786  envoy-gateway/gateway.envoyproxy.io_backendtrafficpolicies.yaml
2c7eaa1ce30de626e9c362b8d9002281c2f435f970020fa81902ad7f30b38d5b  envoy-gateway/gateway.envoyproxy.io_clienttrafficpolicies.yaml
92f4dfdd67be4b242511381d6175f517782e655233fdf5b5e28a400ea5601f79  envoy-gateway/gateway.envoyproxy.io_envoyextensionpolicies.yaml
8e9110c32b414ea5c43a85e272dc2dee8917ed0bfa36a9a2b72fde1f3fba6083  envoy-gateway/gateway.envoyproxy.io_envoypatchpolicies.yaml
3e9ea2f348445e3798b02daf02bf024b0d944227cf5ef8a18da7f675a1afd223  envoy-gateway/gateway.envoyproxy.io_envoyproxies.yaml
ad46193dbec0a28cc97fa93a64bcd1f464858544d884eeac5e4d767526dcfd3d  envoy-gateway/gateway.envoyproxy.io_httproutefilters.yaml
6412914ec5b7c48f58b85f60a80767ba15a50c8d374480cf5f2d872e4a764466  envoy-gateway/gateway.envoyproxy.io_securitypolicies.yaml
1c18caab68e837d56c33fcddffd1fd2c26da19428aca24040a46dd479c6ade44  forecastle/forecastleApp.yaml
SUMS
