"""Pulumi mocks that stand in for AWS, Kubernetes and UptimeRobot when planning offline.

- `serving.py`: `GangplankMocks`, what each request of the SDK gets back in each mode (`plan`,
  `fresh`, `update`), StackReferences, invokes, dynamic resources' `check`;
- `providers.py`: one answer per resource type, as its provider leaves it, each citing its source;
- `network.py`: the mocked VPC, its subnets and the NLB hosted zone ids the data sources describe;
- `monitor.py`: the mock engine, `RecordingMonitor`, and the `Registration` it records per resource;
- `common.py`: stable fake ids (`digest`), the region, the account, unknowns.
"""

# Kept for modules split in parallel with this package (planner/rollout.py, planner/transition.py and their
# tests, tests/components/apps/test_exposed_app.py), which import these from here; new code imports from
# the module that defines the name.
from planner.mocks.common import digest
from planner.mocks.monitor import UNKNOWN_SHOWN_AS, Registration
from planner.mocks.network import MOCK_VPC_CIDR
from planner.mocks.providers import load_balancer_services

__all__ = ["MOCK_VPC_CIDR", "UNKNOWN_SHOWN_AS", "Registration", "digest", "load_balancer_services"]
