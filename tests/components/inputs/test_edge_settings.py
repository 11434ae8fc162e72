"""Per-edge settings: every edge's flavor (built-in ones too) and a move to another flavor, with errors that name the
stack file, the line and the key."""

from __future__ import annotations

import json
import textwrap

import pytest

from components.inputs.problems import InputError
from components.inputs.settings import edge_flavor, edge_move
from components.inputs.settings_parsing import parse_settings
from components.inputs.yamlfile import load_yaml
from components.platform.controllers import controller_suffix, edge_controllers, move_weights
from tests.components.inputs.test_settings import REQUIRED


def settings_with(edges: dict, **more: str):
    return parse_settings({**REQUIRED, "gangplank:edges": json.dumps(edges), **more}, "Pulumi.dev.yaml")


def problems_of(edges: dict, stack_yaml=None, **more: str) -> list[str]:
    with pytest.raises(InputError) as caught:
        parse_settings({**REQUIRED, "gangplank:edges": json.dumps(edges), **more}, "Pulumi.dev.yaml", stack_yaml)
    return [str(problem) for problem in caught.value.problems]


def test_every_edge_runs_the_stack_flavor_unless_it_says_otherwise():
    settings = settings_with({"public": {"flavor": "ingress-nginx"},
                              "partners": {"visibility": "public", "allowedCidrs": ["203.0.113.0/24"]}})
    assert edge_flavor(settings, "public") == "ingress-nginx"
    assert edge_flavor(settings, "private") == "nginx-inc" == edge_flavor(settings, "partners")
    # The built-in edges keep what their names say: public open to everyone, private to privateAllowedCidrs.
    edges = settings.all_edges()
    assert list(edges) == ["public", "private", "partners"]
    assert edges["public"].open_to_everyone and edges["private"].allowed_cidrs == ("10.10.0.0/16",)


def test_a_move_is_a_target_flavor_and_a_weight():
    settings = settings_with({"public": {"move": {"to": "ingress-nginx", "weight": 30}}})
    move = edge_move(settings, "public")
    assert move is not None and (move.to, move.weight) == ("ingress-nginx", 30)
    assert edge_move(settings, "private") is None
    assert edge_move(settings_with({"public": {"move": {"to": "ingress-nginx"}}}), "public").weight == 0


def test_the_two_controllers_of_a_moving_edge_are_named_apart():
    settings = settings_with({"public": {"move": {"to": "ingress-nginx", "weight": 30}}},
                             **{"gangplank:flavor": "nginx-inc"})
    current, new = edge_controllers(settings, "public")
    assert (current.flavor, current.suffix, current.role, current.weight) == ("nginx-inc", "", "from", 70)
    assert (new.flavor, new.suffix, new.role, new.weight) == ("ingress-nginx", "-ingress-nginx", "to", 30)
    assert new.instance == "public-ingress-nginx" and current.instance == "public"
    [only] = edge_controllers(settings, "private")
    assert (only.suffix, only.role, only.weight) == ("", "only", None)
    assert move_weights(0) == (100, 0) and move_weights(100) == (0, 100)
    # The stack's flavor keeps the names every controller always had; another appends itself.
    assert controller_suffix("nginx-inc", "nginx-inc") == "" and controller_suffix("nginx-inc", "x") == "-nginx-inc"


@pytest.mark.parametrize("edges, more, where, says", [
    ({"public": {"move": {"to": "traefik"}}}, {}, "public.move.to",
     "Input should be 'nginx-inc', 'ingress-nginx' or 'envoy-gateway' (got 'traefik')"),
    ({"public": {"flavor": "haproxy"}}, {}, "public.flavor",
     "Input should be 'nginx-inc', 'ingress-nginx' or 'envoy-gateway'"),
    ({"public": {"move": {"to": "nginx-inc"}}}, {}, "public.move.to",
     "edge 'public' already runs nginx-inc (gangplank:flavor nginx-inc); a move goes to another flavor: ingress-nginx, "
     "envoy-gateway"),
    ({"private": {"flavor": "ingress-nginx", "move": {"to": "ingress-nginx"}}}, {}, "private.move.to",
     "edge 'private' already runs ingress-nginx (flavor: ingress-nginx)"),
    ({"public": {"move": {"to": "ingress-nginx", "weight": 101}}}, {}, "public.move.weight",
     "less than or equal to 100"),
    ({"public": {"move": {"to": "ingress-nginx", "weight": -1}}}, {}, "public.move.weight",
     "greater than or equal to 0"),
    ({"public": {"move": {"to": "ingress-nginx", "weight": "50"}}}, {}, "public.move.weight",
     "Input should be a valid integer"),
    ({"partnres": {"move": {"to": "ingress-nginx"}}}, {}, "partnres",
     "no edge 'partnres' in this stack: a new edge needs visibility (public or private); to set the flavor of an edge "
     "or move it, name one of public, private"),
    ({"public": {"visibility": "private"}}, {}, "public.visibility", "'public' is a built-in edge"),
    ({"private": {"allowedCidrs": ["10.0.0.0/8"]}}, {}, "private.allowedCidrs",
     "who it admits comes from gangplank:privateAllowedCidrs"),
    ({"public-nginx-inc": {"visibility": "public"}}, {}, "public-nginx-inc",
     "ends in '-nginx-inc', which names the nginx-inc controller of edge 'public'"),
    ({"finance": {"visibility": "private"}}, {}, "finance", "a private edge needs allowedCidrs"),
    ({"public": {"move": {"to": "ingress-nginx", "weigth": 5}}}, {}, "public.move.weigth", "Extra inputs"),
], ids=["unknown-target", "unknown-flavor", "same-as-stack", "same-as-edge", "weight-over", "weight-under",
        "weight-text", "no-such-edge", "built-in-visibility", "built-in-cidrs", "flavor-suffix", "private-open",
        "typo"])
def test_bad_edge_settings_name_the_key_and_field(edges, more, where, says):
    found = problems_of(edges, **more)
    assert any(line.startswith(f"Pulumi.dev.yaml: config 'gangplank:edges' field '{where}': ") and says in line
               for line in found), found


def test_problems_name_the_line_of_the_stack_file(tmp_path):
    path = tmp_path / "Pulumi.dev.yaml"
    path.write_text(textwrap.dedent("""\
        config:
          gangplank:publicDomain: dev.example.com
          gangplank:edges:
            public:
              move:
                to: nginx-inc
                weight: 30
            nope:
              move: {to: ingress-nginx}
    """), encoding="utf-8")
    edges = {"public": {"move": {"to": "nginx-inc", "weight": 30}}, "nope": {"move": {"to": "ingress-nginx"}}}
    found = problems_of(edges, load_yaml(str(path)))
    assert ("Pulumi.dev.yaml:6: config 'gangplank:edges' field 'public.move.to': edge 'public' already runs "
            "nginx-inc") in "\n".join(found)
    assert any(line.startswith("Pulumi.dev.yaml:8: config 'gangplank:edges' field 'nope': no edge 'nope'")
               for line in found), found


def test_a_stack_without_per_edge_settings_is_as_before():
    settings = parse_settings(REQUIRED, "Pulumi.dev.yaml")
    assert [(p.flavor, p.suffix, p.role) for edge in settings.all_edges() for p in edge_controllers(settings, edge)] \
        == [("nginx-inc", "", "only"), ("nginx-inc", "", "only")]
