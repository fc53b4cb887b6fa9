"""amoCRM: configuration, Chats API signing, and the two async clients (REST v4, amojo).

Protocol facts: ../shared/domain/amocrm.md. Variables: docs/amocrm.md, «Переменные окружения (AMOCRM_*)».
"""

from wewall.crm.api import AmoApi
from wewall.crm.chats import AmoChats, SentMessage
from wewall.crm.config import CrmSettings, get_crm_settings, reset_crm_settings
from wewall.crm.errors import AmoAuthError, AmoConfigError, AmoError, AmoRejected, AmoUnavailable
from wewall.crm.signing import sign_request, verify_webhook, webhook_signature
from wewall.crm.tokens import MemoryTokenStore, OAuthTokens, TokenStore
from wewall.crm.transport import RetryPolicy

__all__ = [
    "AmoApi",
    "AmoAuthError",
    "AmoChats",
    "AmoConfigError",
    "AmoError",
    "AmoRejected",
    "AmoUnavailable",
    "CrmSettings",
    "MemoryTokenStore",
    "OAuthTokens",
    "RetryPolicy",
    "SentMessage",
    "TokenStore",
    "get_crm_settings",
    "reset_crm_settings",
    "sign_request",
    "verify_webhook",
    "webhook_signature",
]
