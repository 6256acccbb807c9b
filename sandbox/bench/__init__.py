"""The benches of ``pics-sync bench``: push (runtime, naive loop, floor), pull, replay, each contender on a
fresh ``arena``, and reconcile (drift made, found, repaired and predicted)."""
