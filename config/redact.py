"""Secrets left out of every log line.

The links of password-reset and account-activation emails carry a one-time token in their
path (`/accounts/password/reset/<uidb64>/<token>/`, `/accounts/activate/<uidb64>/<token>/`),
and follow-up reminders a signed one that switches them off (`/accounts/reminders/stop/<token>/`).
Whoever reads a log holding one could use it, so every log writer passes what it writes
through `redact()`: Django's log records (RedactSecretsFilter, on every handler in
settings.LOGGING), the JSON request log (config.request_id) and gunicorn's access log
(the logger class in gunicorn.conf.py, which redacts the request line, path and referrer).
"""

from __future__ import annotations

import logging
import re

REDACTED = "[token]"
# After checking the token, Django's reset view moves to `<uidb64>/set-password/`, which holds
# no secret; that word is left as it is. The user id part is not a secret.
_TOKEN_IN_PATH = re.compile(
    r"(?P<prefix>/(?:(?:activate|password/reset)/[A-Za-z0-9_=-]+|reminders/stop)/)"
    r"(?!set-password(?:[/?#\s\"']|$))(?P<token>[^/?#\s\"']+)"
)


def redact(text: str) -> str:
    """The text with any reset, activation or reminders token replaced by [token]."""
    return _TOKEN_IN_PATH.sub(rf"\g<prefix>{REDACTED}", text)


class RedactSecretsFilter(logging.Filter):
    """Redacts the message of every record (its arguments merged in first)."""

    def filter(self, record: logging.LogRecord) -> bool:
        message = record.getMessage()
        redacted = redact(message)
        if redacted != message:
            record.msg = redacted
            record.args = None
        return True
