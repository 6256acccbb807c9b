"""SA ids written back to PICS: U2 (organisation Additional ID), U3 (officer Additional ID), U8."""

from __future__ import annotations

from psycopg_pool import ConnectionPool

_STATEMENTS = {
    "employer": "UPDATE pics.organisation SET additional_id = %s WHERE id = %s",
    "assessor": "UPDATE pics.officer SET additional_id = %s WHERE id = %s",
    "learner": "UPDATE pics.learner SET smart_assessor_id = %s WHERE learner_ident = %s",
}


class PicsIdWriter:
    """Implements ``PicsWriteBack`` on the PICS tables."""

    def __init__(self, pool: ConnectionPool) -> None:
        self._pool = pool

    def write_back(self, entity: str, pics_id: str, sa_id: str) -> None:
        """Store the SA id on the PICS record; entities PICS keeps no id for are ignored."""
        statement = _STATEMENTS.get(entity)
        if statement is None:
            return
        with self._pool.connection() as conn:
            conn.execute(statement, (sa_id, pics_id))
