"""Database sessions whose read is one plain SQL query.

Django's database session store builds an ORM query for every request that touches the
session, which costs more than running it. The wizard reads the session on every step, so
here the row is read with a prepared statement instead. Writing, expiry and clearing are
Django's own.
"""

from __future__ import annotations

from typing import Any

from django.contrib.sessions.backends.db import SessionStore as DatabaseSessionStore
from django.db import connections, router
from django.utils import timezone


class SessionStore(DatabaseSessionStore):
    def load(self) -> dict[str, Any]:
        model = self.model
        alias = router.db_for_read(model)
        connection = connections[alias]
        table = connection.ops.quote_name(model._meta.db_table)
        with connection.cursor() as cursor:
            cursor.execute(
                f"SELECT session_data FROM {table} WHERE session_key = %s AND expire_date > %s",  # noqa: S608 - the table name is Django's own, quoted
                [self.session_key, timezone.now()],
            )
            row = cursor.fetchone()
        if row is None:
            # As Django does: a key that is unknown or expired is forgotten, so a new
            # session gets a new key (no session fixation).
            self._session_key = None
            return {}
        return dict(self.decode(row[0]))
