#!/usr/bin/env bash
# Fetch the two reference documents the tests check against (see docs/testing.md, "Running the tests")
# from upstream, into DIR (default ../shared), and verify them against their pinned sha256.
# CI machines without the team's shared/ folder run this first, with GANGPLANK_SHARED_DIR=DIR.
set -euo pipefail
dir="${1:-../shared}"
mkdir -p "$dir/charts" "$dir/uptimerobot"
curl -fsSL --retry 3 -o "$dir/charts/nginx-ingress-2.6.4.values.schema.json" \
  https://raw.githubusercontent.com/nginx/kubernetes-ingress/v5.5.4/charts/nginx-ingress/values.schema.json
curl -fsSL --retry 3 -o "$dir/uptimerobot/openapi-v3.yaml" \
  https://raw.githubusercontent.com/uptimerobot/uptimerobot-cli/48cf89d87d3e003bfb2049ab9ce0f56618d783ef/openapi/openapi.yaml
(cd "$dir" && sha256sum -c) <<'SUMS'
49a1b1a68c6a79dc0f923f557cc778ec0e56d2835389c649163114910e56bd4c  charts/nginx-ingress-2.6.4.values.schema.json
1067b9e072927ec0e2de83520cf2e44db83d81427668673dc1a663db8675783d  uptimerobot/openapi-v3.yaml
SUMS
