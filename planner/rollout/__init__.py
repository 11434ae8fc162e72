"""A rehearsal of `pulumi up` over a plan's dependency graph, with modeled durations (`--rollout`).

`schedule.rollout(plan, ...)` walks the plan as the engine would, each step taking the modeled
duration of its type (`figures.FIGURES`, each with its source). It reports the waves (dependency
levels), the critical path and its length, the schedule, and the blockers (`blockers`):
preconditions that cannot hold, each with the resource and what to do about it. A blocked resource
and everything after it never completes; the rest is scheduled as if the engine went on
(`--continue-on-error`).

`changes.add_app_rollouts(plan, ...)` does the same for each app as if it were the one app added to
a running stack (what app teams wait for), and `changes.change_rollout(base, head, ...)` for the
resources a pull request adds or changes. `report` makes `--rollout`'s report and its table.

Every function here is pure: the plan (the JSON contract), the stack config's keys and the
environment in; data out. Durations are a model, not a measurement: they show where time goes
and what cannot finish, not the minute a run will end.
"""
