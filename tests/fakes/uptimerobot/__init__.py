"""A stateful fake of UptimeRobot API v3 (the monitor endpoints), held to the official spec.

``server.py`` is the fake (:class:`~tests.fakes.uptimerobot.server.FakeUptimeRobot`); ``spec.py``
loads the OpenAPI document it checks requests and responses against; ``monitors.py`` is what
the API does with monitors; ``faults.py`` is the faults tests inject.
"""
