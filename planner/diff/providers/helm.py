"""pulumi-kubernetes' Helm Release (`kubernetes:helm.sh/v3:Release`): what replaces a release.

Source: pulumi/pulumi-kubernetes at 94977969 (v4.32.0+), provider/pkg/provider/helm_release.go
`helmReleaseProvider.Diff`: `forceNewFields := []string{".name", ".namespace"}`, and
`DeleteBeforeReplace: false`. Everything else (chart, version, values, repository) is an in-place
`helm upgrade`, unless the program asks otherwise: gangplank's controllers set
`replaceOnChanges: [chart, repositoryOpts]` and `deleteBeforeReplace` (another flavor is another
chart), which the engine applies on top of this answer (see `planner.diff.steps`).
"""

from __future__ import annotations

from planner.diff.providers import Change, ProviderDiff, replaced_by

FORCE_NEW = {
    "name": "the release's identity (pulumi-kubernetes helm_release.go `Diff`)",
    "namespace": "the release's identity (pulumi-kubernetes helm_release.go `Diff`)",
}


def diff(change: Change) -> ProviderDiff:
    """Diff of a Helm release."""
    return ProviderDiff(change.paths, replaced_by(change, FORCE_NEW), delete_before_replace=False)
