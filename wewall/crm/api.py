"""amoCRM REST API v4 client: contacts, leads, notes, chat links, pipelines.

Auth is a Bearer token: a long-lived one, or OAuth 2 with refresh. A 401 triggers exactly one
refresh and one retry of the request; concurrent 401s share that refresh, because amoCRM
rotates the refresh token and a second refresh with the old one would be refused.
"""

from __future__ import annotations

import asyncio
import logging
import time
from typing import Any, Dict, List, Mapping, Optional

import aiohttp

from wewall.crm.config import CrmSettings
from wewall.crm.errors import AmoAuthError, AmoConfigError, AmoError, AmoRejected
from wewall.crm.signing import dump_body
from wewall.crm.tokens import OAuthTokens, TokenStore
from wewall.crm.transport import HttpResponse, RetryPolicy, Transport, mask

log = logging.getLogger(__name__)

# Refresh a little before expiry so a request never races the clock.
_EXPIRY_MARGIN = 60.0


class AmoApi:
    def __init__(
        self,
        settings: CrmSettings,
        *,
        session: Optional[aiohttp.ClientSession] = None,
        token_store: Optional[TokenStore] = None,
        retry: Optional[RetryPolicy] = None,
    ):
        if not settings.api_base_url:
            raise AmoConfigError("AMOCRM_SUBDOMAIN or AMOCRM_API_BASE_URL is not set")
        self.settings = settings
        self._transport = Transport.from_settings(
            settings.api_base_url, settings, session=session, name="amocrm-api", retry=retry)
        self._store = token_store
        self._store_loaded = token_store is None
        token = settings.token.get_secret_value() if settings.token else None
        refresh = settings.refresh_token.get_secret_value() if settings.refresh_token else None
        self._tokens: Optional[OAuthTokens] = (
            OAuthTokens(token or "", refresh) if (token or refresh) else None)
        self._refresh_lock = asyncio.Lock()

    def __repr__(self) -> str:
        return f"AmoApi({self.settings.api_base_url}, tokens={self._tokens!r})"

    async def close(self) -> None:
        await self._transport.close()

    async def __aenter__(self) -> AmoApi:
        return self

    async def __aexit__(self, *exc) -> None:
        await self.close()

    # ------------------------------------------------------------------ tokens

    @property
    def tokens(self) -> Optional[OAuthTokens]:
        return self._tokens

    async def _current_tokens(self) -> OAuthTokens:
        if not self._store_loaded and self._store is not None:
            stored = await self._store.load()
            self._store_loaded = True
            # The store is newer than the env: the env refresh token was rotated long ago.
            if stored is not None:
                self._tokens = stored
        tokens = self._tokens
        if self.settings.oauth_configured and (
            tokens is None or not tokens.access_token or tokens.expires_within(_EXPIRY_MARGIN)
        ):
            async with self._refresh_lock:
                if self._tokens is tokens:
                    await self._refresh_locked()
            tokens = self._tokens
        if tokens is None or not tokens.access_token:
            raise AmoAuthError("no amoCRM access token (AMOCRM_TOKEN or OAuth)")
        return tokens

    async def refresh_tokens(self) -> OAuthTokens:
        """Refresh now (the worker calls this before the 24 h access token expires)."""
        if not self._store_loaded:
            await self._current_tokens()
        async with self._refresh_lock:
            return await self._refresh_locked()

    async def refresh_if_expiring(self, within_seconds: float = 3600.0) -> bool:
        """True when it refreshed; an unknown expiry (token from env) counts as expiring."""
        if not self.settings.oauth_configured:
            return False  # a long-lived token has nothing to refresh
        tokens = self._tokens if self._store_loaded else None
        if tokens is None:
            tokens = await self._current_tokens()
        if tokens.expires_at is not None and not tokens.expires_within(within_seconds):
            return False
        await self.refresh_tokens()
        return True

    async def _refresh_after_401(self, rejected_access_token: str) -> None:
        async with self._refresh_lock:
            current = self._tokens.access_token if self._tokens else None
            if current and current != rejected_access_token:
                return  # another request refreshed while this one waited for the lock
            await self._refresh_locked()

    async def _refresh_locked(self) -> OAuthTokens:
        s = self.settings
        if not s.oauth_configured:
            raise AmoAuthError("cannot refresh the amoCRM token: OAuth client is not configured")
        refresh = self._tokens.refresh_token if self._tokens else None
        if not refresh:
            raise AmoAuthError("cannot refresh the amoCRM token: no refresh token")
        assert s.client_secret is not None  # oauth_configured
        payload = {
            "client_id": s.client_id,
            "client_secret": s.client_secret.get_secret_value(),
            "grant_type": "refresh_token",
            "refresh_token": refresh,
            "redirect_uri": s.redirect_uri,
        }
        resp = await self._transport.send(
            "POST", "/oauth2/access_token", body=dump_body(payload),
            headers={"Content-Type": "application/json"})
        if resp.status != 200:
            raise AmoAuthError("amoCRM refused the token refresh", method="POST",
                               path="/oauth2/access_token", status=resp.status, body=resp.body)
        data = resp.json() or {}
        if not data.get("access_token"):
            raise AmoAuthError("token refresh answered without access_token", status=resp.status)
        expires_in = float(data.get("expires_in") or 86400)
        tokens = OAuthTokens(
            access_token=data["access_token"],
            refresh_token=data.get("refresh_token") or refresh,
            expires_at=time.time() + expires_in,
        )
        self._tokens = tokens
        log.info("amoCRM access token refreshed (%s), valid %.0fs",
                 mask(tokens.access_token), expires_in)
        if self._store is not None:
            try:
                await self._store.save(tokens)
            except Exception:  # keep serving with the new tokens; the error is loud
                log.exception("could not persist refreshed amoCRM tokens: "
                              "the next restart will need a new refresh token")
        return tokens

    # ------------------------------------------------------------------ requests

    async def _send(self, method: str, path: str, body: Optional[bytes],
                    params: Optional[Mapping[str, str]], access_token: str) -> HttpResponse:
        headers = {"Authorization": f"Bearer {access_token}", "Accept": "application/json"}
        if body is not None:
            headers["Content-Type"] = "application/json"
        return await self._transport.send(method, path, body=body, headers=headers,
                                          params=params)

    async def request(self, method: str, path: str, payload: Any = None,
                      params: Optional[Mapping[str, str]] = None) -> Any:
        """A REST call with auth and error mapping; the parsed JSON (None for 204)."""
        body = dump_body(payload) if payload is not None else None
        tokens = await self._current_tokens()
        resp = await self._send(method, path, body, params, tokens.access_token)
        if resp.status == 401:
            if not self.settings.oauth_configured:
                raise AmoAuthError("amoCRM token rejected", method=method, path=path, status=401,
                                   body=resp.body)
            log.info("amoCRM %s %s: 401, refreshing the token once", method, path)
            await self._refresh_after_401(tokens.access_token)
            assert self._tokens is not None  # the refresh either set them or raised
            resp = await self._send(method, path, body, params, self._tokens.access_token)
            if resp.status == 401:
                raise AmoAuthError("amoCRM token rejected after refresh", method=method,
                                   path=path, status=401, body=resp.body)
        return _result(resp)

    # ------------------------------------------------------------------ operations

    async def account_amojo_id(self) -> str:
        data = await self.request("GET", "/api/v4/account", params={"with": "amojo_id"})
        amojo_id = (data or {}).get("amojo_id")
        if not amojo_id:
            raise AmoError("account has no amojo_id (chats not enabled?)",
                           method="GET", path="/api/v4/account")
        return amojo_id

    async def find_contacts(self, query: str, *, with_leads: bool = False) -> List[Dict[str, Any]]:
        """Contacts amoCRM finds for `query` (a phone, a name, a field's value); amoCRM's
        search is loose (substrings): callers check what they need exactly."""
        params = {"query": query, "limit": "50"}
        if with_leads:
            params["with"] = "leads"
        data = await self.request("GET", "/api/v4/contacts", params=params)
        return list(((data or {}).get("_embedded") or {}).get("contacts") or [])

    async def find_leads(self, query: str) -> List[Dict[str, Any]]:
        data = await self.request("GET", "/api/v4/leads",
                                  params={"query": query, "limit": "50", "with": "contacts"})
        return list(((data or {}).get("_embedded") or {}).get("leads") or [])

    async def lead_notes(self, lead_id: int) -> List[Dict[str, Any]]:
        data = await self.request("GET", f"/api/v4/leads/{int(lead_id)}/notes",
                                  params={"limit": "250"})
        return list(((data or {}).get("_embedded") or {}).get("notes") or [])

    async def contact_phones(self, contact_id: int) -> List[str]:
        data = await self.request("GET", f"/api/v4/contacts/{int(contact_id)}")
        return [str(v.get("value")) for cf in (data or {}).get("custom_fields_values") or []
                if cf.get("field_code") == "PHONE" for v in cf.get("values") or [] if v.get("value")]

    async def set_contact_phones(self, contact_id: int, phones: List[str]) -> None:
        """The contact's phones become exactly `phones` (amoCRM replaces a field's values)."""
        await self.request("PATCH", "/api/v4/contacts", [{
            "id": int(contact_id), "custom_fields_values": [{
                "field_code": "PHONE",
                "values": [{"value": p, "enum_code": "WORK"} for p in phones]}]}])

    async def create_contact(self, name: str, *, first_name: Optional[str] = None,
                             last_name: Optional[str] = None,
                             telegram_username: Optional[str] = None,
                             phone: Optional[str] = None) -> int:
        contact: Dict[str, Any] = {"name": name}
        if first_name:
            contact["first_name"] = first_name
        if last_name:
            contact["last_name"] = last_name
        fields: List[Dict[str, Any]] = []
        field_id = self.settings.tg_username_field_id
        if telegram_username and field_id:
            fields.append({"field_id": field_id, "values": [{"value": telegram_username}]})
        elif telegram_username:
            log.warning("AMOCRM_TG_USERNAME_FIELD_ID is not set: Telegram username not saved")
        if phone:
            fields.append({"field_code": "PHONE", "values": [{"value": phone, "enum_code": "WORK"}]})
        if fields:
            contact["custom_fields_values"] = fields
        data = await self.request("POST", "/api/v4/contacts", [contact])
        return _first_id(data, "contacts", "/api/v4/contacts")

    async def create_lead(self, contact_id: int, *, name: Optional[str] = None,
                          pipeline_id: Optional[int] = None, status_id: Optional[int] = None,
                          source: Optional[str] = None) -> int:
        """A lead in the main pipeline (unless told otherwise), linked to the contact."""
        lead: Dict[str, Any] = {"_embedded": {"contacts": [{"id": contact_id}]}}
        if name:
            lead["name"] = name
        pipeline_id = pipeline_id or self.settings.main_pipeline_id
        if pipeline_id:
            lead["pipeline_id"] = pipeline_id
        status_id = status_id or self.settings.status_chat_with_bot_id
        if status_id:
            lead["status_id"] = status_id
        field_id = self.settings.lead_source_field_id
        if field_id:
            lead["custom_fields_values"] = [{
                "field_id": field_id,
                "values": [{"value": source or self.settings.lead_source_value}],
            }]
        data = await self.request("POST", "/api/v4/leads", [lead])
        return _first_id(data, "leads", "/api/v4/leads")

    async def move_lead(self, lead_id: int, *, status_id: int, pipeline_id: Optional[int] = None,
                        name: Optional[str] = None) -> None:
        """Pipeline ids are needed when the status belongs to another pipeline (appeal)."""
        lead: Dict[str, Any] = {"id": lead_id, "status_id": status_id}
        if pipeline_id:
            lead["pipeline_id"] = pipeline_id
        if name:
            lead["name"] = name
        await self.request("PATCH", "/api/v4/leads", [lead])

    async def add_lead_note(self, lead_id: int, text: str) -> int:
        path = f"/api/v4/leads/{int(lead_id)}/notes"
        data = await self.request("POST", path,
                                  [{"note_type": "common", "params": {"text": text}}])
        return _first_id(data, "notes", path)

    async def link_chat_to_contact(self, contact_id: int, chat_id: str) -> None:
        await self.request("POST", "/api/v4/contacts/chats",
                           [{"contact_id": contact_id, "chat_id": chat_id}])

    async def pipelines(self) -> List[Dict[str, Any]]:
        """Pipelines with their statuses (`_embedded.statuses`), to check the configured ids."""
        data = await self.request("GET", "/api/v4/leads/pipelines")
        return list(((data or {}).get("_embedded") or {}).get("pipelines") or [])


def _result(resp: HttpResponse) -> Any:
    if 200 <= resp.status < 300:
        return resp.json()
    cls = AmoRejected if 400 <= resp.status < 500 else AmoError
    raise cls("amoCRM refused the request", method=resp.method, path=resp.path,
              status=resp.status, body=resp.body)


def _first_id(data: Any, key: str, path: str) -> int:
    try:
        return int(data["_embedded"][key][0]["id"])
    except (KeyError, IndexError, TypeError, ValueError) as exc:
        raise AmoError(f"unexpected answer: no _embedded.{key}[0].id", path=path) from exc
