"""Which single relaxation of the criteria would find offers, computed on the data.

Each criterion the client set is relaxed alone, step by step (budget +10/20/30/50 %, area
−10/20/30 %, metro distance ×1.5/×2, zone widened, class/finish/readiness to «any», minimum
IRR −1/−2/−3 pp), and the offers are counted. Per criterion the mildest step that reaches the
target (at least 3 offers, and more than found now) is kept, or the step finding the most when
none does; the advice is these, the most offers first. A sentence in Russian goes with each:
«Если поднять бюджет на 20 %, найдётся 6 вариантов».
"""

from __future__ import annotations

from dataclasses import dataclass
from typing import Callable, List, Optional, Tuple

from wewall.geo import WALK_M_PER_MIN
from wewall.search.criteria import Criteria
from wewall.search.places import place_phrase
from wewall.text import count as count_words
from wewall.text import num

BUDGET_STEPS = (10, 20, 30, 50)  # % up
AREA_STEPS = (10, 20, 30)  # % down
METRO_FACTORS = (1.5, 2.0)
IRR_STEPS = (1, 2, 3)  # percentage points down
ENOUGH = 3
TOP = 3

NOTHING_TEXT = (
    "Даже если ослабить одно из условий, подходящих вариантов не найдётся: "
    "попробуйте изменить несколько параметров или оставьте заявку менеджеру."
)
CLASS_NAMES = {"A": "A", "B": "B"}


def found_text(n: int) -> str:
    return f"найдётся {count_words(n, 'вариант')}"


@dataclass(frozen=True)
class Relaxation:
    criterion: str  # budget | area | metro | zone | class | finish | readiness | irr
    step: str  # "+20 %", "−10 %", "×1.5", "mkad", "any", "−1 pp"
    severity: int  # 1 = the mildest step of its criterion
    phrase: str  # «поднять бюджет на 20 %»
    criteria: Criteria
    count: int = 0

    @property
    def text(self) -> str:
        return f"Если {self.phrase}, {found_text(self.count)}."

    def to_dict(self) -> dict:
        return {
            "criterion": self.criterion, "step": self.step, "count": self.count, "text": self.text,
            "criteria": self.criteria.to_dict(),
        }


def _metro_phrase(c: Criteria, factor: float) -> Tuple[Criteria, str]:
    changes, parts = {}, []
    if c.max_metro_minutes is not None:
        changes["max_metro_minutes"] = round(c.max_metro_minutes * factor, 6)
        parts.append(f"до {num(changes['max_metro_minutes'], 0)} мин пешком")
    if c.max_metro_m is not None:
        changes["max_metro_m"] = round(c.max_metro_m * factor, 6)
        parts.append(f"до {num(changes['max_metro_m'], 0)} м")
    return c.replace(**changes), f"согласиться на дорогу от метро {' и '.join(parts)}"


def candidates(c: Criteria) -> List[Relaxation]:
    """Every single-criterion relaxation that applies to `c`, mildest first per criterion."""
    out: List[Relaxation] = []
    if c.budget_rub is not None:
        for i, pct in enumerate(BUDGET_STEPS, 1):
            out.append(Relaxation("budget", f"+{pct} %", i, f"поднять бюджет на {pct} %", c.replace(budget_rub=round(c.budget_rub * (1 + pct / 100), 6))))
    if c.min_area_m2 is not None:
        for i, pct in enumerate(AREA_STEPS, 1):
            area = round(c.min_area_m2 * (1 - pct / 100), 6)
            out.append(Relaxation("area", f"−{pct} %", i, f"уменьшить площадь на {pct} % (от {num(area)} м²)", c.replace(min_area_m2=area)))
    if c.max_area_m2 is not None:
        out.append(Relaxation("max_area", "any", 1, f"рассмотреть и площади больше {num(c.max_area_m2)} м²", c.replace(max_area_m2=None)))
    if c.max_price_per_m2 is not None:
        for i, pct in enumerate(BUDGET_STEPS, 1):
            ppm = round(c.max_price_per_m2 * (1 + pct / 100), 6)
            out.append(Relaxation("ppm", f"+{pct} %", i, f"поднять цену за м² до {num(ppm, 0)} ₽",
                                  c.replace(max_price_per_m2=ppm)))
    if c.min_budget_rub is not None:
        out.append(Relaxation("min_budget", "any", 1, "рассмотреть и варианты дешевле", c.replace(min_budget_rub=None)))
    if c.stations:
        names = " или ".join(_genitive_station(s) for s in c.stations)
        limit = c.station_limit_m
        assert limit is not None  # set whenever stations are named
        for i, factor in enumerate(METRO_FACTORS, 1):
            metres = round(limit * factor, 6)
            out.append(Relaxation("station", f"×{num(factor)}", i, f"искать до {num(metres / WALK_M_PER_MIN, 0)} мин пешком от {names}",
                                  c.replace(max_metro_minutes=None, max_metro_m=metres)))
        out.append(Relaxation("station", "any", len(METRO_FACTORS) + 1, f"искать не только у {names}",
                              c.replace(stations=(), max_metro_minutes=None, max_metro_m=None)))
    elif c.max_metro_minutes is not None or c.max_metro_m is not None:
        for i, factor in enumerate(METRO_FACTORS, 1):
            relaxed, phrase = _metro_phrase(c, factor)
            out.append(Relaxation("metro", f"×{num(factor)}", i, phrase, relaxed))
    if c.districts:
        out.append(Relaxation("district", "any", 1, f"искать не только в районе {', '.join(c.districts)}", c.replace(districts=())))
    if c.places:
        out.append(Relaxation("place", "any", 1, f"искать не только: {place_phrase(c.places)}", c.replace(places=())))
    if c.zone == "sadovoe":
        out.append(Relaxation("zone", "ttk", 1, "искать в пределах ТТК, а не только внутри Садового кольца", c.replace(zone="ttk")))
        out.append(Relaxation("zone", "mkad", 2, "искать в пределах МКАД", c.replace(zone="mkad")))
    elif c.zone == "ttk":
        out.append(Relaxation("zone", "mkad", 1, "искать в пределах МКАД, а не только внутри ТТК", c.replace(zone="mkad")))
        out.append(Relaxation("zone", "any", 2, "искать по всей Москве", c.replace(zone="any")))
    elif c.zone == "mkad":
        out.append(Relaxation("zone", "any", 1, "искать и за МКАД", c.replace(zone="any")))
    if c.estate_class != "any":
        out.append(Relaxation("class", "any", 1, f"рассмотреть здания любого класса, не только {CLASS_NAMES[c.estate_class]}", c.replace(estate_class="any")))
    if c.finish != "any":
        out.append(Relaxation("finish", "any", 1, "рассмотреть помещения без отделки", c.replace(finish="any")))
    if c.readiness == "now":
        out.append(Relaxation("readiness", "any", 1, "рассмотреть и помещения, которые будут готовы позже", c.replace(readiness="any")))
    elif c.readiness != "any":
        out.append(Relaxation("readiness", "any", 1, "рассмотреть и строящиеся здания", c.replace(readiness="any")))
    if c.max_floor is not None:
        out.append(Relaxation("floor", "any", 1, f"рассмотреть и этажи выше {num(c.max_floor, 0)}-го", c.replace(max_floor=None)))
    if c.irr_limit is not None:
        for i, pp in enumerate(IRR_STEPS, 1):
            irr = round(c.irr_limit - pp, 6)
            out.append(Relaxation("irr", f"−{pp} pp", i, f"снизить минимальную доходность до {num(irr)} %", c.replace(min_irr=irr)))
    return out


def advise(
    c: Criteria, count: Callable[[Criteria], int], found: int = 0, enough: int = ENOUGH, top: int = TOP
) -> List[Relaxation]:
    """The best single relaxations (at most `top`), most offers first; empty when none helps.

    `count(criteria)` counts offers; `found` is how many the criteria already find.
    """
    target = max(enough, found + 1)
    by_criterion: dict = {}
    for r in candidates(c):
        by_criterion.setdefault(r.criterion, []).append(_with_count(r, count(r.criteria)))
    chosen = []
    for steps in by_criterion.values():
        reaching = [r for r in steps if r.count >= target]
        if reaching:
            chosen.append(reaching[0])
            continue
        best = max(steps, key=lambda r: (r.count, -r.severity))
        if best.count > found:
            chosen.append(best)
    chosen.sort(key=lambda r: (-r.count, r.severity, r.criterion))
    return chosen[:top]



TYPE_PLURAL = {"office": "Офисов", "retail": "Торговых помещений", "any": "Помещений"}
DEAL_GOAL = {"sale": "на продажу", "rent": "в аренду"}


def missing_text(c: Criteria) -> str:
    """The base holds nothing of this deal and type: say so, do not suggest what it lacks."""
    other = "аренду" if c.deal == "sale" else "покупку"
    return (f"{TYPE_PLURAL[c.type]} {DEAL_GOAL[c.deal]} в базе сейчас нет. Могу поискать {other} "
            "или передать запрос менеджеру — он подберёт варианты вне базы.")


def switch_deal(c: Criteria) -> Relaxation:
    """The other deal, without the sums and goals that belong to this one."""
    other = "rent" if c.deal == "sale" else "sale"
    relaxed = c.replace(deal=other, budget_rub=None, min_budget_rub=None, max_price_per_m2=None, purpose=None, min_irr=None,
                        readiness="now" if other == "rent" else "any")
    phrase = "посмотреть аренду" if other == "rent" else "посмотреть покупку"
    return Relaxation("deal", other, 1, phrase, relaxed)


def _genitive_station(name: str) -> str:
    """«Белорусской», «Парка культуры» when pymorphy2 can decline the head, else the name."""
    from wewall.nlu.morph import analyzer

    words = name.split()
    if not words:
        return name
    parse = analyzer().parse(words[0])[0]
    form = parse.inflect({"gent"})
    if form is None or parse.tag.POS not in ("NOUN", "ADJF") or words[0].isupper():
        return name
    head = form.word
    head = head[:1].upper() + head[1:] if words[0][:1].isupper() else head
    return " ".join([head] + words[1:])


def _with_count(r: Relaxation, n: int) -> Relaxation:
    return Relaxation(r.criterion, r.step, r.severity, r.phrase, r.criteria, n)


def advice_text(relaxations: List[Relaxation], found: int = 0) -> Optional[str]:
    """The sentence for the client: the best relaxation, or that none helps."""
    if relaxations:
        return relaxations[0].text
    return NOTHING_TEXT if found == 0 else None
