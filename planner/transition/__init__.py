"""A change rehearsed: one `pulumi up` from the state of one plan to another, replayed into moto step by step
(`--rehearse --since`).

`change.rehearse_steps` replays the steps in the engine's order and checks after every call that each host both
plans serve stays answered; `cluster` models which controller serves a host behind each load balancer; `wait_for`
reads `pulumi.com/waitFor` as pulumi-kubernetes does; `cli` runs the change between two program runs and renders
its verdict.
"""
