"""Annual statistics of the procedure (PROCESS.md §5): counts, rates and shares over the items of a year.

Computed from each item's process data (the engine's own record of what happened), so the figures
follow the diagrams: an item counts as registered when its intake decision was 立案, a unit's reply
as on time when its handling never went overdue, and so on. A yearly report reads a few hundred
items once; no business table duplicates the process data for it.

The figures are taken in two steps that the statistics page shares (webapp/reports/snapshot.py keeps
the facts of every item in a table the worker refreshes, so the page never reads process data):
`item_record` reduces one item's process data to the facts that count, `summarize` counts records.
"""
from collections import Counter
from datetime import datetime

from sqlalchemy import extract, select

from ..models import Instance

MAIN_PROCESS = "item_handling"
TYPE_LABELS = {"suggestion": "人大建议", "proposal": "政协提案", "motion_to_suggestion": "议案转建议"}
SATISFIED = ("satisfied", "basically")
NOT_REGISTERED = ("reject", "merge", "to_opinion")


def annual_statistics(session, runtime, year: int) -> dict:
    ids = session.scalars(select(Instance.id).where(Instance.process_key == MAIN_PROCESS,
                                                    extract("year", Instance.started_at) == year)
                          .order_by(Instance.id)).all()
    records = []
    for i in ids:
        data = runtime.variables(session, i)
        replies = _replies(session, runtime, i, data) if data.get("intake_decision") == "register" else []
        records.append(item_record(data, replies))
    return {"year": year, **summarize(records), "computed_at": datetime.now().isoformat(timespec="seconds")}


def item_record(data: dict, replies: list[dict]) -> dict:
    """The facts of one item that the statistics count, from its process variables and its units'
    replies (`unit_results` entries or running `unit_handling` scopes, see `_replies`)."""
    return {
        "item_type": data.get("item_type"),
        "session": data.get("session"),
        "category": data.get("category"),
        "intake_decision": data.get("intake_decision"),
        "is_key": bool(data.get("is_key")),
        "handling_units": [h.get("unit") for h in data.get("handling_units") or [] if isinstance(h, dict)],
        "replies": [{"unit": r.get("unit"), "result_class": r.get("result_class"),
                     "evaluations": list(r.get("evaluations") or []), "overdue": bool(r.get("overdue")),
                     "face_to_face": bool(r.get("face_to_face")), "published": bool(r.get("published"))}
                    for r in replies],
    }


def summarize(records: list[dict]) -> dict:
    """The annual figures over item records (`item_record`)."""
    registered = [r for r in records if r["intake_decision"] == "register"]
    results = [reply for r in registered for reply in r["replies"]]
    evaluations = [e for reply in results for e in reply["evaluations"]]
    classes = Counter(reply["result_class"] for reply in results if reply["result_class"])
    return {
        "received": len(records),
        "registered": len(registered),
        "not_registered": sum(1 for r in records if r["intake_decision"] in NOT_REGISTERED),
        "by_type": _count(TYPE_LABELS.get(r["item_type"], r["item_type"]) for r in registered),
        "by_category": _count(r["category"] for r in registered),
        "by_unit": _count(unit for r in registered for unit in r["handling_units"]),
        "key_items": sum(1 for r in registered if r["is_key"]),
        "replies_finished": len(results),
        "on_time_rate": _rate(sum(1 for reply in results if not reply["overdue"]), len(results)),
        "satisfaction_rate": _rate(sum(1 for e in evaluations if e in SATISFIED), len(evaluations)),
        "satisfied": evaluations.count("satisfied"),
        "basically_satisfied": evaluations.count("basically"),
        "unsatisfied": evaluations.count("unsatisfied"),
        "class_shares": {c: _rate(n, len(results)) for c, n in sorted(classes.items())},
        "face_to_face_rate": _rate(sum(1 for reply in results if reply["face_to_face"]), len(results)),
    }


def _replies(session, runtime, instance_id: int, data: dict) -> list[dict]:
    """Each unit's reply of an item: recorded when the unit finished (`unit_results`), or read from
    the unit's running handling once the reply was delivered (follow-ups may run for months)."""
    return replies_of(data, runtime.running_scopes(session, instance_id, "unit_handling"))


def replies_of(data: dict, running_scopes: list[dict]) -> list[dict]:
    """The replies of an item from its variables and the data of its running `unit_handling` scopes;
    each has `finished` (the unit's handling ended) besides the fields `unit_result` records."""
    finished = [{**r, "finished": True} for r in data.get("unit_results") or []]
    running = [{"unit": scope.get("unit"), "result_class": scope.get("result_class"),
                "evaluations": scope.get("evaluations") or [], "overdue": scope.get("overdue"),
                "face_to_face": scope.get("had_face_to_face"), "published": scope.get("published"),
                "finished": False}
               for scope in running_scopes if scope.get("delivered_on")]
    return finished + running


def _count(values) -> dict:
    return dict(sorted(Counter(v for v in values if v).items()))


def _rate(part: int, whole: int) -> float | None:
    return round(100.0 * part / whole, 1) if whole else None
