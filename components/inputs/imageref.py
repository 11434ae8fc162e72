"""Container image references (`deploy.image`): the OCI distribution grammar, and what is wrong with one.

The kubelet parses an image reference with github.com/distribution/reference's
`ParseNormalizedNamed` before it pulls (kubernetes/kubernetes pkg/kubelet/images/image_manager.go,
`applyDefaultImageTag`); a reference outside the grammar leaves the pod in `InvalidImageName`
after `pulumi up` has succeeded. So gangplank checks it before anything is declared, with
docker-image-py (`Reference.parse_normalized_named`, a port of that function and of the grammar's
regular expressions), and explains a refusal part by part, from the grammar
(distribution/reference v0.6.0, reference.go "Grammar", regexp.go):

    reference        := name [ ":" tag ] [ "@" digest ]
    name             := [domain '/'] remote-name
    domain           := host [':' port-number]
    path-component   := alpha-numeric [separator alpha-numeric]*    ; alpha-numeric := /[a-z0-9]+/
    separator        := /[_.]|__|[-]+/
    tag              := /[\\w][\\w.-]{0,127}/
    digest           := digest-algorithm ":" digest-hex              ; at least 32 hex digits

and normalize.go `splitDockerDomain`: the first '/'-separated part is the registry host when it
holds a '.' or a ':', is `localhost`, or has upper-case letters (repository names are lower case);
otherwise the reference is a Docker Hub name (`shop` is `docker.io/library/shop`).
"""

from __future__ import annotations

import re

from docker_image import digest as digest_grammar
from docker_image import reference as reference_grammar
from docker_image import regexp as grammar

from components.inputs.problems import shown

IMAGE_MAX = 1024
"""Longest reference accepted (the grammar bounds a repository path to 255 characters and a tag to 128)."""
IMAGE_PATTERN = grammar.REFERENCE_PAT.replace("[[:xdigit:]]", "[0-9A-Fa-f]")
"""regexp.go's `referencePat` (anchored) for JSON Schema: ECMA-262 reads `\\w` as ASCII, as Go does; the POSIX
class is spelled out. `ParseNormalizedNamed` is stricter in what no pattern says: a 64-digit hex string alone (an
image id), the digest algorithm (sha256, sha384, sha512) and its length, and a repository path over 255 characters."""
_ANYWHERE = re.compile(r"[A-Za-z0-9._\-/:@\[\]+]")
"""Every character some part of a reference may hold (`[`, `]` around an IPv6 registry, `+` in a digest algorithm)."""
_ONLY_THOSE = re.compile(_ANYWHERE.pattern + "+")
EXAMPLE = "write [registry/]repository[:tag][@digest], e.g. 'ghcr.io/acme/shop:1.4'"


def image_problem(image: str) -> str | None:
    """Why the kubelet would refuse `image` (None when it is a reference it parses)."""
    # Characters first: the port's patterns end in `$`, which (in Python, unlike Go) also matches before a
    # final newline, so it takes 'shop\n' for 'shop'.
    reasons = _odd_characters(image)
    if not reasons:
        try:
            reference_grammar.Reference.parse_normalized_named(image)
            return None
        except (reference_grammar.InvalidReference, digest_grammar.InvalidDigest) as err:
            reasons = _what_is_wrong(image) or [str(err)]
    return f"'{shown(image)}' is not an image reference: {'; '.join(reasons)}; {EXAMPLE}"


def _odd_characters(image: str) -> list[str]:
    if not image:
        return ["it is empty"]
    if _ONLY_THOSE.fullmatch(image):
        return []
    odd = list(dict.fromkeys(ch for ch in image if not _ANYWHERE.fullmatch(ch)))
    if not odd:
        return []
    named = list(dict.fromkeys("white space" if ch.isspace() else f"the control character U+{ord(ch):04X}"
                               if not ch.isprintable() else f"'{ch}'" for ch in odd))
    said = f"{', '.join(named[:-1])} and {named[-1]}" if len(named) > 1 else named[0]
    return [f"it holds {said}, which no part of a reference may hold"]


def _what_is_wrong(image: str) -> list[str]:
    """Each part of `image` that breaks the grammar, in words (its characters are the grammar's)."""
    if grammar.ImageRegexps.ANCHORED_IDENTIFIER_REGEXP.match(image):
        return ["64 hex digits alone are an image id, which Kubernetes cannot pull by; name the repository"]
    name, at, digest = image.partition("@")
    reasons = []
    first, slash, rest = name.partition("/")
    is_host = bool(slash) and (first == "localhost" or any(ch in first for ch in ".:") or first.lower() != first)
    host, remote = (first, rest) if is_host else ("", name)
    repository, colon, tag = remote.partition(":")  # the first ':' after the host starts the tag
    if host and not grammar.ImageRegexps.ANCHORED_HOSTNAME_REGEXP.match(host):
        reasons.append(f"the registry '{host}' is not a host name or address with an optional ':port'")
    components = repository.split("/")
    for component in components:
        if not component:
            reasons.append("the repository has an empty part ('//', or '/' at an end)")
        elif not grammar.ImageRegexps.NAME_COMPONENT_REGEXP.fullmatch(component):
            if grammar.ImageRegexps.NAME_COMPONENT_REGEXP.fullmatch(component.lower()):
                why = f"the repository part '{component}' must be lowercase"
                if host and host.lower() != host and not any(ch in host for ch in ".:"):
                    why += f" ('{host}' before it is read as a registry host, for its upper-case letters)"
                reasons.append(why)
            else:
                reasons.append(f"the repository part '{component}' must be lowercase letters and digits separated by "
                               "one '.', one or two '_', or '-'s")
    path = repository if is_host or "/" in repository else f"library/{repository}"  # as normalized for Docker Hub
    if len(path) > reference_grammar.NAME_TOTAL_LENGTH_MAX:
        reasons.append(f"the repository is longer than {reference_grammar.NAME_TOTAL_LENGTH_MAX} characters")
    if colon and not tag:
        reasons.append("the tag after ':' is empty")
    elif colon and not grammar.ImageRegexps.ANCHORED_TAG_REGEXP.match(tag):
        reasons.append(f"the tag '{tag}' may hold only letters, digits, '_', '.' and '-' (at most 128, not first "
                       "'.' or '-')" + (": one ':' separates the tag" if ":" in tag else ""))
    if at:
        try:
            if not grammar.ImageRegexps.ANCHORED_DIGEST_REGEXP.match(digest):
                raise digest_grammar.InvalidDigest.default()
            digest_grammar.validate_digest(digest)
        except digest_grammar.InvalidDigest:
            reasons.append(f"the digest '{digest}' must be sha256:, sha384: or sha512: and that hash's lowercase "
                           "hex digits (64, 96 or 128)")
    return reasons
