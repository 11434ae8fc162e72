"""Monthly AWS cost of exposing N apps: gangplank's shared load balancers vs one per app.

gangplank builds, per stack, 2 Network Load Balancers (one internet-facing, one internal),
2 hosted zones and 2 ACM certificates (apex + wildcard, one per zone), then only DNS
records per host. The usual alternative gives every app a `LoadBalancer` Service: one NLB
per app (internet-facing for public apps), plus a certificate and DNS records per app if
each app does its own TLS and DNS. This script counts both for N apps and prices them at
AWS list prices, as a table and as a PNG chart.

The app mix (public/private share, apps sharing a host) comes from the same seeded
generator as the scale benchmark (`benchmarks/catalogue.py`), so both benchmarks talk
about the same catalogues.

    .venv/bin/python benchmarks/cost_model.py            # table + benchmarks/out/cost.png
    .venv/bin/python benchmarks/cost_model.py --quick    # CI: table + PNG in a temp dir
    .venv/bin/python benchmarks/cost_model.py --sizes 1,10,100 --png /tmp/cost.png
"""

from __future__ import annotations

import argparse
import sys
import tempfile
from collections.abc import Sequence
from dataclasses import dataclass
from pathlib import Path

sys.path.insert(0, str(Path(__file__).resolve().parents[1]))  # run as a script from anywhere

from benchmarks.catalogue import generate_apps, stats
from benchmarks.report import pyplot, save_chart

# -- prices and assumptions --------------------------------------------------------------
# AWS list prices, on-demand, USD, region eu-west-1 (Europe, Ireland): the region of the example stacks
# (Pulumi.<stack>.yaml `aws:region`), checked 2026-12-06. AWS's own pricing pages render their
# regional rate tables dynamically (their text states only us-east-1 examples), so each figure is
# confirmed through sources that quote or bill it:
# - NLB hour $0.0252: an ELB hour costs the same for an ALB and an NLB in a region; eu-west-1 bills
#   $0.0252 (a public ADR's eu-west-1 Cost Explorer bill, July 2026: usage type EU-LoadBalancerUsage,
#   $15.00 for 595 h), against $0.0225 in us-east-1 (aws.amazon.com/elasticloadbalancing/pricing,
#   its us-east-1 examples, as transcribed on 2026-09-20 in api-evangelist/amazon-elastic-load-
#   balancing plans/amazon-elastic-load-balancing-plans-pricing.yml);
# - NLCU hour $0.006: that AWS page's example rate (us-east-1), taken as eu-west-1's too: capacity
#   units are priced alike there (the eu-west-1 Price List row of the ALB's LCU, EU-LCUUsage, is
#   $0.008, the us-east-1 rate); at one NLCU per NLB it is $4.38 a month of each NLB's cost;
# - public IPv4 address $0.005/hour since 2024-02-01, all regions: AWS Networking & Content Delivery
#   blog "Identify and optimize public IPv4 address usage on AWS" (the same bill: EU-PublicIPv4:
#   InUseAddress, $8.91 for 1,783 address-hours);
# - Route53 hosted zone $0.50/month (first 25 zones; Route53 is a global service, one price):
#   aws.amazon.com/route53/pricing, as quoted by ns1.com "AWS DNS - Route 53 Features, Pricing and
#   Limitations"; alias queries to AWS resources (ELB included) not charged: Route 53 Developer
#   Guide, "Choosing between alias and non-alias records"; DNS records themselves assumed free (not
#   verified here);
# - ACM public certificates free (you pay for the resources using them):
#   aws.amazon.com/certificate-manager/pricing.
REGION = "eu-west-1"
PRICES_CHECKED = "2026-12-06"
NLB_PER_HOUR = 0.0252
NLCU_PER_HOUR = 0.006
PUBLIC_IPV4_PER_HOUR = 0.005
HOSTED_ZONE_PER_MONTH = 0.50
ACM_PUBLIC_CERTIFICATE = 0.0
DNS_RECORD_PER_MONTH = 0.0
ALIAS_QUERY_PER_MILLION = 0.0

HOURS_PER_MONTH = 730  # AWS's own convention for monthly estimates (8,760 h / 12)
NLCU_PER_NLB = 1.0
"""Capacity units an NLB bills per hour at light traffic. NLCUs follow traffic, and the
same traffic crosses one shared NLB or many per-app ones, so only this floor (an idle NLB
still bills its hour; a lightly used one about one NLCU) differs between the designs."""
AVAILABILITY_ZONES = 3
"""An internet-facing NLB holds one public IPv4 address per zone (typical EKS: 3 zones);
internal NLBs use private addresses, which are free."""
HOSTED_ZONES = 2
"""Public + private (split horizon). Both designs need them: the zones are not per app."""
RECORDS_PER_HOST = 2
"""Alias A + ExternalDNS ownership TXT (what gangplank writes; ExternalDNS writes the same)."""

DEFAULT_SIZES = (1, 5, 10, 25, 50, 100, 250, 500)
QUICK_SIZES = (1, 10, 100)
DEFAULT_PNG = Path(__file__).resolve().parent / "out" / "cost.png"


@dataclass(frozen=True)
class Design:
    """What one way of exposing N apps creates, and what it costs per month."""

    name: str
    nlbs: int
    internet_facing_nlbs: int
    certificates: int
    hosted_zones: int
    records: int

    @property
    def nlb_monthly(self) -> float:
        return self.nlbs * HOURS_PER_MONTH * (NLB_PER_HOUR + NLCU_PER_NLB * NLCU_PER_HOUR)

    @property
    def ipv4_monthly(self) -> float:
        return self.internet_facing_nlbs * AVAILABILITY_ZONES * HOURS_PER_MONTH * PUBLIC_IPV4_PER_HOUR

    @property
    def dns_monthly(self) -> float:
        return self.hosted_zones * HOSTED_ZONE_PER_MONTH + self.records * DNS_RECORD_PER_MONTH

    @property
    def certificate_monthly(self) -> float:
        return self.certificates * ACM_PUBLIC_CERTIFICATE

    @property
    def monthly(self) -> float:
        return self.nlb_monthly + self.ipv4_monthly + self.dns_monthly + self.certificate_monthly


@dataclass(frozen=True)
class Comparison:
    """Both designs for one catalogue size."""

    apps: int
    gangplank: Design
    per_app: Design

    @property
    def saving(self) -> float:
        return self.per_app.monthly - self.gangplank.monthly


def compare(n: int) -> Comparison:
    """Count and price both designs for the generated catalogue of `n` apps."""
    mix = stats(generate_apps(n))
    gangplank = Design(
        name="gangplank",
        nlbs=2,  # one per controller, whatever the number of apps
        internet_facing_nlbs=1,
        certificates=2,  # one per zone, apex + wildcard
        hosted_zones=HOSTED_ZONES,
        # One record set per host (apps sharing a host share it), plus one ACM validation
        # CNAME per certificate (the wildcard validates with its apex's record).
        records=RECORDS_PER_HOST * mix.hosts + 2,
    )
    per_app = Design(
        name="LoadBalancer Service per app",
        nlbs=mix.apps,
        internet_facing_nlbs=mix.public,
        certificates=mix.apps,  # TLS per app: one certificate each...
        hosted_zones=HOSTED_ZONES,
        records=(RECORDS_PER_HOST + 1) * mix.apps,  # ...and its validation CNAME; no shared hosts
    )
    return Comparison(n, gangplank, per_app)


def break_even(limit: int = 1000) -> int | None:
    """The smallest N from which gangplank is cheaper than a load balancer per app."""
    return next((n for n in range(1, limit + 1) if compare(n).saving > 0), None)


def assumptions() -> list[str]:
    """The prices and assumptions, printed above the table so a reader can check them."""
    return [
        f"AWS list prices, {REGION}, on-demand USD, checked {PRICES_CHECKED}; {HOURS_PER_MONTH} h/month",
        f"NLB ${NLB_PER_HOUR}/h + {NLCU_PER_NLB:g} NLCU x ${NLCU_PER_HOUR}/h each; "
        f"public IPv4 ${PUBLIC_IPV4_PER_HOUR}/h x {AVAILABILITY_ZONES} AZs per internet-facing NLB",
        f"Route53 ${HOSTED_ZONE_PER_MONTH:.2f}/hosted zone/month x {HOSTED_ZONES} zones in both designs; "
        f"records ${DNS_RECORD_PER_MONTH:g}; alias queries to ELB ${ALIAS_QUERY_PER_MILLION:g}/million",
        f"ACM public certificates ${ACM_PUBLIC_CERTIFICATE:g}; traffic-driven NLCUs and data transfer "
        "are the same in both designs and left out; so is the controllers' pod compute (gangplank)",
    ]


def render_table(rows: Sequence[Comparison]) -> str:
    """The comparison as a fixed-width text table."""
    header = (f"{'apps':>5} | {'gp NLBs':>7} {'certs':>5} {'records':>7} {'$/month':>9} | "
              f"{'per-app NLBs':>12} {'certs':>5} {'records':>7} {'$/month':>10} | {'saving $/mo':>11} {'x':>6}")
    lines = [header, "-" * len(header)]
    for row in rows:
        g, p = row.gangplank, row.per_app
        lines.append(
            f"{row.apps:>5} | {g.nlbs:>7} {g.certificates:>5} {g.records:>7} {g.monthly:>9,.2f} | "
            f"{p.nlbs:>12} {p.certificates:>5} {p.records:>7} {p.monthly:>10,.2f} | "
            f"{row.saving:>11,.2f} {p.monthly / g.monthly:>5.1f}x"
        )
    return "\n".join(lines)


def write_chart(rows: Sequence[Comparison], path: Path) -> None:
    """Monthly cost (log scale, so both designs stay readable) and load balancer counts vs N."""
    plt = pyplot()

    sizes = [r.apps for r in rows]
    fig, (cost_ax, nlb_ax) = plt.subplots(1, 2, figsize=(11, 4.2), constrained_layout=True)
    cost_ax.plot(sizes, [r.per_app.monthly for r in rows], "o-", color="#c0392b", label="LoadBalancer Service per app")
    cost_ax.plot(sizes, [r.gangplank.monthly for r in rows], "o-", color="#2471a3", label="gangplank (shared)")
    cost_ax.set(xscale="log", yscale="log", xlabel="apps (N)", ylabel="USD per month",
                title=f"Monthly cost, AWS list prices {REGION} ({PRICES_CHECKED})")
    cost_ax.grid(True, which="both", alpha=0.3)
    cost_ax.legend()
    nlb_ax.plot(sizes, [r.per_app.nlbs for r in rows], "o-", color="#c0392b", label="per app")
    nlb_ax.plot(sizes, [r.gangplank.nlbs for r in rows], "o-", color="#2471a3", label="gangplank")
    nlb_ax.set(xscale="log", yscale="log", xlabel="apps (N)", ylabel="Network Load Balancers",
               title="Load balancers")
    nlb_ax.grid(True, which="both", alpha=0.3)
    nlb_ax.legend()
    save_chart(fig, path)


def _sizes(text: str) -> list[int]:
    try:
        sizes = sorted({int(part) for part in text.split(",") if part.strip()})
    except ValueError:
        raise argparse.ArgumentTypeError(f"expected comma-separated app counts, got {text!r}") from None
    if not sizes or sizes[0] < 1:
        raise argparse.ArgumentTypeError("app counts must be at least 1")
    return sizes


def main(argv: Sequence[str] | None = None) -> int:
    parser = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    parser.add_argument("--quick", action="store_true", help=f"sizes {QUICK_SIZES}, PNG in a temp dir (CI)")
    parser.add_argument("--sizes", type=_sizes, help=f"comma-separated app counts (default {DEFAULT_SIZES})")
    parser.add_argument("--png", type=Path, help="chart path (default benchmarks/out/cost.png; --quick: a temp dir)")
    args = parser.parse_args(argv)

    sizes = args.sizes or (QUICK_SIZES if args.quick else DEFAULT_SIZES)
    if args.png is not None:
        png = args.png
    elif args.quick:
        png = Path(tempfile.mkdtemp(prefix="gangplank-cost-")) / "cost.png"
    else:
        png = DEFAULT_PNG
    rows = [compare(n) for n in sizes]

    print("Cost model: gangplank (2 shared NLBs) vs a LoadBalancer Service per app")
    for line in assumptions():
        print(f"  {line}")
    print()
    print(render_table(rows))
    print()
    even = break_even()
    if even is not None:
        print(f"break-even: gangplank is cheaper from N = {even} apps "
              f"(N = 1: ${compare(1).gangplank.monthly:,.2f} vs ${compare(1).per_app.monthly:,.2f}/month)")
    try:
        write_chart(rows, png)
    except ImportError as err:
        # The table above stands on its own; say plainly why the chart is missing.
        print(f"chart: not written: {err} (the benchmarks need matplotlib==3.11.2)", file=sys.stderr)
        return 1
    print(f"chart: {png}")
    return 0


if __name__ == "__main__":
    sys.exit(main())
