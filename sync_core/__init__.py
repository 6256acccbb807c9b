"""Everything that knows no Kafka: rules, field maps, plans and their execution, the pipeline, the SA adapter,
the PICS and state repositories, serde, configuration, logging.

Imports neither ``confluent_kafka``, ``consumers`` nor ``sandbox`` (lint checks it).
"""
