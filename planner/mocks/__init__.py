"""Pulumi mocks that stand in for AWS, Kubernetes and UptimeRobot when planning offline.

- `serving.py`: `GangplankMocks`, what each request of the SDK gets back in each mode (`plan`,
  `fresh`, `update`), StackReferences, invokes, dynamic resources' `check`;
- `providers.py`: one answer per resource type, as its provider leaves it, each citing its source;
- `network.py`: the mocked VPC, its subnets and the NLB hosted zone ids the data sources describe;
- `monitor.py`: the mock engine, `RecordingMonitor`, and the `Registration` it records per resource;
- `common.py`: stable fake ids (`digest`), the region, the account, unknowns.
"""
