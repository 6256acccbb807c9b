"""The benches of ``pics-sync bench``: push (runtime, naive loop, floor), pull and replay, each contender
on a fresh ``arena``."""
