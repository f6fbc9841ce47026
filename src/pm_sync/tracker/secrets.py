"""Tokens come from the environment and never leave pm-sync: not in output, logs or files.

A server's error page may echo the request back, headers included, so every text a tracker
passes on is scrubbed of the secret in every spelling it travels in (raw, Basic-auth base64,
URL-encoded, JSON- or HTML-escaped), and before any text is cut short.
"""

from __future__ import annotations

import base64
import html
import json
import urllib.parse
from collections.abc import Iterable, Mapping

from pm_sync.errors import ConfigError

MASK = "***"


def read_token(env: Mapping[str, str], var: str, *, key: str, config_path: str | None = None) -> str:
    """The token in `$var`; a missing, empty or malformed one is a config error naming the
    variable (`key` is the config key that names it), never echoing the value."""
    raw = env.get(var)
    if raw is None or not raw.strip():
        raise ConfigError(
            f"no token: the environment variable {var} (config key {key}) is not set or empty",
            path=config_path,
            hint=f"export {var}=<token>, or name another variable in {key}",
        )
    token = raw.strip()
    if any(ch in token for ch in "\r\n\t\0") or any(ord(ch) < 32 for ch in token):
        raise ConfigError(
            f"the token in {var} (config key {key}) contains a line break or control character",
            path=config_path,
            hint=f"set {var} to the token alone, on one line",
        )
    try:
        token.encode("latin-1")
    except UnicodeEncodeError:
        raise ConfigError(
            f"the token in {var} (config key {key}) contains characters an HTTP header cannot "
            "carry (outside Latin-1)",
            path=config_path,
            hint=f"check that {var} holds the token itself, copied without extra characters",
        ) from None
    return token


class Secrets:
    """Everything that must never be shown, in each encoding it may appear in."""

    def __init__(
        self, values: Iterable[str] = (), *, basic_user: str | None = None, mask: str = MASK
    ) -> None:
        self._spellings: set[str] = set()
        self.mask = mask
        for value in values:
            self.add(value, basic_user=basic_user)

    def add(self, value: str, *, basic_user: str | None = None) -> None:
        if len(value) < 4:
            return
        forms = {value, urllib.parse.quote(value, safe=""), urllib.parse.quote_plus(value)}
        forms |= {urllib.parse.quote(value), html.escape(value)}
        escaped = json.dumps(value, ensure_ascii=False)[1:-1]  # as a JSON string holds it
        forms |= {escaped, escaped.replace("/", "\\/"), json.dumps(value)[1:-1]}
        pairs = [value] + ([f"{basic_user}:{value}"] if basic_user else [])
        for pair in pairs:
            raw = pair.encode("latin-1", "replace")
            forms.add(base64.b64encode(raw).decode("ascii"))
            forms.add(base64.b64encode(raw).decode("ascii").rstrip("="))
            forms.add(base64.urlsafe_b64encode(raw).decode("ascii").rstrip("="))
        self._spellings |= {f for f in forms if len(f) >= 4}

    def scrub(self, text: str) -> str:
        for spelling in sorted(self._spellings, key=len, reverse=True):
            if spelling in text:
                text = text.replace(spelling, self.mask)
        return text

    def __repr__(self) -> str:
        return f"Secrets({len(self._spellings)} spellings)"
