"""Unit tests of consumers."""
