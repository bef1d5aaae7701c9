"""Annual statistics of the procedure (PROCESS.md §5): counts, rates and shares over the items of a year.

Computed from each item's process data (the engine's own record of what happened), so the figures
follow the diagrams: an item counts as registered when its intake decision was 立案, a unit's reply
as on time when its handling never went overdue, and so on. A yearly report reads a few hundred
items once; no business table duplicates the process data for it.
"""
from collections import Counter
from datetime import datetime

from sqlalchemy import extract, select

from ..models import Instance

MAIN_PROCESS = "item_handling"
TYPE_LABELS = {"suggestion": "人大建议", "proposal": "政协提案", "motion_to_suggestion": "议案转建议"}
SATISFIED = ("satisfied", "basically")


def annual_statistics(session, runtime, year: int) -> dict:
    ids = session.scalars(select(Instance.id).where(Instance.process_key == MAIN_PROCESS,
                                                    extract("year", Instance.started_at) == year)
                          .order_by(Instance.id)).all()
    items = [(i, runtime.variables(session, i)) for i in ids]
    registered = [(i, d) for i, d in items if d.get("intake_decision") == "register"]
    results = [r for i, d in registered for r in _replies(session, runtime, i, d)]
    evaluations = [e for r in results for e in r.get("evaluations") or []]
    classes = Counter(r.get("result_class") for r in results if r.get("result_class"))
    return {
        "year": year,
        "received": len(items),
        "registered": len(registered),
        "not_registered": sum(1 for _i, d in items if d.get("intake_decision") in ("reject", "merge", "to_opinion")),
        "by_type": _count(TYPE_LABELS.get(d.get("item_type"), d.get("item_type")) for _i, d in registered),
        "by_category": _count(d.get("category") for _i, d in registered),
        "by_unit": _count(h["unit"] for _i, d in registered for h in d.get("handling_units") or []),
        "key_items": sum(1 for _i, d in registered if d.get("is_key")),
        "replies_finished": len(results),
        "on_time_rate": _rate(sum(1 for r in results if not r.get("overdue")), len(results)),
        "satisfaction_rate": _rate(sum(1 for e in evaluations if e in SATISFIED), len(evaluations)),
        "satisfied": evaluations.count("satisfied"),
        "basically_satisfied": evaluations.count("basically"),
        "unsatisfied": evaluations.count("unsatisfied"),
        "class_shares": {c: _rate(n, len(results)) for c, n in sorted(classes.items())},
        "face_to_face_rate": _rate(sum(1 for r in results if r.get("face_to_face")), len(results)),
        "computed_at": datetime.now().isoformat(timespec="seconds"),
    }


def _replies(session, runtime, instance_id: int, data: dict) -> list[dict]:
    """Each unit's reply of an item: recorded when the unit finished (`unit_results`), or read from
    the unit's running handling once the reply was delivered (follow-ups may run for months)."""
    finished = list(data.get("unit_results") or [])
    running = [{"unit": scope.get("unit"), "result_class": scope.get("result_class"),
                "evaluations": scope.get("evaluations") or [], "overdue": scope.get("overdue"),
                "face_to_face": scope.get("had_face_to_face")}
               for scope in runtime.running_scopes(session, instance_id, "unit_handling") if scope.get("delivered_on")]
    return finished + running


def _count(values) -> dict:
    return dict(sorted(Counter(v for v in values if v).items()))


def _rate(part: int, whole: int) -> float | None:
    return round(100.0 * part / whole, 1) if whole else None
