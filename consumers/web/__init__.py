"""The one HTTP port: ``/metrics``, ``/healthz``, ``/readyz`` and the operator's console.

``server`` runs it on a daemon thread beside the consumer or the pull; ``app`` puts the routes
together inside ``guard`` (security headers, the Origin check and the body cap); ``health`` holds
the readiness checks; ``console`` the HTML pages, ``actions`` their POSTs, with ``auth`` (the console
token), ``sessions`` (random, expiring, with CSRF tokens), ``throttle`` (the back-off on wrong tokens),
``overview`` (the overview's cached figures), ``samples`` (their history, sampled for the overview's
charts), ``drift`` (the Drift page and a learner's repairs), ``chart`` (the layout of both pages'
SVG charts), ``in_sync`` (a learner's in-sync indicator) and ``queries`` (the read-only SQL of the pages).
"""
