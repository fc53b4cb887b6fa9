"""`wewall worker` job `lead-delivery`: new leads to the managers' Telegram chat and e-mail.

Each delivery is leased (two workers never send the same one at once), sent once, and
marked done; a failure is retried with exponential backoff (capped, Retry-After honoured),
never dropped. amoCRM's deliveries are not sent here: the hand-over goes through the
outbox as before and the relay marks the lead's amoCRM row (wewall/crm/relay.py).

A crash between a destination's answer and our commit repeats that one message on the
next run (a Telegram message or a letter twice): a duplicate notice, never a lost lead.
"""

from __future__ import annotations

import logging
import random
import time
from collections import Counter
from typing import List, Optional

from wewall.jobs import Job
from wewall.leads import destinations as dest
from wewall.leads.book import EMAIL, TELEGRAM, LeadBook, get_book
from wewall.leads.config import LeadSettings, get_lead_settings

log = logging.getLogger(__name__)


class LeadDeliveryJob(Job):
    name = "lead-delivery"

    def __init__(self, book: LeadBook, settings: LeadSettings):
        self.book = book
        self.settings = settings
        self.interval = settings.poll_seconds
        self.counts: Counter = Counter()

    @property
    def active(self) -> List[str]:
        out = []
        if self.settings.telegram_enabled:
            out.append(TELEGRAM)
        if self.settings.email_enabled:
            out.append(EMAIL)
        return out

    def backoff(self, attempts: int, retry_after: Optional[float] = None) -> float:
        s = self.settings
        base = min(s.retry_max_seconds, s.retry_seconds * 2 ** max(0, attempts - 1))
        return max(base * (0.75 + 0.5 * random.random()), retry_after or 0.0)

    async def run_once(self) -> bool:
        """Send what is due; True when something was attempted."""
        if not self.active:
            return False
        claimed = await self.book.run(self.book.claim_deliveries, self.active)
        for delivery in claimed:
            await self._deliver(delivery)
        return bool(claimed)

    async def _deliver(self, delivery) -> None:
        lead = await self.book.run(self.book.get, delivery["lead_id"])
        if lead is None:
            return
        try:
            if delivery["destination"] == TELEGRAM:
                external = await dest.send_telegram(self.settings, lead)
            else:
                external = await dest.send_email(self.settings, lead)
        except dest.DeliveryError as exc:
            attempts = int(delivery.get("attempts") or 0) + 1
            refused = isinstance(exc, dest.Refused)
            # A refusal is configuration (a wrong chat id or password): retried at the cap,
            # so fixing the configuration delivers the lead without anyone re-queuing it.
            delay = (self.settings.retry_max_seconds if refused
                     else self.backoff(attempts, getattr(exc, "retry_after", None)))
            await self.book.run(self.book.delivery_failed, delivery["id"], str(exc),
                                time.time() + delay)
            self.counts[f"{delivery['destination']}:failed"] += 1
            (log.error if refused else log.warning)(
                "leads: lead %s to %s failed (attempt %d), again in %.0fs: %s",
                lead["id"], delivery["destination"], attempts, delay, exc)
            return
        await self.book.run(self.book.delivered, delivery["id"], external)
        self.counts[f"{delivery['destination']}:done"] += 1
        log.info("leads: lead %s delivered to %s", lead["id"], delivery["destination"])


def job_factory(ctx=None) -> Optional[LeadDeliveryJob]:
    settings = get_lead_settings()
    if not (settings.telegram_enabled or settings.email_enabled):
        log.warning("заявки: менеджерский чат Telegram и почта не настроены "
                    "(WEWALL_LEADS_TELEGRAM_CHAT_ID, WEWALL_LEADS_SMTP_HOST/WEWALL_LEADS_EMAIL_TO): "
                    "заявки видны в `wewall leads list`")
        return None
    return LeadDeliveryJob(get_book(), settings)
