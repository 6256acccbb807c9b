"""Repositories over schema ``pics``: the stand-in for the PICS database that updaters write."""
