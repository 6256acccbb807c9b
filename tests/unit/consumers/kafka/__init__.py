"""Unit tests of consumers.kafka."""
