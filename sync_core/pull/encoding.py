"""One key's pulled items encoded for Kafka in the reading thread: the last check before the send (P14).

The readers of ``sync_core.pull.items`` give each item the types its schema wants; should an item still
not fit (a field no reader checks), the encoder's refusal drops that item alone, named by the field
the encoder names, never by its message, which quotes the value.
"""

from __future__ import annotations

import re
from dataclasses import dataclass

from sync_core.pull.reads import Read
from sync_core.serde import AvroSerde, new_event

Message = tuple[str, str, bytes]  # (logical topic, key, the encoded event)
_FIELD = re.compile(r"on field (\w+)")  # how fastavro names the field it refused


@dataclass
class Ready:
    """One key's items ready to send, and what was read (for the run's counts)."""

    read: Read
    messages: list[Message]
    failed: bool = False  # reading the key failed as a whole: counted, nothing sent


def encode(read: Read, serde: AvroSerde) -> Ready:
    """Encode each item; one the schema refuses is dropped by itself (P14), the others are kept."""
    messages: list[Message] = []
    for pulled in read.events:
        value = new_event(pulled.name, pulled.payload, source="smart-assessor", event_id=pulled.event_id)
        try:
            messages.append((pulled.topic, pulled.key, serde.encode(pulled.topic, value)))
        except Exception as refused:  # whatever fastavro raises: one item must not stop the run
            found = _FIELD.search(str(refused))
            problem = f"does not fit the schema ({type(refused).__name__})"
            read.drop(pulled.name, found.group(1) if found else "?", problem)
    return Ready(read, messages)
