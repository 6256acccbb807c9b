"""The one HTTP port: ``/metrics``, ``/healthz``, ``/readyz`` and the operator's console.

``server`` runs it on a daemon thread beside the consumer or the pull; ``app`` puts the routes
together; ``health`` holds the readiness checks; ``console`` the HTML pages and their actions, with
``auth`` (the console token) and ``queries`` (the read-only SQL of the pages).
"""
