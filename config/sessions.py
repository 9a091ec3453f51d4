"""Database sessions that cost one plain query and, mostly, no decoding.

Django's database session store builds an ORM query for every request that touches the
session, then checks the signature of the stored value, decompresses and parses it. The
wizard reads the session on every step, so here the row is read with a prepared statement,
and a given stored value is verified and parsed once per process: a bounded number of them
are kept, pickled, so that each request gets a fresh copy quickly (the pickles never leave
the process). Writing, expiry and clearing are Django's own.
"""

from __future__ import annotations

import logging
import pickle
from functools import lru_cache
from typing import Any

from django.contrib.sessions.backends.db import SessionStore as DatabaseSessionStore
from django.core import signing
from django.db import connections, router
from django.utils import timezone

VERIFIED_PAYLOADS = 256
# What verified_payload keeps for a value whose signature is wrong (no pickle is empty).
CORRUPTED = b""


@lru_cache(maxsize=VERIFIED_PAYLOADS)
def verified_payload(session_data: str, salt: str, serializer: type[Any]) -> bytes | None:
    """The stored value, once its signature checks out and it parses, as a pickle to copy
    from; CORRUPTED for a wrong signature, None for an undecodable value (Django's rules)."""
    try:
        decoded = signing.loads(session_data, salt=salt, serializer=serializer)
    except signing.BadSignature:
        return CORRUPTED
    except Exception:  # as Django: any undecodable value is an empty session
        return None
    if not isinstance(decoded, dict):
        return None
    return pickle.dumps(decoded, protocol=pickle.HIGHEST_PROTOCOL)


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
        return self.decode(row[0])

    def decode(self, session_data: bytes | str) -> dict[str, Any]:
        if isinstance(session_data, bytes):
            session_data = session_data.decode()
        payload = verified_payload(session_data, self.key_salt, self.serializer)
        if payload == CORRUPTED:
            # Logged on every read, as Django does, so that alerting sees each one.
            logging.getLogger("django.security.SuspiciousSession").warning("Session data corrupted")
            return {}
        if payload is None:
            return {}
        # Pickled in this process from a verified value, just above: never from outside.
        decoded: dict[str, Any] = pickle.loads(payload)  # noqa: S301
        return decoded
