"""Stage: example. A seeded generator of a realistic, entirely fictional example council.

Castlemere District Council is an English district council that is also a social landlord. Its
headline figures copy the ones in seed 003 (a real district council's customer services annual
report), so the example site says what that report says, but every record here is invented.

How the seed figures are counted (the way a resident would count them):

- "Complaints received" counts complaint records at **every stage**, by the ``received`` date, in
  the financial year (April to March). So the 344 complaints of 2022/23 are stage 1 complaints plus
  the stage 2 escalations received in that year (about one in eight of them are stage 2).
  2021/22 has 276 and 2023/24 has 227 up to data_as_of (2023-12-31, the end of Q3).
- "About half upheld" is the share of complaints received in 2023/24 that were decided (upheld,
  partly upheld or not upheld) whose outcome is upheld.
- Compliments are counted by received date; contacts and calls by month.
- Ombudsman decisions are counted by decided date; "escalated to the ombudsman" by received date.

``scale`` makes a bigger council for benchmarks: S multiplies complaints, compliments, ombudsman
cases, contacts, calls, residents and homes by S and the number of services by about sqrt(S), and
S > 1 covers ten financial years (2014/15 to 2023/24). S = 1 keeps the five years 2019/20 to
2023/24 and the exact seed figures.

Everything comes from ``random.Random`` streams derived from the seed (one per table, so that
changing one table's recipe does not reshuffle the others): the same seed gives byte-identical
files. No date comes from the clock.
"""

from __future__ import annotations

import csv
import datetime as dt
import io
import math
import random
from bisect import bisect_right
from itertools import accumulate
from pathlib import Path

import holidays
import yaml

from . import periods, schema

AS_OF = dt.date(2023, 12, 31)
LAST_FY = 2023  # 2023/24, the year to date at AS_OF

# Complaint records received (all stages) per financial year at scale 1. 2021/22, 2022/23 and the
# 2023/24 year to date are seed 003's figures; the earlier years are plausible (a Covid dip in 2020/21).
RECEIVED = {2014: 198, 2015: 214, 2016: 231, 2017: 240, 2018: 262, 2019: 251, 2020: 229, 2021: 276, 2022: 344, 2023: 227}
# Share of each year's records that are stage 2 escalations.
STAGE2_SHARE = 0.12
COMPLIMENTS = {2014: 128, 2015: 135, 2016: 149, 2017: 150, 2018: 158, 2019: 163, 2020: 171, 2021: 182, 2022: 202, 2023: 175}
CONTACTS_2022 = 112_820  # seed 003: customer interactions in 2022/23
AHT_2022 = 348  # seed 003: 5 minutes 48 seconds average call handling in 2022/23
HOMES = {2014: 4462, 2015: 4441, 2016: 4430, 2017: 4412, 2018: 4398, 2019: 4380, 2020: 4352, 2021: 4331, 2022: 4315, 2023: 4302}
RESIDENTS = 97_200

# --------------------------------------------------------------------------------------------
# Services. weight = share of complaints, praise = share of compliments, cats = category profile,
# refuse = reasons the service most often cannot accept a complaint.
# --------------------------------------------------------------------------------------------
_GENERAL = {"quality_of_service": 26, "delay": 20, "communication": 20, "staff_conduct": 9, "policy_or_decision": 18, "other": 7}
_DECISIONS = {"quality_of_service": 14, "delay": 22, "communication": 20, "staff_conduct": 6, "policy_or_decision": 32, "other": 6}
_REPAIRS = {"repairs": 52, "delay": 16, "communication": 14, "quality_of_service": 10, "staff_conduct": 5, "other": 3}
_HOUSING = {"quality_of_service": 22, "communication": 24, "delay": 14, "staff_conduct": 10, "policy_or_decision": 18, "repairs": 6, "other": 6}

BASE_SERVICES = [
    # id, name, directorate, landlord, weight, praise, cats, refuse
    ("council-tax", "Council Tax", "Resources", False, 12, 7, _DECISIONS, ("other_route_of_appeal", "already_decided", "service_request")),
    ("benefits", "Housing Benefit and Council Tax Reduction", "Resources", False, 6, 6, _DECISIONS, ("other_route_of_appeal", "statutory_process")),
    ("business-rates", "Business Rates", "Resources", False, 1.5, 1.5, _DECISIONS, ("other_route_of_appeal", "already_decided")),
    ("customer-services", "Customer Services", "Resources", False, 5, 20, _GENERAL, ("service_request",)),
    ("planning", "Planning and Building Control", "Place", False, 9, 5, _DECISIONS, ("other_route_of_appeal", "already_decided", "older_than_12_months")),
    ("parking", "Car Parks", "Place", False, 4, 2, _DECISIONS, ("other_route_of_appeal", "service_request")),
    ("waste", "Waste and Recycling", "Communities", False, 16, 18, _GENERAL, ("service_request", "insurance_claim")),
    ("street-cleansing", "Street Cleansing and Grounds Maintenance", "Communities", False, 4, 6, _GENERAL, ("service_request", "insurance_claim")),
    ("environmental-health", "Environmental Health", "Communities", False, 4, 4, _GENERAL, ("service_request", "legal_proceedings")),
    ("licensing", "Licensing", "Communities", False, 1.5, 1.5, _DECISIONS, ("other_route_of_appeal", "statutory_process")),
    ("leisure", "Leisure Centres", "Communities", False, 2, 6, _GENERAL, ("service_request", "insurance_claim")),
    ("housing-choices", "Housing Choices and Homelessness", "Housing", False, 7, 5, _HOUSING, ("other_route_of_appeal", "statutory_process")),
    ("housing-repairs", "Housing Repairs", "Housing", True, 18, 12, _REPAIRS, ("service_request", "insurance_claim", "older_than_12_months")),
    ("tenancy-management", "Tenancy and Estate Management", "Housing", True, 7, 4, _HOUSING, ("service_request", "legal_proceedings")),
    ("housing-rents", "Rents and Service Charges", "Housing", True, 3, 1.5, _DECISIONS, ("legal_proceedings", "already_decided")),
]

# More services for a bigger council (scale > 1), then area teams of the base services.
EXTRA_SERVICES = [
    ("libraries", "Libraries", "Communities", False, _GENERAL),
    ("registrars", "Births, Deaths and Marriages", "Communities", False, _GENERAL),
    ("bereavement", "Bereavement Services", "Communities", False, _GENERAL),
    ("pest-control", "Pest Control", "Communities", False, _GENERAL),
    ("noise", "Noise and Nuisance", "Communities", False, _GENERAL),
    ("food-safety", "Food Safety", "Communities", False, _GENERAL),
    ("trading-standards", "Trading Standards", "Communities", False, _GENERAL),
    ("community-safety", "Community Safety", "Communities", False, _GENERAL),
    ("parks", "Parks and Open Spaces", "Communities", False, _GENERAL),
    ("markets", "Markets", "Place", False, _GENERAL),
    ("highways", "Highways and Pavements", "Place", False, _GENERAL),
    ("street-lighting", "Street Lighting", "Place", False, _GENERAL),
    ("building-control", "Building Control", "Place", False, _DECISIONS),
    ("planning-enforcement", "Planning Enforcement", "Place", False, _DECISIONS),
    ("economic-development", "Business Support", "Place", False, _GENERAL),
    ("electoral-services", "Electoral Services", "Resources", False, _DECISIONS),
    ("council-tax-recovery", "Council Tax Recovery", "Resources", False, _DECISIONS),
    ("payments", "Payments and Income", "Resources", False, _GENERAL),
    ("school-admissions", "School Admissions", "People", False, _DECISIONS),
    ("school-transport", "School Transport", "People", False, _DECISIONS),
    ("adult-social-care", "Adult Social Care", "People", False, _GENERAL),
    ("childrens-services", "Children's Services", "People", False, _GENERAL),
    ("disabled-facilities", "Disabled Facilities Grants", "Housing", False, _DECISIONS),
    ("private-sector-housing", "Private Sector Housing", "Housing", False, _GENERAL),
    ("gas-safety", "Gas Servicing", "Housing", True, _REPAIRS),
    ("empty-homes", "Empty Council Homes", "Housing", True, _HOUSING),
    ("sheltered-housing", "Sheltered Housing", "Housing", True, _HOUSING),
    ("leaseholder-services", "Leaseholder Services", "Housing", True, _DECISIONS),
    ("anti-social-behaviour", "Anti-social Behaviour on Council Estates", "Housing", True, _HOUSING),
    ("damp-and-mould", "Damp and Mould", "Housing", True, _REPAIRS),
]
AREAS = ("North", "South", "East", "West", "Central", "Riverside", "Hillside", "Castle", "Market", "Abbey")

CHANNELS = ("online_form", "email", "phone", "letter", "face_to_face", "social_media")
# Complaint channels: online forms grow, letters and phone fall.
_COMPLAINT_CHANNELS = {
    "early": (20, 36, 24, 10, 7, 3),
    "late": (40, 30, 16, 5, 6, 3),
}
_COMPLIMENT_CHANNELS = (18, 42, 15, 11, 10, 4)
_OFFLINE = {"phone", "letter", "face_to_face"}
# Month weights from April to March: a little busier after annual bills in April and in winter.
_MONTH_WEIGHT = (1.12, 1.0, 0.95, 1.0, 0.88, 0.97, 1.05, 1.02, 0.8, 1.12, 1.05, 1.08)
DECIDED = ("upheld", "partly_upheld", "not_upheld")
# Stage 1 outcome shares of decided complaints per year: the upheld share rises towards half.
_S1_OUTCOMES = {2019: (0.4, 0.22, 0.38), 2020: (0.41, 0.21, 0.38), 2021: (0.43, 0.2, 0.37), 2022: (0.46, 0.19, 0.35), 2023: (0.52, 0.17, 0.31)}
_S1_OUTCOMES_EARLY = (0.37, 0.22, 0.41)
_S2_OUTCOMES = (0.22, 0.25, 0.53)
# Share of stage 1 replies that are late, per year (worse in the Covid year).
_S1_LATE = {2014: 0.14, 2015: 0.13, 2016: 0.15, 2017: 0.13, 2018: 0.12, 2019: 0.13, 2020: 0.19, 2021: 0.12, 2022: 0.1, 2023: 0.08}
UPHELD_2023 = 0.5


def _ombudsman_per_year():
    """Ombudsman decisions per financial year at scale 1 (by decided date): (lgsco, hos)."""
    return {2014: (7, 2), 2015: (6, 3), 2016: (8, 2), 2017: (7, 3), 2018: (8, 3), 2019: (8, 4), 2020: (6, 3), 2021: (9, 5), 2022: (9, 6)}


# Seed 003 annex 1: the Housing Ombudsman's six decisions in 2022/23.
HOS_2022 = ("outside_jurisdiction", "outside_jurisdiction", "outside_jurisdiction", "referred_back", "maladministration", "no_maladministration")
LGSCO_OUTCOMES = {"closed_after_initial_enquiries": 35, "referred_back": 20, "upheld": 20, "not_upheld": 10, "incomplete_or_invalid": 8, "advice_given": 7}
HOS_OUTCOMES = {
    "outside_jurisdiction": 20, "referred_back": 15, "no_maladministration": 20, "service_failure": 12, "maladministration": 15,
    "partial_maladministration": 8, "reasonable_redress": 7, "severe_maladministration": 2, "withdrawn": 1,
}
_HOS_FAULT = {"severe_maladministration", "maladministration", "partial_maladministration", "service_failure"}
ESCALATED_2023 = (4, 3)  # seed 003: seven cases escalated to an ombudsman in 2023/24 to date (lgsco, hos)
CARRIED_INTO_2023 = (2, 2)  # received in 2022/23, decided in 2023/24


# ============================================================================================
# Public API
# ============================================================================================


def generate(seed: int = 2024, scale: float = 1) -> dict[str, str]:
    """The example council's datasets: file name (relative to datasets/) → exact file text."""
    if not scale > 0:
        raise ValueError("scale must be greater than 0")
    years = list(range(2014, LAST_FY + 1)) if scale > 1 else list(range(2019, LAST_FY + 1))
    council = _council(years, scale)
    closed = tuple(dt.date.fromisoformat(d) for d in council["non_working_days"])
    cal = periods.calendar("england", closed)
    services = _services(scale)
    complaints = _complaints(_rng(seed, "complaints"), years, scale, services, cal)
    compliments = _compliments(_rng(seed, "compliments"), years, scale, services, cal)
    cases = _ombudsman_cases(_rng(seed, "ombudsman"), years, scale, services, complaints, cal)
    contacts, calls = _contacts_and_calls(_rng(seed, "contacts"), years, scale)
    satisfaction = _satisfaction(_rng(seed, "satisfaction"), contacts, years)
    standards = _standards()
    results = _standard_results(_rng(seed, "standards"), years)
    improvements = _improvements(services)
    policy = _policy()
    self_assessment = _self_assessment(complaints, cases, cal)

    tables = {
        "services": [_service_row(s) for s in services],
        "complaints": _complaint_rows(complaints),
        "compliments": compliments,
        "ombudsman_cases": cases,
        "contacts": contacts,
        "calls": calls,
        "satisfaction": satisfaction,
        "standard_results": results,
        "improvements": improvements,
    }
    files = {"datapackage.yaml": package_yaml(council, list(tables))}
    for name, rows in tables.items():
        files[schema.resource(name)["path"]] = _csv(name, rows)
    files["council.yaml"] = _yaml(council)
    files["policy.yaml"] = _yaml(policy)
    files["standards.yaml"] = _yaml(standards)
    files["self_assessment.yaml"] = _yaml(self_assessment)
    files["releases.yaml"] = _yaml([])
    return files


def package_yaml(council: dict, present: list[str]) -> str:
    """datapackage.yaml for the resources present, assembled from the canonical schemas."""
    return _yaml(schema.build_package(council, present))


def write_example(out: Path, seed: int = 2024, scale: float = 1) -> list[Path]:
    """Write the example datasets into ``out`` (the datasets folder); return the files written.

    benchmarks.csv is never generated (it comes from an import of published data); if one is
    already in ``out`` it is kept and stays listed in datapackage.yaml.
    """
    out = Path(out)
    out.mkdir(parents=True, exist_ok=True)
    files = generate(seed, scale)
    if (out / schema.resource("benchmarks")["path"]).exists():
        council = yaml.safe_load(files["council.yaml"])
        present = [n for n in schema.RESOURCE_NAMES if n == "benchmarks" or schema.resource(n)["path"] in files]
        files["datapackage.yaml"] = package_yaml(council, present)
    written = []
    for name, text in files.items():
        path = out / name
        path.write_text(text, encoding="utf-8", newline="")
        written.append(path)
    return written


# ============================================================================================
# Helpers
# ============================================================================================


def _rng(seed: int, part: str) -> random.Random:
    # A string seed is hashed with SHA-512 by random.Random: stable across runs and machines.
    return random.Random(f"castlemere/{seed}/{part}")


def _n(base: float, scale: float) -> int:
    return max(0, round(base * scale))


def _fy_days(fy: int) -> list[dt.date]:
    start, end = dt.date(fy, 4, 1), min(dt.date(fy + 1, 3, 31), AS_OF)
    return [start + dt.timedelta(n) for n in range((end - start).days + 1)]


def _day_weights(days: list[dt.date], weekend: float) -> list[float]:
    return list(accumulate(_MONTH_WEIGHT[(d.month - 4) % 12] * (weekend if d.weekday() >= 5 else 1.0) for d in days))


def _pick_weighted(rng: random.Random, items: list, weights: list[float], k: int) -> list:
    """k distinct items, chosen with probability proportional to weight (Efraimidis–Spirakis)."""
    keyed = [(rng.random() ** (1.0 / w), i) for i, w in enumerate(weights) if w > 0]
    keyed.sort(reverse=True)
    if len(keyed) < k:
        raise ValueError(f"only {len(keyed)} candidates for {k} picks")
    return [items[i] for _, i in sorted(keyed[:k], key=lambda t: t[1])]


def _yaml(obj) -> str:
    return yaml.safe_dump(obj, sort_keys=False, allow_unicode=True, width=100)


def _cell(value) -> str:
    if type(value) is str:  # the common case first: this runs for every cell of every table
        return value
    if value is None:
        return ""
    if isinstance(value, bool):
        return "true" if value else "false"
    if isinstance(value, dt.date):
        return value.isoformat()
    if isinstance(value, float):
        return f"{value:.1f}"
    return str(value)


def _csv(resource: str, rows: list[dict]) -> str:
    header = schema.field_names(resource)
    buf = io.StringIO()
    writer = csv.writer(buf, lineterminator="\n")
    writer.writerow(header)
    for row in rows:
        writer.writerow([_cell(row.get(name)) for name in header])
    return buf.getvalue()


def _month_key(fy: int, index: int) -> str:
    """The index-th month (0 = April) of financial year fy, as YYYY-MM."""
    month = (3 + index) % 12 + 1
    year = fy if month >= 4 else fy + 1
    return f"{year:04d}-{month:02d}"


# ============================================================================================
# The council
# ============================================================================================


def _council(years: list[int], scale: float) -> dict:
    closed = []
    for y in range(years[0], LAST_FY + 1):
        # The offices close between Christmas and New Year: the working days left in that week.
        for day in range(27, 32):
            d = dt.date(y, 12, day)
            if d.weekday() < 5 and d not in _bank_holidays(y):
                closed.append(d.isoformat())
    phone = "01632 960000"  # Ofcom's drama range: never a real number
    email = "complaints@castlemere.example"
    return {
        "name": "Castlemere District Council",
        "short_name": "Castlemere",
        "country": "england",
        "council_type": "district",
        "website": "https://www.castlemere.example/",
        "site_url": "https://complaints.castlemere.example/",
        "residents": _n(RESIDENTS, scale),
        "homes_owned": _n(HOMES[LAST_FY], scale),
        "homes_owned_by_year": {periods.fy_label(y): _n(HOMES[y], scale) for y in years},
        "data_as_of": AS_OF.isoformat(),
        "contact": {
            "phone": phone,
            "email": email,
            "address": "Castlemere District Council, Customer Centre, 1 Market Square, Castlemere, ZZ1 1CM",
            "complaint_form_url": "https://www.castlemere.example/complaints/form",
            "text_relay": "18001 " + phone,
            "opening_hours": "Monday to Friday, 9am to 5pm",
        },
        "languages": ["en"],
        "disclosure_threshold": 5,
        "non_working_days": closed,
        "allowed_personal_data": [phone, "18001 " + phone, email, "accessibility@castlemere.example", "ZZ1 1CM", "0300 061 0614", "0300 111 3000"],
        "accessibility": {
            "compliance": "partially",
            "statement_prepared": "2023-09-01",
            "known_issues": [
                "Some older PDF reports linked from this site are not fully accessible. We are replacing them with web pages.",
            ],
            "contact_email": "accessibility@castlemere.example",
            "response_days": 10,
        },
    }


def _bank_holidays(year: int) -> set[dt.date]:
    return set(holidays.country_holidays("GB", subdiv="ENG", years=[year]))


# ============================================================================================
# Services
# ============================================================================================


def _services(scale: float) -> list[dict]:
    def make(sid, name, directorate, landlord, weight, praise, cats, refuse):
        return {"service_id": sid, "name": name, "directorate": directorate, "landlord": landlord, "weight": weight,
                "praise": praise, "cats": list(cats), "cat_weights": list(accumulate(cats.values())), "refuse": refuse}

    out = [make(*s) for s in BASE_SERVICES]
    target = max(len(BASE_SERVICES), round(len(BASE_SERVICES) * math.sqrt(scale)))
    for sid, name, directorate, landlord, cats in EXTRA_SERVICES:
        if len(out) >= target:
            break
        refuse = ("service_request", "already_decided") if cats is not _DECISIONS else ("other_route_of_appeal", "already_decided")
        out.append(make(sid, name, directorate, landlord, 2.5, 2, cats, refuse))
    # Still more: area teams of the base services (a big council runs them area by area).
    area = 0
    while len(out) < target:
        base = BASE_SERVICES[area % len(BASE_SERVICES)]
        place = AREAS[(area // len(BASE_SERVICES)) % len(AREAS)]
        round_no = area // (len(BASE_SERVICES) * len(AREAS))
        suffix = f"{place.lower()}" + (f"-{round_no + 1}" if round_no else "")
        name = f"{base[1]} ({place} area" + (f" {round_no + 1}" if round_no else "") + ")"
        out.append(make(f"{base[0]}-{suffix}", name, base[2], base[3], base[4] / 2, base[5] / 2, base[6], base[7]))
        area += 1
    return out


def _service_row(s: dict) -> dict:
    return {"service_id": s["service_id"], "name": s["name"], "directorate": s["directorate"], "is_landlord_service": s["landlord"]}


# ============================================================================================
# Complaints
# ============================================================================================


class _C:
    """One complaint at one stage, while it is being generated."""

    __slots__ = ("stage", "parent", "service", "received", "acknowledged", "ext", "responded", "outcome", "reason",
                 "channel", "category", "escalated", "id", "order")

    def __init__(self, stage, parent, service, received, channel, category):
        self.stage, self.parent, self.service, self.received = stage, parent, service, received
        self.channel, self.category = channel, category
        self.acknowledged = self.ext = self.responded = self.outcome = self.reason = None
        self.escalated = False
        self.id = ""
        self.order = 0


# Working days to acknowledge: mostly within the 5 the policy allows, a few late.
_ACK_DAYS = (0, 1, 2, 3, 4, 5, 6, 7, 9)
_ACK_CUM = list(accumulate((14, 30, 20, 14, 8, 6, 4, 2, 2)))


def _complaints(rng: random.Random, years: list[int], scale: float, services: list[dict], cal) -> list[_C]:
    svc_cum = list(accumulate(s["weight"] for s in services))
    rows: list[_C] = []
    # Stage 1 complaints, year by year. Stage 2 counts are fixed first so that totals are exact.
    stage2_n = {}
    for fy in years:
        total = _n(RECEIVED[fy], scale)
        stage2_n[fy] = round(total * STAGE2_SHARE)
        n1 = total - stage2_n[fy]
        days = _fy_days(fy)
        day_cum = _day_weights(days, weekend=0.3)
        received = rng.choices(days, cum_weights=day_cum, k=n1)
        chan = _COMPLAINT_CHANNELS["early" if fy < 2020 else "late"]
        chan_cum = list(accumulate(chan))
        for day in received:
            svc = services[bisect_right(svc_cum, rng.random() * svc_cum[-1])]
            channel = CHANNELS[bisect_right(chan_cum, rng.random() * chan_cum[-1])]
            day, channel = _working_channel(day, channel, cal)
            category = svc["cats"][bisect_right(svc["cat_weights"], rng.random() * svc["cat_weights"][-1])]
            c = _C(1, None, svc, day, channel, category)
            _stage1_timeline(rng, c, fy, cal)
            rows.append(c)

    # Stage 2: escalations of decided stage 1 complaints, received after the stage 1 reply.
    by_fy: dict[int, list[tuple[_C, dt.date, float]]] = {fy: [] for fy in years}
    for c in rows:
        if c.outcome not in DECIDED:
            continue
        gap = min(60, int(rng.expovariate(1 / 12)) + 1)
        day = c.responded + dt.timedelta(gap)
        if not cal.is_working_day(day):
            day = cal.add(day, 1)
        if day > AS_OF:
            continue
        weight = {"not_upheld": 4.0, "partly_upheld": 2.5, "upheld": 0.6}[c.outcome] * (1.6 if c.service["landlord"] else 1.0)
        fy = periods.fy_start_year(day)
        if fy in by_fy:
            by_fy[fy].append((c, day, weight))
    stage2 = []
    for fy in years:
        cands = by_fy[fy]
        picks = _pick_weighted(rng, cands, [w for _, _, w in cands], stage2_n[fy])
        for parent, day, _ in picks:
            parent.escalated = True
            channel = rng.choices(("email", "online_form", "phone", "letter"), cum_weights=(45, 80, 93, 100))[0]
            c = _C(2, parent, parent.service, day, channel, parent.category)
            _stage2_timeline(rng, c, cal)
            stage2.append(c)
    rows.extend(stage2)
    _force_overdue(rng, rows, scale, cal)
    _tune_upheld_share(rng, rows)
    # Stable order and opaque ids: by received date, stage 1 before stage 2 on the same day.
    for i, c in enumerate(rows):
        c.order = i
    rows.sort(key=lambda c: (c.received, c.stage, c.order))
    seq: dict[int, int] = {}
    for c in rows:
        seq[c.received.year] = seq.get(c.received.year, 0) + 1
        c.id = f"C-{c.received.year}-{seq[c.received.year]:05d}"
    return rows


def _working_channel(day: dt.date, channel: str, cal) -> tuple[dt.date, str]:
    """Phone calls, letters and visits arrive on working days; online ones any day.

    The day never moves into another financial year (so yearly totals stay exact): a weekend letter on
    31 March becomes an online form instead.
    """
    if channel in _OFFLINE and not cal.is_working_day(day):
        nxt = cal.add(day, 1)
        if nxt <= AS_OF and periods.fy_start_year(nxt) == periods.fy_start_year(day):
            return nxt, channel
        return day, "online_form"
    return day, channel


def _ack(rng: random.Random, received: dt.date, cal) -> dt.date:
    k = _ACK_DAYS[bisect_right(_ACK_CUM, rng.random() * _ACK_CUM[-1])]
    if k == 0:
        return received if cal.is_working_day(received) else cal.add(received, 1)
    return cal.add(received, k)


def _close_if_due(c: _C) -> None:
    """Blank whatever had not happened yet at data_as_of: the complaint is still open."""
    if c.acknowledged is not None and c.acknowledged > AS_OF:
        c.acknowledged = c.ext = c.responded = c.outcome = c.reason = None
    elif c.responded is not None and c.responded > AS_OF:
        c.responded = c.outcome = c.reason = None
        if c.ext and c.ext > 0 and c.acknowledged and c.acknowledged > AS_OF - dt.timedelta(10):
            c.ext = 0  # an extension is agreed near the deadline, not days after acknowledgement


def _stage1_timeline(rng: random.Random, c: _C, fy: int, cal) -> None:
    c.acknowledged = _ack(rng, c.received, cal)
    r = rng.random()
    c.ext = 0
    if r < 0.04:
        c.outcome = "not_accepted"
        c.reason = rng.choice(c.service["refuse"]) if rng.random() < 0.8 else rng.choice(
            ("older_than_12_months", "legal_proceedings", "service_request", "insurance_claim"))
        c.responded = cal.add(c.acknowledged, rng.randint(0, 3))
    elif r < 0.07:
        c.outcome = "withdrawn"
        c.responded = cal.add(c.acknowledged, rng.randint(1, 8))
    else:
        shares = _S1_OUTCOMES.get(fy, _S1_OUTCOMES_EARLY)
        c.outcome = rng.choices(DECIDED, weights=shares)[0]
        if rng.random() < 0.1:
            c.ext = rng.choice((5, 5, 10, 10, 3, 7))
        if rng.random() < _S1_LATE[fy]:
            days = 10 + c.ext + rng.randint(1, 12)
        elif c.ext:
            days = rng.randint(11, 10 + c.ext)
        else:
            days = round(rng.triangular(2, 10, 9))
        c.responded = cal.add(c.acknowledged, days)
    _close_if_due(c)


def _stage2_timeline(rng: random.Random, c: _C, cal) -> None:
    c.acknowledged = _ack(rng, c.received, cal)
    c.ext = 0
    if rng.random() < 0.04:
        c.outcome = "withdrawn"
        c.responded = cal.add(c.acknowledged, rng.randint(2, 15))
    else:
        c.outcome = rng.choices(DECIDED, weights=_S2_OUTCOMES)[0]
        if rng.random() < 0.15:
            c.ext = rng.choice((10, 15, 20))
        if rng.random() < 0.14:
            days = 20 + c.ext + rng.randint(1, 15)
        elif c.ext:
            days = rng.randint(21, 20 + c.ext)
        else:
            days = round(rng.triangular(6, 20, 18))
        c.responded = cal.add(c.acknowledged, days)
    _close_if_due(c)


def _is_overdue(c: _C, cal) -> bool:
    if c.responded is not None:
        return False
    if c.acknowledged is None:
        return cal.add(c.received, 5) < AS_OF
    limit = 10 if c.stage == 1 else 20
    return cal.add(c.acknowledged, limit + (c.ext or 0)) < AS_OF


def _force_overdue(rng: random.Random, rows: list[_C], scale: float, cal) -> None:
    """Make sure a couple of open complaints are overdue at data_as_of, as in any real extract."""
    want = max(2, round(2 * scale))
    have = sum(_is_overdue(c, cal) for c in rows)
    window = [c for c in rows if c.stage == 1 and c.outcome in DECIDED and not c.escalated
              and AS_OF - dt.timedelta(42) <= c.received <= AS_OF - dt.timedelta(24)]
    rng.shuffle(window)
    for c in window:
        if have >= want:
            break
        c.ext, c.responded, c.outcome = 0, None, None
        if _is_overdue(c, cal):
            have += 1


def _tune_upheld_share(rng: random.Random, rows: list[_C]) -> None:
    """Seed 003: about half of the decided 2023/24 complaints were upheld. Make it so (to the nearest one)."""
    year = [c for c in rows if periods.fy_start_year(c.received) == LAST_FY and c.outcome in DECIDED]
    target = round(UPHELD_2023 * len(year))
    upheld = [c for c in year if c.outcome == "upheld"]
    # Only stage 1 complaints that were not escalated change: an escalation follows an unhappy outcome.
    if len(upheld) > target:
        flip = [c for c in upheld if c.stage == 1 and not c.escalated]
        rng.shuffle(flip)
        for c in flip[: len(upheld) - target]:
            c.outcome = rng.choice(("partly_upheld", "not_upheld"))
    elif len(upheld) < target:
        flip = [c for c in year if c.outcome != "upheld" and c.stage == 1 and not c.escalated]
        rng.shuffle(flip)
        for c in flip[: target - len(upheld)]:
            c.outcome = "upheld"


def _complaint_rows(rows: list[_C]) -> list[dict]:
    return [
        {
            "complaint_id": c.id,
            "stage": c.stage,
            "escalated_from": c.parent.id if c.parent else None,
            "service_id": c.service["service_id"],
            "received": c.received,
            "acknowledged": c.acknowledged,
            "extension_working_days": c.ext,
            "responded": c.responded,
            "outcome": c.outcome,
            "not_accepted_reason": c.reason,
            "channel": c.channel,
            "category": c.category,
        }
        for c in rows
    ]


# ============================================================================================
# Compliments
# ============================================================================================


def _compliments(rng: random.Random, years: list[int], scale: float, services: list[dict], cal) -> list[dict]:
    svc_cum = list(accumulate(s["praise"] for s in services))
    chan_cum = list(accumulate(_COMPLIMENT_CHANNELS))
    made = []
    for fy in years:
        days = _fy_days(fy)
        day_cum = _day_weights(days, weekend=0.4)
        for day in rng.choices(days, cum_weights=day_cum, k=_n(COMPLIMENTS[fy], scale)):
            svc = services[bisect_right(svc_cum, rng.random() * svc_cum[-1])]
            channel = CHANNELS[bisect_right(chan_cum, rng.random() * chan_cum[-1])]
            day, channel = _working_channel(day, channel, cal)
            made.append((day, svc["service_id"], channel))
    made.sort(key=lambda t: t[0])  # stable: same-day compliments keep their drawing order
    seq: dict[int, int] = {}
    out = []
    for day, sid, channel in made:
        seq[day.year] = seq.get(day.year, 0) + 1
        out.append({"compliment_id": f"P-{day.year}-{seq[day.year]:05d}", "received": day, "service_id": sid, "channel": channel})
    return out


# ============================================================================================
# Ombudsman cases
# ============================================================================================


def _ombudsman_cases(rng: random.Random, years: list[int], scale: float, services: list[dict], complaints: list[_C], cal) -> list[dict]:
    plan = []  # (ombudsman, outcome or None, decided or None, received)
    per_year = _ombudsman_per_year()
    for fy in years:
        if fy == LAST_FY:
            continue
        n_lg, n_hos = (_n(v, scale) for v in per_year[fy])
        lg = rng.choices(list(LGSCO_OUTCOMES), weights=list(LGSCO_OUTCOMES.values()), k=n_lg)
        if fy == 2022:
            hos = [o for o in HOS_2022 for _ in range(_n(1, scale))]
        else:
            hos = rng.choices(list(HOS_OUTCOMES), weights=list(HOS_OUTCOMES.values()), k=n_hos)
        days = [d for d in _fy_days(fy) if cal.is_working_day(d)]
        if fy == years[0]:
            days = days[15:]  # the first cases need time to reach a decision
        for omb, outcomes in (("lgsco", lg), ("hos", hos)):
            for outcome in outcomes:
                decided = rng.choice(days)
                # Never before the first year of data: the site's years start with the earliest record.
                received = _on_working_day(max(dt.date(years[0], 4, 1), decided - dt.timedelta(_duration(rng, omb))), cal)
                plan.append((omb, outcome, decided, received))
    # 2023/24: cases carried over from 2022/23, and the seven new escalations (some still open).
    for omb, n in zip(("lgsco", "hos"), CARRIED_INTO_2023, strict=True):
        for _ in range(_n(n, scale)):
            received = _on_working_day(dt.date(2023, 1, 9) + dt.timedelta(rng.randint(0, 75)), cal)
            decided = _on_working_day(dt.date(2023, 4, 3) + dt.timedelta(rng.randint(0, 200)), cal)
            plan.append((omb, _outcome(rng, omb), decided, received))
    fresh = []
    for omb, n in zip(("lgsco", "hos"), ESCALATED_2023, strict=True):
        for _ in range(_n(n, scale)):
            received = _on_working_day(dt.date(2023, 4, 3) + dt.timedelta(rng.randint(0, 260)), cal)
            decided = _on_working_day(received + dt.timedelta(_duration(rng, omb)), cal)
            fresh.append([omb, _outcome(rng, omb), decided if decided <= AS_OF else None, received])
    # At least one of this year's escalations is still with the ombudsman, and at least one decided.
    if all(f[2] is not None for f in fresh):
        latest = max(fresh, key=lambda f: f[3])
        latest[2] = None
    if all(f[2] is None for f in fresh):
        earliest = min(fresh, key=lambda f: f[3])
        earliest[2] = min(dt.date(2023, 12, 22), _on_working_day(earliest[3] + dt.timedelta(40), cal))
    plan.extend((omb, outcome if decided else None, decided, received) for omb, outcome, decided, received in fresh)

    # Link each case to the council's final-stage complaint where the data go back far enough.
    finals = {True: [], False: []}  # landlord? → [(responded, complaint)] stage 2 replies
    s1_finals = {True: [], False: []}  # stage 1 replies never escalated (for referred back cases)
    for c in complaints:
        if c.responded is None or c.outcome not in DECIDED:
            continue
        if c.stage == 2:
            finals[c.service["landlord"]].append((c.responded, c))
        elif not c.escalated:
            s1_finals[c.service["landlord"]].append((c.responded, c))
    for pool in (*finals.values(), *s1_finals.values()):
        pool.sort(key=lambda t: (t[0], t[1].id))
    used: set[str] = set()
    landlord_services = [s for s in services if s["landlord"]]
    other_services = [s for s in services if not s["landlord"]]
    first_day = min(c.received for c in complaints)
    cases = []
    for omb, outcome, decided, received in sorted(plan, key=lambda p: (p[3], p[0])):
        landlord = omb == "hos"
        pool = (s1_finals if outcome == "referred_back" else finals)[landlord]
        complaint = None
        if received - dt.timedelta(300) >= first_day:
            # Seed 003's maladministration case was about repairs after a fire in a council home.
            fire = omb == "hos" and outcome == "maladministration" and periods.fy_start_year(decided) == 2022
            complaint = _pick_complaint(rng, pool, received, used, "housing-repairs" if fire else None)
        if complaint is not None:
            service = complaint.service
        else:
            choices = landlord_services if landlord else other_services
            service = rng.choices(choices, weights=[s["weight"] for s in choices])[0]
        cases.append(_case(rng, omb, outcome, decided, received, service, complaint))
    seq: dict[int, int] = {}
    for case in cases:
        y = case["received"].year
        seq[y] = seq.get(y, 0) + 1
        case["case_id"] = f"OC-{y}-{seq[y]:04d}"
    return cases


def _on_working_day(day: dt.date, cal) -> dt.date:
    return day if cal.is_working_day(day) else cal.add(day, 1)


def _duration(rng: random.Random, omb: str) -> int:
    return rng.randint(20, 150) if omb == "lgsco" else rng.randint(60, 300)


def _outcome(rng: random.Random, omb: str) -> str:
    table = LGSCO_OUTCOMES if omb == "lgsco" else HOS_OUTCOMES
    return rng.choices(list(table), weights=list(table.values()))[0]


def _pick_complaint(rng: random.Random, pool: list, received: dt.date, used: set[str], service_id: str | None = None):
    """A complaint whose reply came 1 week to 10 months before the ombudsman case arrived."""
    lo = _bisect_date(pool, received - dt.timedelta(300))
    hi = _bisect_date(pool, received - dt.timedelta(7))
    if hi <= lo:
        return None
    if service_id is not None:
        fits = [c for _, c in pool[lo:hi] if c.service["service_id"] == service_id and c.id not in used]
        if fits:
            c = rng.choice(fits)
            used.add(c.id)
            return c
    for _ in range(8):
        c = pool[rng.randrange(lo, hi)][1]
        if c.id not in used:
            used.add(c.id)
            return c
    return None


def _bisect_date(pool: list, day: dt.date) -> int:
    lo, hi = 0, len(pool)
    while lo < hi:
        mid = (lo + hi) // 2
        if pool[mid][0] < day:
            lo = mid + 1
        else:
            hi = mid
    return lo


def _case(rng, omb, outcome, decided, received, service, complaint) -> dict:
    row = {
        "case_id": "",
        "ombudsman": omb,
        "service_id": service["service_id"],
        "complaint_id": complaint.id if complaint is not None else None,
        "received": received,
        "decided": decided,
        "outcome": outcome,
        "remedy_agreed": None,
        "financial_remedy_gbp": None,
        "compliance": None,
        "remedy_by_council": None,
    }
    if decided is None:
        return row
    remedy, money, by_council = False, None, False
    if outcome == "upheld":
        by_council = rng.random() < 0.25
        remedy = not by_council
        if remedy and rng.random() < 0.55:
            money = rng.choice((100, 150, 200, 250, 300, 400, 500, 750))
    elif outcome in _HOS_FAULT:
        remedy = True
        money = rng.choice((100, 150, 250, 300, 350, 500, 750, 1000)) if rng.random() < 0.8 else None
    elif outcome == "reasonable_redress":
        by_council = True
    if omb == "hos" and outcome == "maladministration" and periods.fy_start_year(decided) == 2022:
        money = 300  # seed 003: the £300 the Housing Ombudsman ordered after a fire in a council home
    if remedy:
        if (AS_OF - decided).days < 60:
            compliance = "pending"
        else:
            compliance = "on_time" if rng.random() < 0.85 or money == 300 else "late"
    else:
        compliance = "not_applicable"
    row.update(remedy_agreed=remedy, financial_remedy_gbp=money, compliance=compliance, remedy_by_council=by_council)
    return row


# ============================================================================================
# Contacts, calls and satisfaction
# ============================================================================================

CONTACT_CHANNELS = ("phone", "email", "online_form", "face_to_face", "letter", "social_media")
# Yearly contacts at scale 1, by channel in CONTACT_CHANNELS order (2023 is a full-year rate).
_CONTACT_LEVELS = {
    2014: (92000, 9000, 3000, 14000, 4000, 300),
    2015: (90000, 9500, 4000, 13500, 3800, 400),
    2016: (87000, 10000, 5000, 13000, 3600, 600),
    2017: (84000, 10500, 6500, 12500, 3300, 800),
    2018: (80000, 11000, 8500, 12000, 3000, 1000),
    2019: (76000, 12000, 11000, 10500, 2700, 1200),
    2020: (70000, 16000, 16500, 2600, 2200, 2000),
    2021: (66000, 16500, 19000, 4300, 2000, 2300),
    2022: (62000, 15500, 22300, 5000, 1800, 3200),
    2023: (58500, 14800, 24500, 13800, 1600, 3300),
}
# The new town-centre Customer Centre opened in December 2022: visits per month afterwards.
CENTRE_OPENED = "2022-12"
_CENTRE_VISITS = 1150
# Calls: abandoned share, answered within 60 seconds share, average wait, average handling time.
_CALLS = {
    2014: (0.05, 0.82, 40, 262), 2015: (0.05, 0.81, 42, 266), 2016: (0.052, 0.8, 44, 270), 2017: (0.05, 0.8, 45, 274),
    2018: (0.053, 0.79, 46, 279), 2019: (0.055, 0.77, 48, 286), 2020: (0.065, 0.74, 58, 292), 2021: (0.07, 0.72, 62, 289),
    2022: (0.085, 0.66, 78, AHT_2022), 2023: (0.09, 0.64, 84, 355),
}


def _months(years: list[int]) -> list[tuple[int, int, str]]:
    out = []
    for fy in years:
        for i in range(12):
            key = _month_key(fy, i)
            if key <= AS_OF.strftime("%Y-%m"):
                out.append((fy, i, key))
    return out


def _contacts_and_calls(rng: random.Random, years: list[int], scale: float) -> tuple[list[dict], list[dict]]:
    values: dict[tuple[str, str], float] = {}
    for fy, i, key in _months(years):
        for ch, level in zip(CONTACT_CHANNELS, _CONTACT_LEVELS[fy], strict=True):
            season = _MONTH_WEIGHT[i] if ch != "phone" else (1.25 if i == 0 else _MONTH_WEIGHT[i])
            v = level / 12 * season * rng.uniform(0.95, 1.05)
            if ch == "face_to_face":
                if key >= CENTRE_OPENED:
                    v = _CENTRE_VISITS * season * rng.uniform(0.93, 1.07)
                elif fy == 2020 and i < 3:
                    v *= 0.15  # offices closed in the first Covid lockdown: appointments only
            values[(key, ch)] = v * scale
    # 2022/23 adds up exactly to seed 003's 112,820 (times the scale): largest-remainder rounding.
    counts = {k: int(v) for k, v in values.items()}
    fy22 = [k for k in values if periods.month_fy(k[0]) == "2022/23"]
    total = sum(values[k] for k in fy22)
    want = _n(CONTACTS_2022, scale)
    for k in fy22:
        values[k] *= want / total
        counts[k] = int(values[k])
    short = want - sum(counts[k] for k in fy22)
    for k in sorted(fy22, key=lambda k: (values[k] - counts[k], k), reverse=True)[:short]:
        counts[k] += 1
    contacts = [{"month": key, "channel": ch, "contacts": counts[(key, ch)]} for (key, ch) in values]

    calls = []
    aht_target = {}
    for fy, i, key in _months(years):
        abandon, within, wait, aht = _CALLS[fy]
        answered = counts[(key, "phone")]
        a = abandon * rng.uniform(0.85, 1.15) * (1.2 if i == 0 else 1.0)
        offered = round(answered / (1 - a))
        within_n = round(answered * min(0.97, within * rng.uniform(0.95, 1.04)))
        month_aht = round(aht + rng.uniform(-14, 14) + (8 if i in (0, 9) else 0))
        month_wait = round(wait * rng.uniform(0.85, 1.15) * (1.25 if i == 0 else 1.0))
        calls.append({"month": key, "offered": offered, "answered": answered, "answered_within_60s": within_n,
                      "abandoned": offered - answered, "average_handle_seconds": month_aht, "average_wait_seconds": month_wait})
        aht_target[fy] = aht
    # 2022/23's call-weighted average handling time is seed 003's 5 min 48 s: March closes the gap.
    fy22 = [c for c in calls if periods.month_fy(c["month"]) == "2022/23"]
    if fy22:
        last = fy22[-1]
        others = sum(c["answered"] * c["average_handle_seconds"] for c in fy22[:-1])
        weight = sum(c["answered"] for c in fy22)
        last["average_handle_seconds"] = round((AHT_2022 * weight - others) / last["answered"])
    return contacts, calls


SATISFACTION_CHANNELS = {
    # channel: share of contacts who rate, (good, average, poor) — face to face far better than email
    "phone": (0.015, (0.71, 0.17, 0.12)),
    "face_to_face": (0.08, (0.84, 0.11, 0.05)),
    "email": (0.02, (0.48, 0.2, 0.32)),
    "online_form": (0.03, (0.6, 0.19, 0.21)),
}


def _satisfaction(rng: random.Random, contacts: list[dict], years: list[int]) -> list[dict]:
    volume = {(r["month"], r["channel"]): r["contacts"] for r in contacts}
    out = []
    for fy, _, key in _months(years):
        for ch, (rate, (good, avg, _poor)) in SATISFACTION_CHANNELS.items():
            n = round(volume[(key, ch)] * rate * rng.uniform(0.85, 1.15))
            if ch == "phone":
                # Longer waits since 2022 cost the phone line a little satisfaction.
                good -= 0.05 if fy >= 2022 else 0.0
            g = min(n, round(n * good * rng.uniform(0.96, 1.04)))
            a = min(n - g, round(n * avg * rng.uniform(0.9, 1.1)))
            out.append({"month": key, "channel": ch, "good": g, "average": a, "poor": n - g - a})
    return out


# ============================================================================================
# Standards, results and improvements
# ============================================================================================


def _standards() -> list[dict]:
    return [
        {"id": "answer-calls", "promise": "We will answer at least 90 out of every 100 calls.",
         "measure": "calls_answered_rate", "target": 90, "unit": "percent", "better": "higher"},
        {"id": "answer-calls-quickly", "promise": "We will answer 70 out of every 100 calls within 60 seconds.",
         "measure": "calls_answered_within_60s_rate", "target": 70, "unit": "percent", "better": "higher"},
        {"id": "short-waits", "promise": "On average, you will wait less than 90 seconds for us to answer your call.",
         "measure": "calls_average_wait_seconds", "target": 90, "unit": "seconds", "better": "lower"},
        {"id": "acknowledge-complaints", "promise": "We will tell you we have your complaint within 5 working days.",
         "measure": "complaints_acknowledged_on_time", "target": 95, "unit": "percent", "better": "higher"},
        {"id": "stage-1-on-time", "promise": "We will reply to 90 out of every 100 stage 1 complaints on time.",
         "measure": "complaints_responded_on_time_by_stage", "dimension_value": "1", "target": 90, "unit": "percent", "better": "higher"},
        {"id": "stage-2-on-time", "promise": "We will reply to 90 out of every 100 stage 2 complaints on time.",
         "measure": "complaints_responded_on_time_by_stage", "dimension_value": "2", "target": 90, "unit": "percent", "better": "higher"},
        {"id": "new-benefit-claims", "promise": "We will decide new benefit claims within 20 days on average.",
         "measure": "reported", "target": 20, "unit": "days", "better": "lower"},
        {"id": "minor-planning", "promise": "We will decide 70 out of every 100 minor planning applications within 8 weeks.",
         "measure": "reported", "target": 70, "unit": "percent", "better": "higher"},
    ]


# Reported standards' yearly results at scale 1: the trend, noise is added.
_REPORTED = {
    "new-benefit-claims": {2014: 24.0, 2015: 23.1, 2016: 22.4, 2017: 21.0, 2018: 19.6, 2019: 18.2, 2020: 23.5, 2021: 19.8, 2022: 17.6, 2023: 16.9},
    "minor-planning": {2014: 64.0, 2015: 67.5, 2016: 69.0, 2017: 72.5, 2018: 74.0, 2019: 76.2, 2020: 68.4, 2021: 71.9, 2022: 78.5, 2023: 81.0},
}


def _standard_results(rng: random.Random, years: list[int]) -> list[dict]:
    out = []
    for sid, by_year in _REPORTED.items():
        for fy in years:
            out.append({"standard_id": sid, "period": periods.fy_label(fy), "value": round(by_year[fy] + rng.uniform(-0.4, 0.4), 1)})
    return out


IMPROVEMENTS = [
    ("2019-09-12", "waste", "Your bin was missed on the same street more than once.",
     "Crews now have a tablet in the cab that shows every street on the round. They tick off each street as they go.", "done"),
    ("2020-02-20", "council-tax", "Your council tax bill was hard to understand.",
     "We rewrote the bill in plain English. We tested the new bill with residents before we sent it out.", "done"),
    ("2020-11-05", "housing-repairs", "You waited in all day for a repair.",
     "You can now choose a morning or an afternoon slot when you report a repair. We text you when we are on our way.", "done"),
    ("2021-02-18", "benefits", "You did not know what was happening with your benefit claim.",
     "We now send you a text when we get your claim and another when we decide it.", "done"),
    ("2021-06-24", "planning", "It was hard to speak to someone about a planning application.",
     "Customer Services now answer planning calls. They can book a call back from the planning officer.", "done"),
    ("2021-10-14", "customer-services", "You were kept on hold for too long.",
     "We added a call back option. You can hang up and we will call you back when it is your turn.", "done"),
    ("2022-03-10", "tenancy-management", "Reports of anti-social behaviour were not followed up.",
     "Every report now has a named officer. They agree a plan with you within 5 working days.", "done"),
    ("2022-07-07", "housing-repairs", "Repairs took too long to start after a fire in a council home.",
     "A surveyor now visits within 2 working days after a fire or flood. One officer keeps you up to date until the work is done.", "done"),
    ("2022-09-29", "housing-choices", "The housing register form was long and hard to fill in.",
     "We made the form shorter. Staff at the Customer Centre can help you fill it in.", "done"),
    ("2022-12-05", "customer-services", "Our offices were hard to get to without a car.",
     "We opened a new Customer Centre in the town centre, close to the bus station.", "done"),
    ("2023-02-16", "environmental-health", "You did not hear back after you reported noise.",
     "We now reply to every noise report within 3 working days and tell you what happens next.", "done"),
    ("2023-04-20", "parking", "Pay and display machines in our car parks did not take cards.",
     "Every machine now takes contactless payment.", "done"),
    ("2023-05-25", "customer-services", "It was hard to get advice about money worries.",
     "Citizens Advice now hold a drop-in session at the Customer Centre every Friday.", "done"),
    ("2023-08-17", "leisure", "Changing rooms at the leisure centre were not clean enough.",
     "We changed the cleaning rota. Staff now check the changing rooms every hour.", "done"),
    ("2023-10-12", "housing-repairs", "Reports of damp and mould were not dealt with quickly.",
     "We set up a damp and mould team. They will visit within 10 working days of your report.", "in_progress"),
    ("2023-11-23", "council-tax", "You could not check your council tax account online.",
     "We are building an online account so you can check your balance and payments at any time.", "planned"),
    ("2023-12-14", "customer-services", "Our complaint replies did not always say what would happen next.",
     "Every reply now ends with clear next steps and tells you how to ask for a review.", "done"),
]


def _improvements(services: list[dict]) -> list[dict]:
    known = {s["service_id"] for s in services}
    out = []
    for i, (published, sid, said, did, status) in enumerate(IMPROVEMENTS, start=1):
        if sid in known:
            out.append({"improvement_id": f"I-{i:03d}", "published": dt.date.fromisoformat(published), "service_id": sid,
                        "you_said": said, "we_did": did, "status": status})
    return out


# ============================================================================================
# Policy and self-assessment
# ============================================================================================


def _policy() -> dict:
    return {
        "version": "3.0",
        "effective_from": "2023-01-01",
        # Seed 003's definition, word for word.
        "definition": (
            "An expression of dissatisfaction, however made, about the standard of service, action or lack "
            "of action by the Council, or its staff, affecting an individual customer or group of customers."
        ),
        "not_complaints": [
            "A first request for a service, such as reporting a missed bin or a repair. Tell us and we will put it right. If we do not, you can then complain.",
            "Something that happened more than 12 months ago. We may still look at it if there is a good reason why you could not tell us sooner.",
            "A matter that is already in court or with a tribunal.",
            "A claim for money for injury, loss or damage. Our insurance team deals with these.",
            "A decision that you have a legal right to appeal, such as a planning decision, a parking ticket or a benefit decision. We will tell you how to appeal.",
            "A complaint we have already answered in full at the last stage.",
        ],
        "what_to_include": [
            "Your name and how we can contact you.",
            "What went wrong, and when.",
            "Which service it was about.",
            "What you want us to do to put it right.",
            "Any help you need from us, such as large print or a phone call instead of a letter.",
        ],
        "ways_to_complain": [
            {"channel": "online_form", "how": "Fill in our online form. It takes about 10 minutes.",
             "url": "https://www.castlemere.example/complaints/form"},
            {"channel": "email", "how": "Email complaints@castlemere.example.", "url": "mailto:complaints@castlemere.example"},
            {"channel": "phone", "how": "Call 01632 960000, Monday to Friday, 9am to 5pm. If you use a textphone, call 18001 01632 960000.",
             "url": "tel:+441632960000"},
            {"channel": "letter", "how": "Write to: Complaints, Castlemere District Council, 1 Market Square, Castlemere, ZZ1 1CM."},
            {"channel": "face_to_face", "how": "Visit the Customer Centre at 1 Market Square, Monday to Friday, 9am to 5pm. Staff will write down your complaint for you.",
             "url": "https://www.castlemere.example/customer-centre"},
        ],
        "stages": [
            {
                "id": 1,
                "name": "Stage 1",
                "summary": "The team that runs the service looks into your complaint and tries to put things right.",
                "handled_by": "A manager in the service you complained about",
                "signed_off_by": "A Strategic Director",
                "acknowledge_within_working_days": 5,
                "respond_within_working_days": 10,
                "clock_starts": "acknowledgement",
                "max_extension_working_days": 10,
                "how_to_escalate": "Contact us in any of the ways above.",
            },
            {
                "id": 2,
                "name": "Stage 2",
                "summary": "A senior manager who did not deal with stage 1 looks at your complaint again.",
                "handled_by": "A senior manager who did not deal with stage 1",
                "signed_off_by": "The Chief Executive",
                "acknowledge_within_working_days": 5,
                "respond_within_working_days": 20,
                "clock_starts": "acknowledgement",
                "max_extension_working_days": 20,
                "how_to_escalate": "If you are not happy with our stage 1 reply, ask us to take it to stage 2. You can ask in any of the ways above. Tell us why you are still unhappy.",
            },
        ],
        "escalation": [
            {
                "ombudsman": "lgsco",
                "name": "Local Government and Social Care Ombudsman",
                "applies_to": "Council services, such as council tax, benefits, planning, bins and homelessness.",
                "when": "When you have had our stage 2 reply, or if we take too long to reply. It is free.",
                "url": "https://www.lgo.org.uk",
                "phone": "0300 061 0614",
            },
            {
                "ombudsman": "hos",
                "name": "Housing Ombudsman Service",
                "applies_to": "Our council homes, if you are a council tenant or leaseholder. For example repairs, rent or your estate.",
                "when": "When you have had our stage 2 reply, or if we take too long to reply. It is free.",
                "url": "https://www.housing-ombudsman.org.uk",
                "phone": "0300 111 3000",
            },
        ],
        "reasonable_adjustments": [
            "We can write down your complaint for you, on the phone or at the Customer Centre.",
            "Someone else can complain for you, such as a friend, a carer or a councillor. We will ask you to agree first.",
            "We can call you instead of writing, or meet you in person.",
            "We can give you more time to reply to us.",
            "Tell us if you need anything else. We will do our best to help.",
        ],
        "other_formats": "You can ask for this policy in large print, easy read, braille or audio, or in another language. Call 01632 960000 or email complaints@castlemere.example.",
        "unreasonable_behaviour": "Most people complain in a fair way. If someone is abusive or contacts us much more than needed, we may limit how they contact us. We will tell them why, and we will still deal with their complaint.",
        "version_history": [
            {"version": "1.0", "date": "2013-04-01", "changes": "First complaints policy with two stages."},
            {"version": "2.0", "date": "2021-04-01", "changes": "Brought in line with the Housing Ombudsman's Complaint Handling Code. Added the 12-month time limit."},
            {"version": "3.0", "date": "2023-01-01", "changes": "A Strategic Director now signs off every stage 1 reply. The Chief Executive signs off every stage 2 reply."},
        ],
    }


def _self_assessment(complaints: list[_C], cases: list[dict], cal) -> list[dict]:
    """The 2022/23 self-assessment. Its figures are worked out from the generated data."""
    year = [c for c in complaints if periods.fy_start_year(c.received) == 2022]
    s1 = [c for c in year if c.stage == 1]
    acked = sum(1 for c in s1 if c.acknowledged and cal.between(c.received, c.acknowledged) <= 5)
    replied = [c for c in s1 if c.responded]
    on_time = sum(1 for c in replied if cal.between(c.acknowledged, c.responded) <= 10 + (c.ext or 0))
    refused = sum(1 for c in year if c.outcome == "not_accepted")
    ack_pct = round(100 * acked / len(s1)) if s1 else 0
    time_pct = round(100 * on_time / len(replied)) if replied else 0
    lg = [c for c in cases if c["ombudsman"] == "lgsco" and c["decided"] and periods.fy_start_year(c["decided"]) == 2022]
    investigated = [c for c in lg if c["outcome"] in ("upheld", "not_upheld")]
    upheld = sum(1 for c in investigated if c["outcome"] == "upheld")
    return [
        {
            "code": "hos_2024",
            "year": "2022/23",
            "assessed_on": "2023-06-20",
            "provisions": [
                {"ref": "1.2", "requirement": "Use the Code's definition of a complaint.", "compliant": "yes",
                 "evidence": "Our policy uses a definition that covers any expression of dissatisfaction, however made."},
                {"ref": "1.3", "requirement": "A resident does not have to use the word complaint for it to be treated as one.", "compliant": "yes",
                 "evidence": "Staff training since 2022 tells staff to log any expression of dissatisfaction as a complaint."},
                {"ref": "1.4", "requirement": "Record and review service requests, which are not complaints.", "compliant": "partly",
                 "evidence": "Repairs requests are recorded in the repairs system but are not yet reviewed alongside complaints.",
                 "action": "Add service request trends to the quarterly complaints report.", "action_due": "2023-09-30"},
                {"ref": "2.1", "requirement": "Accept a complaint unless there is a valid reason not to.", "compliant": "yes",
                 "evidence": f"We record every complaint we do not accept and why. In 2022/23 we did not accept {refused}."},
                {"ref": "3.1", "requirement": "Make it easy to complain in different ways.", "compliant": "yes",
                 "evidence": "Residents can complain online, by email, by phone, by letter or in person at the Customer Centre."},
                {"ref": "4.1", "requirement": "Have a person or team responsible for complaint handling.", "compliant": "yes",
                 "evidence": "The Customer Experience Team logs, tracks and reports on every complaint."},
                {"ref": "5.1", "requirement": "Have a complaints process with two stages.", "compliant": "yes",
                 "evidence": "Our policy has two stages. Stage 2 is signed off by the Chief Executive."},
                {"ref": "6.2", "requirement": "Acknowledge stage 1 complaints within 5 working days.", "compliant": "yes" if ack_pct >= 95 else "partly",
                 "evidence": f"{ack_pct}% of stage 1 complaints received in 2022/23 were acknowledged within 5 working days.",
                 "action": "Send an automatic acknowledgement for online and email complaints.", "action_due": "2023-10-31"},
                {"ref": "6.3", "requirement": "Reply to stage 1 complaints within 10 working days of acknowledging them.", "compliant": "yes" if time_pct >= 95 else "partly",
                 "evidence": f"{time_pct}% of stage 1 replies in 2022/23 were sent on time, counting agreed extensions.",
                 "action": "Weekly reports of complaints due to each service manager.", "action_due": "2023-09-30"},
                {"ref": "6.13", "requirement": "The stage 2 handler must not be the person who handled stage 1.", "compliant": "yes",
                 "evidence": "Stage 2 complaints go to a senior manager from a different team."},
                {"ref": "8.1", "requirement": "Publish an annual complaints performance and service improvement report.", "compliant": "partly",
                 "evidence": "An annual report goes to Corporate Scrutiny Committee, but it was only published as a PDF.",
                 "action": "Publish the report and its data on the complaints website.", "action_due": "2023-12-31"},
                {"ref": "9.2", "requirement": "Name a member of the governing body who is responsible for complaints.", "compliant": "yes",
                 "evidence": "The chair of Corporate Scrutiny Committee is the member responsible for complaints."},
            ],
            "governing_body_response": {
                "body": "Corporate Scrutiny Committee",
                "date": "2023-09-12",
                "text": ("The committee noted the self-assessment and the rise in complaints in 2022/23. It welcomed the new Customer "
                         "Centre and the extra senior sign-off of complaint replies. It asked for quarterly updates on replying "
                         "on time and on damp and mould complaints."),
            },
            "ombudsman_letter": {
                "ombudsman": "lgsco",
                "date": "2023-07-19",
                "url": "https://www.lgo.org.uk/information-centre/councils-performance",
                "summary": (f"In 2022/23 the Local Government and Social Care Ombudsman made {len(lg)} decisions about the council. "
                            f"It investigated {len(investigated)} complaints in detail and upheld {upheld}."),
            },
        }
    ]
