"""Between a task's form definition and the browser: values to show, and a submission to hand over.

The engine validates (webapp.engine.forms); this module only turns stored values into what each
widget shows, and a browser request into the raw values `engine.tasks.complete` expects.
"""
from dataclasses import dataclass, field

from flask import request
from sqlalchemy import select

from ..engine.forms import Form, UploadedFile
from ..models import TextBlob, Unit
from .helpers import is_file_ref, is_text_ref

TRUE_WORDS = ("true", "1", "on", "yes")


@dataclass
class Submission:
    raw: dict = field(default_factory=dict)        # for engine.tasks.complete
    shown: dict = field(default_factory=dict)      # what the widgets show again if the page comes back
    uploads: dict = field(default_factory=dict)    # field id -> file name chosen (browsers cannot refill it)


def as_bool(value) -> bool:
    return value is True or str(value).strip().lower() in TRUE_WORDS


def as_list(value) -> list[str]:
    if value is None or value == "":
        return []
    if isinstance(value, (list, tuple)):
        return [str(v) for v in value]
    return [v.strip() for v in str(value).split(",") if v.strip()]


def initial_values(session, form: Form, form_data: dict) -> dict:
    """Widget values from the task's stored form data (current values and evaluated defaults)."""
    text_ids = [form_data[f.id]["text_id"] for f in form.fields
                if f.type == "textarea" and is_text_ref(form_data.get(f.id))]
    texts = dict(session.execute(select(TextBlob.id, TextBlob.content).where(TextBlob.id.in_(text_ids))).all()) \
        if text_ids else {}
    values = {}
    for f in form.fields:
        value = form_data.get(f.id)
        if f.type == "boolean":
            values[f.id] = as_bool(value)
        elif f.type == "units":
            values[f.id] = as_list(value)
        elif f.type == "file":
            values[f.id] = value if is_file_ref(value) else None
        elif is_text_ref(value):
            values[f.id] = texts.get(value["text_id"], value.get("preview", ""))
        elif value is None:
            values[f.id] = ""
        else:
            values[f.id] = str(value)
    return values


def read_submission(form: Form) -> Submission:
    """The raw values of the current request for every editable field."""
    sub = Submission()
    for f in form.fields:
        if f.readonly:
            continue
        if f.type == "file":
            storage = request.files.get(f.id)
            if storage is not None and storage.filename:
                sub.raw[f.id] = UploadedFile(storage.filename, storage.mimetype or "application/octet-stream",
                                             storage.read())
                sub.uploads[f.id] = storage.filename
        elif f.type == "units":
            sub.raw[f.id] = sub.shown[f.id] = request.form.getlist(f.id)
        elif f.type == "boolean":
            checked = f.id in request.form
            sub.raw[f.id], sub.shown[f.id] = ("true" if checked else "false"), checked
        else:
            sub.raw[f.id] = sub.shown[f.id] = request.form.get(f.id, "")
    return sub


def units_for(session, form: Form) -> list[Unit]:
    """The unit list for pickers, loaded only when the form has a unit field."""
    if not any(f.type in ("unit", "units") for f in form.fields):
        return []
    return list(session.scalars(select(Unit).order_by(Unit.kind, Unit.code)))
