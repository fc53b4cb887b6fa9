"""A lead's way to amoCRM: the hand-over through the outbox, reported back to the lead book by
our request id; an amoCRM down for a minute gets it once, in order, when it returns."""

from __future__ import annotations

import asyncio

from tests.unit.crm_fixtures import amo, settings, store  # noqa: F401  (fixtures)
from tests.unit.test_crm_relay import Clock, Events, drain, make_relay
from wewall.leads.book import AMOCRM, DONE, PENDING, get_book


def keep(ref):
    return get_book().add({"ref": ref, "kind": "viewing", "sender_id": "u1", "channel": "telegram",
                           "phone": "+79161234567", "summary": "Сводка для менеджера"}, [AMOCRM])


def amocrm_row(lead_id):
    (d,) = get_book().get(lead_id)["deliveries"]
    return d


def test_the_relay_reports_the_handover_with_amocrms_ids(amo, settings, store):
    lead = keep("req-1")
    ev = Events(store)
    ev.user("u1", "хочу посмотреть")
    ev.command("u1", "handover", summary="Сводка для менеджера", lead_ref="req-1")

    async def go():
        relay = make_relay(store, settings)
        await drain(relay)
        await relay.close()

    asyncio.run(go())
    (amo_lead_id,) = amo.leads
    (contact_id,) = amo.contacts
    d = amocrm_row(lead["id"])
    assert d["status"] == DONE
    assert (d["external"]["lead_id"], d["external"]["contact_id"]) == (amo_lead_id, contact_id)
    assert [n["text"] for n in amo.notes(amo_lead_id)] == ["Сводка для менеджера"]


def test_amocrm_down_for_a_minute_gets_the_lead_once_in_order(amo, settings, store):
    lead = keep("req-2")
    ev = Events(store)
    ev.user("u1", "хочу посмотреть")
    ev.bot("u1", "Как к вам обращаться?")
    ev.user("u1", "Анна")
    ev.command("u1", "handover", summary="Сводка для менеджера", lead_ref="req-2")
    ev.bot("u1", "Передаю ваш запрос менеджеру WEWALL")
    clock = Clock()

    async def go():
        relay = make_relay(store, settings, clock=clock)
        amo.fail("503")  # until healed
        start = clock.now
        while clock.now - start < 60:  # a minute of an amoCRM that answers 503
            await relay.run_once()
            clock.now += 5
        assert amocrm_row(lead["id"])["status"] == PENDING
        assert amo.leads == {} and amo.messages("u1") == []
        amo.heal()
        clock.now += 120
        await drain(relay)
        await relay.close()

    asyncio.run(go())
    assert amocrm_row(lead["id"])["status"] == DONE
    assert len(amo.contacts) == 1 and len(amo.leads) == 1
    (amo_lead_id,) = amo.leads
    assert [n["text"] for n in amo.notes(amo_lead_id)] == ["Сводка для менеджера"]
    assert amo.texts("u1") == ["хочу посмотреть", "Как к вам обращаться?", "Анна",
                               "Сводка для менеджера", "Передаю ваш запрос менеджеру WEWALL"]


def test_the_handover_puts_the_phone_on_the_contact_and_a_returning_client_is_found(
        amo, settings, store):
    ev = Events(store)
    ev.user("web-1", "хочу посмотреть")  # an anonymous web client: no phone at first contact
    ev.command("web-1", "handover", summary="Сводка", phone="8 (916) 123-45-67")

    async def go():
        relay = make_relay(store, settings)
        await drain(relay)
        ev.command("web-1", "handover", summary="Сводка 2", phone="+79161234567")  # known already
        await drain(relay)
        # the same person later in Telegram, sharing the phone: the same contact, a new lead
        ev.user("tg-77", "снова здравствуйте", metadata={"telegram": {"first_name": "Анна",
                                                                        "phone": "+79161234567"}})
        await drain(relay)
        await relay.close()

    asyncio.run(go())
    (contact,) = amo.contacts.values()
    phones = [v["value"] for f in contact["custom_fields_values"] if f.get("field_code") == "PHONE"
              for v in f["values"]]
    assert phones == ["+79161234567"]
    assert len(amo.leads) == 2 and all(lead["contact_ids"] == [contact["id"]]
                                       for lead in amo.leads.values())
    assert store.conversation("tg-77")["contact_id"] == contact["id"]
