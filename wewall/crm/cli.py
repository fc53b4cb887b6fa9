"""`wewall amocrm …` (operator commands) and `wewall worker`; wired into wewall/cli.py."""

from __future__ import annotations

import asyncio
import logging
import sys
from typing import Any, Callable, Dict, List

OK, BAD, WARN = "✓", "✗", "!"


def add_parsers(sub) -> None:
    amo = sub.add_parser("amocrm", help="amoCRM: подключение канала, воронки, проверка, очередь")
    asub = amo.add_subparsers(dest="amocrm_cmd", required=True)
    asub.add_parser("connect", help="подключить канал чатов к аккаунту и напечатать scope_id")
    asub.add_parser("pipelines", help="воронки и статусы с их id (для AMOCRM_*_ID)")
    asub.add_parser("check", help="проверить настройки, доступ и id воронок")
    asub.add_parser("status", help="очередь сообщений в amoCRM: сколько ждёт, сколько не принято")
    rf = asub.add_parser("retry-failed", help="вернуть в очередь сообщения, отклонённые amoCRM")
    rf.add_argument("--sender", default=None, help="только этого диалога (sender_id)")

    worker = sub.add_parser("worker", help="фоновые задачи: доставка в amoCRM, обновление токена, очистка")
    worker.add_argument("--once", action="store_true", help="доставить всё, что можно, и выйти")


def _setup_logging() -> None:
    from wewall.settings import get_settings

    level = get_settings().log_level.upper()
    logging.getLogger().setLevel(getattr(logging, level, logging.INFO))
    try:
        from wewall import logs

        logs.install()
    except Exception:  # logging niceties must never stop the worker
        pass


def run(args) -> int:
    if args.cmd == "worker":
        _setup_logging()
        from wewall.worker import main as worker_main

        return worker_main(once=args.once)
    commands: Dict[str, Callable[[Any], int]] = {
        "connect": cmd_connect, "pipelines": cmd_pipelines, "check": cmd_check,
        "status": cmd_status, "retry-failed": cmd_retry_failed,
    }
    return commands[args.amocrm_cmd](args)


def _settings():
    from wewall.crm.config import get_crm_settings

    return get_crm_settings()


def _api(s, **kwargs):
    """The REST client with the worker's token store: a refresh here must not strand it."""
    from wewall.crm.relay import shared_api
    from wewall.crm.store import CrmStore
    from wewall.sql import outbox_url

    return shared_api(CrmStore(outbox_url()), s, **kwargs)


def _explain(exc: BaseException) -> str:
    from wewall.crm.errors import AmoAuthError, AmoConfigError, AmoRejected, AmoUnavailable

    if isinstance(exc, AmoAuthError):
        return f"amoCRM отклонил токен: проверьте AMOCRM_TOKEN или OAuth-настройки ({exc})"
    if isinstance(exc, AmoConfigError):
        return f"не хватает настроек: {exc}"
    if isinstance(exc, AmoUnavailable):
        return f"amoCRM недоступен (сеть, 5xx или 429), попробуйте позже ({exc})"
    if isinstance(exc, AmoRejected) and exc.status == 403:
        return "amoCRM отклонил подпись: проверьте AMOCRM_CHANNEL_SECRET и часы сервера"
    if isinstance(exc, AmoRejected):
        return f"amoCRM отклонил запрос: {exc}"
    return f"{type(exc).__name__}: {exc}"


def _run(coro_fn) -> int:
    try:
        return asyncio.run(coro_fn())
    except KeyboardInterrupt:
        return 130


def cmd_connect(args) -> int:
    s = _settings()
    if not (s.rest_configured and s.chats_configured):
        print("Ошибка: не заданы: " + "; ".join(s.missing()), file=sys.stderr)
        return 2

    async def go() -> int:
        from wewall.crm.chats import AmoChats
        from wewall.crm.errors import AmoError

        async with _api(s) as api, AmoChats(s) as chats:
            try:
                amojo_id = await api.account_amojo_id()
                scope_id = await chats.connect(amojo_id)
            except AmoError as exc:
                print(f"Ошибка: {_explain(exc)}", file=sys.stderr)
                return 1
        print(scope_id)
        print(f"Канал «{s.channel_title}» подключён к аккаунту {amojo_id}.", file=sys.stderr)
        if s.scope_id != scope_id:
            print(f"Добавьте в окружение: AMOCRM_SCOPE_ID={scope_id}", file=sys.stderr)
        print("Адрес вебхука канала: https://<ваш-хост>/webhooks/amocrm/webhook", file=sys.stderr)
        return 0

    return _run(go)


def _configured_ids(s) -> Dict[int, List[str]]:
    names = {
        "AMOCRM_MAIN_PIPELINE_ID": s.main_pipeline_id,
        "AMOCRM_APPEAL_PIPELINE_ID": s.appeal_pipeline_id,
        "AMOCRM_STATUS_CHAT_WITH_BOT_ID": s.status_chat_with_bot_id,
        "AMOCRM_STATUS_HIGH_ENGAGEMENT_ID": s.status_high_engagement_id,
        "AMOCRM_STATUS_ACTIVE_USER_ID": s.status_active_user_id,
        "AMOCRM_STATUS_CHAT_WITH_MANAGER_ID": s.status_chat_with_manager_id,
    }
    out: Dict[int, List[str]] = {}
    for name, value in names.items():
        if value:
            out.setdefault(int(value), []).append(name)
    return out


def cmd_pipelines(args) -> int:
    s = _settings()
    if not s.rest_configured:
        print("Ошибка: не задан доступ к REST API: " + "; ".join(s.missing()), file=sys.stderr)
        return 2

    async def go() -> int:
        from wewall.crm.errors import AmoError

        async with _api(s) as api:
            try:
                pipelines = await api.pipelines()
            except AmoError as exc:
                print(f"Ошибка: {_explain(exc)}", file=sys.stderr)
                return 1
        used = _configured_ids(s)
        for p in pipelines:
            mark = " (главная)" if p.get("is_main") else ""
            names = ", ".join(used.get(int(p["id"]), []))
            print(f"воронка {p['id']}  «{p.get('name', '')}»{mark}" + (f"  ← {names}" if names else ""))
            for st in ((p.get("_embedded") or {}).get("statuses") or []):
                names = ", ".join(n for n in used.get(int(st["id"]), []) if "STATUS" in n)
                print(f"    статус {st['id']}  «{st.get('name', '')}»" + (f"  ← {names}" if names else ""))
        return 0

    return _run(go)


def cmd_check(args) -> int:
    s = _settings()
    problems = 0

    def line(mark: str, text: str) -> None:
        nonlocal problems
        if mark == BAD:
            problems += 1
        print(f"{mark} {text}")

    if s.enabled:
        line(OK, "настройки amoCRM заданы: зеркалирование включено")
    else:
        line(BAD, "amoCRM выключен, не заданы: " + "; ".join(s.missing()))
    for name, value in (("AMOCRM_BOT_ID", s.bot_id), ("AMOCRM_BOT_CLIENT_ID", s.bot_client_id),
                        ("AMOCRM_SCOPE_ID", s.scope_id)):
        if not value:
            line(BAD, f"{name} не задан" + (" (его печатает `wewall amocrm connect`)"
                                             if name == "AMOCRM_SCOPE_ID" else ""))
    try:
        from wewall.crm.store import CrmStore
        from wewall.sql import outbox_url

        store = CrmStore(outbox_url())
        stats = store.stats()
        line(OK, f"очередь (WEWALL_OUTBOX_URL) доступна: ждут {stats['outbox'].get('pending', 0)}, "
                 f"не приняты {stats['outbox'].get('failed', 0)}")
        store.dispose()
    except Exception as exc:
        line(BAD, f"очередь недоступна (WEWALL_OUTBOX_URL): {exc}")
    if not s.rest_configured:
        print(f"\nПроблем: {problems}.")
        return 1

    async def remote() -> None:
        from wewall.crm.errors import AmoError
        from wewall.crm.transport import RetryPolicy

        async with _api(s, retry=RetryPolicy(attempts=1)) as api:
            try:
                amojo_id = await api.account_amojo_id()
                line(OK, f"REST API {s.api_base_url} отвечает, токен принят (amojo_id {amojo_id})")
            except AmoError as exc:
                line(BAD, f"REST API {s.api_base_url}: {_explain(exc)}")
                return
            expected = f"{s.channel_id}_{amojo_id}" if s.channel_id else None
            if s.scope_id and expected and s.scope_id != expected:
                line(BAD, f"AMOCRM_SCOPE_ID не совпадает с каналом и аккаунтом (ожидается {expected})")
            elif s.scope_id:
                line(OK, "AMOCRM_SCOPE_ID соответствует каналу и аккаунту")
            try:
                pipelines = await api.pipelines()
            except AmoError as exc:
                line(BAD, f"воронки не читаются: {_explain(exc)}")
                return
        statuses = {int(p["id"]): {int(st["id"]) for st in (p.get("_embedded") or {}).get("statuses") or []}
                    for p in pipelines}
        for name, pipeline, ids in (
            ("основная воронка", s.main_pipeline_id,
             {"AMOCRM_STATUS_CHAT_WITH_BOT_ID": s.status_chat_with_bot_id,
              "AMOCRM_STATUS_HIGH_ENGAGEMENT_ID": s.status_high_engagement_id,
              "AMOCRM_STATUS_ACTIVE_USER_ID": s.status_active_user_id}),
            ("воронка обращений", s.appeal_pipeline_id,
             {"AMOCRM_STATUS_CHAT_WITH_MANAGER_ID": s.status_chat_with_manager_id}),
        ):
            if not pipeline:
                line(WARN, f"{name}: id не задан (см. `wewall amocrm pipelines`)")
                continue
            if pipeline not in statuses:
                line(BAD, f"{name}: воронки {pipeline} нет в аккаунте")
                continue
            line(OK, f"{name} {pipeline} есть")
            for var, status in ids.items():
                if not status:
                    line(WARN, f"{var} не задан: этот переход сделки выполняться не будет")
                elif status not in statuses[pipeline]:
                    line(BAD, f"{var}={status}: такого статуса нет в воронке {pipeline}")

    async def chats_reachable() -> None:
        import aiohttp

        try:
            async with aiohttp.ClientSession(timeout=aiohttp.ClientTimeout(total=10)) as session:
                async with session.get(s.chats_base_url) as resp:
                    line(OK, f"Chats API {s.chats_base_url} доступен по сети (HTTP {resp.status})")
        except Exception as exc:
            line(BAD, f"Chats API {s.chats_base_url} недоступен: {type(exc).__name__}")

    async def both() -> int:
        await remote()
        if s.chats_configured:
            await chats_reachable()
        return 0

    _run(both)
    print("\nВсё в порядке." if not problems else f"\nПроблем: {problems}.")
    return 0 if not problems else 1


def cmd_status(args) -> int:
    from wewall.crm.store import CrmStore
    from wewall.sql import outbox_url

    store = CrmStore(outbox_url())
    st = store.stats()
    o, i = st["outbox"], st["inbox"]
    print(f"исходящие в amoCRM: ждут {o.get('pending', 0)}, доставлены {o.get('done', 0)}, "
          f"не приняты {o.get('failed', 0)}, пропущены {o.get('skipped', 0)}")
    if st["oldest_pending_age"] is not None:
        print(f"самое старое ждёт {st['oldest_pending_age']:.0f} с")
    print(f"диалогов: {st['conversations']}, из них ждут повтора: {st['backing_off']}")
    print(f"вебхуки amoCRM: ждут {i.get('pending', 0) + i.get('processing', 0)}, "
          f"обработаны {i.get('done', 0)}, пропущены {i.get('skipped', 0)}, с ошибкой {i.get('failed', 0)}")
    for row in store.rows(status="failed")[:20]:
        print(f"  не принято: #{row['id']} {row['sender_id']} {row['kind']}: {(row['last_error'] or '')[:200]}")
    store.dispose()
    return 0


def cmd_retry_failed(args) -> int:
    from wewall.crm.store import CrmStore
    from wewall.sql import outbox_url

    store = CrmStore(outbox_url())
    n = store.requeue_failed(args.sender)
    print(f"возвращено в очередь: {n}")
    store.dispose()
    return 0
