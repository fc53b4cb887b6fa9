"""OAuth tokens of the REST API and the hook that persists them.

amoCRM rotates the refresh token on every refresh and the old one stops working, so a new
pair that is not persisted is lost at the next restart: the store is how the worker (or the
bot) keeps it, in MongoDB or anywhere else. The env refresh token only bootstraps the store.
"""

from __future__ import annotations

import time
from dataclasses import dataclass
from typing import Optional, Protocol

from wewall.crm.transport import mask


@dataclass(frozen=True)
class OAuthTokens:
    access_token: str
    refresh_token: Optional[str] = None
    # Epoch seconds; None for a long-lived token or when unknown.
    expires_at: Optional[float] = None

    def expires_within(self, seconds: float, now: Optional[float] = None) -> bool:
        if self.expires_at is None:
            return False
        return self.expires_at - (time.time() if now is None else now) <= seconds

    def __repr__(self) -> str:  # the dataclass default would print the tokens
        return (f"OAuthTokens(access_token={mask(self.access_token)}, "
                f"refresh_token={mask(self.refresh_token)}, expires_at={self.expires_at})")


class TokenStore(Protocol):
    async def load(self) -> Optional[OAuthTokens]:
        ...

    async def save(self, tokens: OAuthTokens) -> None:
        ...


class MemoryTokenStore:
    """For tests and for a single process without persistence."""

    def __init__(self, tokens: Optional[OAuthTokens] = None):
        self.tokens = tokens
        self.saved = 0

    async def load(self) -> Optional[OAuthTokens]:
        return self.tokens

    async def save(self, tokens: OAuthTokens) -> None:
        self.tokens = tokens
        self.saved += 1
