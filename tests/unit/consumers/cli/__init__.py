"""Tests of consumers/cli/."""
