"""amoCRM Chats API ("amojo") client: connect the channel, create chats, mirror messages.

Every request is signed (signing.py) over the exact bytes sent. `msgid` comes from the
caller, not from here: the outbox stores it with the message, so a retry after a timeout
(maybe amojo did receive the first try) sends the same msgid and amojo keeps one message.
The same goes for `timestamp`: the message's own time, so a late retry still lands in order.
"""

from __future__ import annotations

import datetime as dt
import logging
import time
from dataclasses import dataclass
from typing import Any, Dict, Optional, Union

import aiohttp

from wewall.crm.config import CrmSettings
from wewall.crm.errors import AmoConfigError, AmoError, AmoRejected
from wewall.crm.signing import CONTENT_TYPE, dump_body, sign_request
from wewall.crm.transport import HttpResponse, RetryPolicy, Transport

log = logging.getLogger(__name__)

Timestamp = Union[None, float, int, dt.datetime]


@dataclass(frozen=True)
class SentMessage:
    chat_id: str  # amojo's conversation id (the chat's id)
    amojo_msgid: str  # amojo's id of the message
    ref_id: str  # our msgid, echoed back


def _epoch(timestamp: Timestamp) -> float:
    if timestamp is None:
        return time.time()
    if isinstance(timestamp, dt.datetime):
        if timestamp.tzinfo is None:
            timestamp = timestamp.replace(tzinfo=dt.timezone.utc)
        return timestamp.timestamp()
    return float(timestamp)


class AmoChats:
    def __init__(
        self,
        settings: CrmSettings,
        *,
        session: Optional[aiohttp.ClientSession] = None,
        retry: Optional[RetryPolicy] = None,
    ):
        if not (settings.channel_id and settings.channel_secret):
            raise AmoConfigError("AMOCRM_CHANNEL_ID and AMOCRM_CHANNEL_SECRET are required")
        self.settings = settings
        self.scope_id: Optional[str] = settings.scope_id
        self._secret = settings.channel_secret.get_secret_value()
        self._transport = Transport.from_settings(
            settings.chats_base_url, settings, session=session, name="amocrm-chats", retry=retry)

    def __repr__(self) -> str:
        return f"AmoChats({self.settings.chats_base_url}, scope_id={self.scope_id})"

    async def close(self) -> None:
        await self._transport.close()

    async def __aenter__(self) -> AmoChats:
        return self

    async def __aexit__(self, *exc) -> None:
        await self.close()

    # ------------------------------------------------------------------ plumbing

    async def _post(self, path: str, payload: Dict[str, Any]) -> Any:
        body = dump_body(payload)  # once: these bytes are signed and sent on every attempt
        signed_path = self._transport.full_path(path)

        def headers() -> Dict[str, str]:
            return sign_request(self._secret, "POST", signed_path, body, content_type=CONTENT_TYPE)

        resp = await self._transport.send("POST", path, body=body, headers=headers)
        return _result(resp)

    def _scope(self) -> str:
        if not self.scope_id:
            raise AmoConfigError("no scope_id: set AMOCRM_SCOPE_ID or call connect() first")
        return self.scope_id

    # ------------------------------------------------------------------ operations

    async def connect(self, account_id: str, *, title: Optional[str] = None) -> str:
        """Connect the channel to the account (amojo_id); returns and keeps the scope_id."""
        data = await self._post(
            f"/v2/origin/custom/{self.settings.channel_id}/connect",
            {"account_id": account_id, "title": title or self.settings.channel_title,
             "hook_api_version": "v2"},
        )
        scope_id = (data or {}).get("scope_id")
        if not scope_id:
            raise AmoError("connect answered without scope_id")
        self.scope_id = scope_id
        return scope_id

    async def create_chat(self, conversation_id: str, *, user_id: str, name: str,
                          phone: Optional[str] = None, avatar: Optional[str] = None,
                          profile_link: Optional[str] = None) -> str:
        """Creates (or finds: amojo keys on conversation_id) the chat; returns amojo's chat id."""
        user: Dict[str, Any] = {"id": user_id, "name": name}
        if phone:
            user["profile"] = {"phone": phone}
        if avatar:
            user["avatar"] = avatar
        if profile_link:
            user["profile_link"] = profile_link
        data = await self._post(f"/v2/origin/custom/{self._scope()}/chats",
                                {"conversation_id": conversation_id, "user": user})
        chat_id = (data or {}).get("id")
        if not chat_id:
            raise AmoError("create chat answered without id")
        return chat_id

    async def send_message(self, *, conversation_id: str, msgid: str, sender: Dict[str, Any],
                           text: str, receiver: Optional[Dict[str, Any]] = None,
                           timestamp: Timestamp = None, silent: bool = True) -> SentMessage:
        epoch = _epoch(timestamp)
        payload: Dict[str, Any] = {
            "timestamp": int(epoch),
            "msec_timestamp": int(round(epoch * 1000)),
            "msgid": msgid,
            "conversation_id": conversation_id,
            "sender": sender,
            "message": {"type": "text", "text": text},
            "silent": silent,
        }
        if receiver is not None:
            payload["receiver"] = receiver
        data = await self._post(f"/v2/origin/custom/{self._scope()}",
                                {"event_type": "new_message", "payload": payload})
        new = (data or {}).get("new_message") or {}
        return SentMessage(chat_id=new.get("conversation_id", ""),
                           amojo_msgid=new.get("msgid", ""), ref_id=new.get("ref_id", msgid))

    async def send_client_message(self, *, conversation_id: str, msgid: str, user_id: str,
                                  name: str, text: str, timestamp: Timestamp = None,
                                  phone: Optional[str] = None,
                                  profile_link: Optional[str] = None) -> SentMessage:
        """The client's own message: the client is the sender, there is no receiver."""
        sender: Dict[str, Any] = {"id": user_id, "name": name}
        if phone:
            sender["profile"] = {"phone": phone}
        if profile_link:
            sender["profile_link"] = profile_link
        return await self.send_message(conversation_id=conversation_id, msgid=msgid,
                                       sender=sender, text=text, timestamp=timestamp)

    async def import_bot_message(self, *, conversation_id: str, msgid: str, user_id: str,
                                 name: str, text: str,
                                 timestamp: Timestamp = None) -> SentMessage:
        """A bot reply, imported so managers see it as the bot's, addressed to the client."""
        s = self.settings
        if not (s.bot_client_id and s.bot_id):
            raise AmoConfigError("AMOCRM_BOT_CLIENT_ID and AMOCRM_BOT_ID are required")
        sender = {"id": s.bot_client_id, "name": s.bot_name, "ref_id": s.bot_id}
        receiver = {"id": user_id, "name": name}
        return await self.send_message(conversation_id=conversation_id, msgid=msgid,
                                       sender=sender, receiver=receiver, text=text,
                                       timestamp=timestamp)


def _result(resp: HttpResponse) -> Any:
    if 200 <= resp.status < 300:
        return resp.json()
    if resp.status == 403:
        raise AmoRejected("amojo refused the signature (check AMOCRM_CHANNEL_SECRET and clock)",
                          method=resp.method, path=resp.path, status=403, body=resp.body)
    cls = AmoRejected if 400 <= resp.status < 500 else AmoError
    raise cls("amojo refused the request", method=resp.method, path=resp.path,
              status=resp.status, body=resp.body)
