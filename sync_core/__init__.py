"""The part of pics-sync that knows no Kafka: settings, rules, the SA client, state, serde, logging."""
