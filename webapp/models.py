"""Database tables: people and units, deployed definitions, process instances and their indexes.

The serialized workflow lives in `instances.state`; everything an inbox, a worker or a page needs
to find is an indexed row of its own (human tasks, timers, jobs), so no query deserializes a workflow.
"""
from datetime import date, datetime, timezone

from sqlalchemy import (JSON, Boolean, Date, DateTime, ForeignKey, Index, Integer, LargeBinary, String, Text,
                        UniqueConstraint)
from sqlalchemy.orm import Mapped, mapped_column, relationship
from sqlalchemy.types import TypeDecorator
from werkzeug.security import check_password_hash, generate_password_hash

from .db import Base


def utcnow() -> datetime:
    return datetime.now(timezone.utc)


class AwareDateTime(TypeDecorator):
    """Timezone-aware UTC timestamps on every database (SQLite drops the zone, so it is put back)."""
    impl = DateTime(timezone=True)
    cache_ok = True

    def process_bind_param(self, value, dialect):
        if value is not None and value.tzinfo is None:
            raise ValueError("naive datetime stored; use timezone-aware UTC values")
        if value is not None and dialect.name == "sqlite":
            return value.astimezone(timezone.utc).replace(tzinfo=None)
        return value

    def process_result_value(self, value, dialect):
        if value is not None and value.tzinfo is None:
            return value.replace(tzinfo=timezone.utc)
        return value


# --- people, units, roles -------------------------------------------------------------------------

class Unit(Base):
    __tablename__ = "units"
    id: Mapped[int] = mapped_column(primary_key=True)
    code: Mapped[str] = mapped_column(String(64), unique=True)
    name: Mapped[str] = mapped_column(String(200))
    kind: Mapped[str] = mapped_column(String(32), default="department")


class User(Base):
    __tablename__ = "users"
    id: Mapped[int] = mapped_column(primary_key=True)
    username: Mapped[str] = mapped_column(String(64), unique=True)
    display_name: Mapped[str] = mapped_column(String(100))
    password_hash: Mapped[str] = mapped_column(String(256))
    email: Mapped[str | None] = mapped_column(String(200))
    active: Mapped[bool] = mapped_column(Boolean, default=True)
    is_admin: Mapped[bool] = mapped_column(Boolean, default=False)
    roles: Mapped[list["RoleAssignment"]] = relationship(back_populates="user", cascade="all, delete-orphan",
                                                         lazy="selectin")

    def set_password(self, password: str) -> None:
        self.password_hash = generate_password_hash(password)

    def check_password(self, password: str) -> bool:
        return check_password_hash(self.password_hash, password)

    # Flask-Login protocol (kept here so the engine need not import Flask).
    @property
    def is_authenticated(self) -> bool:
        return True

    @property
    def is_active(self) -> bool:
        return self.active

    @property
    def is_anonymous(self) -> bool:
        return False

    def get_id(self) -> str:
        return str(self.id)


class Role(Base):
    """A candidate group a diagram can name, e.g. `office` or `unit_head`."""
    __tablename__ = "roles"
    code: Mapped[str] = mapped_column(String(64), primary_key=True)
    name: Mapped[str] = mapped_column(String(100))


class RoleAssignment(Base):
    __tablename__ = "role_assignments"
    __table_args__ = (UniqueConstraint("user_id", "role_code", "unit_id"),)
    id: Mapped[int] = mapped_column(primary_key=True)
    user_id: Mapped[int] = mapped_column(ForeignKey("users.id", ondelete="CASCADE"), index=True)
    role_code: Mapped[str] = mapped_column(ForeignKey("roles.code"))
    unit_id: Mapped[int | None] = mapped_column(ForeignKey("units.id"))
    user: Mapped[User] = relationship(back_populates="roles")
    unit: Mapped[Unit | None] = relationship(lazy="joined")


# --- repository: deployed definitions ------------------------------------------------------------

class DefinitionFile(Base):
    """One BPMN or DMN file's exact content; shared by every deployment that contains it unchanged."""
    __tablename__ = "definition_files"
    __table_args__ = (UniqueConstraint("filename", "sha256"),)
    id: Mapped[int] = mapped_column(primary_key=True)
    kind: Mapped[str] = mapped_column(String(8))  # bpmn | dmn
    filename: Mapped[str] = mapped_column(String(200))
    sha256: Mapped[str] = mapped_column(String(64))
    content: Mapped[str] = mapped_column(Text)
    created_at: Mapped[datetime] = mapped_column(AwareDateTime(), default=utcnow)


class Deployment(Base):
    """A complete, consistent set of definition files; instances are pinned to the one they started in."""
    __tablename__ = "deployments"
    id: Mapped[int] = mapped_column(primary_key=True)
    created_at: Mapped[datetime] = mapped_column(AwareDateTime(), default=utcnow)
    created_by: Mapped[str | None] = mapped_column(String(64))
    source: Mapped[str] = mapped_column(String(32), default="cli")
    summary: Mapped[str] = mapped_column(Text, default="")
    files: Mapped[list[DefinitionFile]] = relationship(secondary="deployment_files", lazy="selectin")


class DeploymentFile(Base):
    __tablename__ = "deployment_files"
    deployment_id: Mapped[int] = mapped_column(ForeignKey("deployments.id"), primary_key=True)
    file_id: Mapped[int] = mapped_column(ForeignKey("definition_files.id"), primary_key=True)


class ProcessVersion(Base):
    __tablename__ = "process_versions"
    __table_args__ = (UniqueConstraint("process_key", "version"),)
    id: Mapped[int] = mapped_column(primary_key=True)
    process_key: Mapped[str] = mapped_column(String(128), index=True)
    version: Mapped[int] = mapped_column(Integer)
    name: Mapped[str] = mapped_column(String(200))
    executable: Mapped[bool] = mapped_column(Boolean, default=True)
    file_id: Mapped[int] = mapped_column(ForeignKey("definition_files.id"))
    deployment_id: Mapped[int] = mapped_column(ForeignKey("deployments.id"))
    file: Mapped[DefinitionFile] = relationship()


class DecisionVersion(Base):
    __tablename__ = "decision_versions"
    __table_args__ = (UniqueConstraint("decision_key", "version"),)
    id: Mapped[int] = mapped_column(primary_key=True)
    decision_key: Mapped[str] = mapped_column(String(128), index=True)
    version: Mapped[int] = mapped_column(Integer)
    name: Mapped[str] = mapped_column(String(200))
    file_id: Mapped[int] = mapped_column(ForeignKey("definition_files.id"))
    deployment_id: Mapped[int] = mapped_column(ForeignKey("deployments.id"))


class DiagramDraft(Base):
    """A process owner's unsaved change to a deployed diagram or decision table (the modeler pages):
    one working copy per process or decision, replacing its file when it is deployed."""
    __tablename__ = "diagram_drafts"
    __table_args__ = (UniqueConstraint("kind", "key"),)
    id: Mapped[int] = mapped_column(primary_key=True)
    kind: Mapped[str] = mapped_column(String(8))      # bpmn | dmn
    key: Mapped[str] = mapped_column(String(128))     # process id or decision id
    filename: Mapped[str] = mapped_column(String(200))  # the deployed file the draft replaces
    xml: Mapped[str] = mapped_column(Text)
    base_version: Mapped[int | None] = mapped_column(Integer)  # the version it was opened from
    updated_by: Mapped[str | None] = mapped_column(String(100))
    updated_at: Mapped[datetime] = mapped_column(AwareDateTime(), default=utcnow)


# --- runtime ---------------------------------------------------------------------------------------

class Instance(Base):
    __tablename__ = "instances"
    __table_args__ = (UniqueConstraint("process_key", "business_key"),)
    id: Mapped[int] = mapped_column(primary_key=True)
    process_key: Mapped[str] = mapped_column(String(128), index=True)
    process_version_id: Mapped[int] = mapped_column(ForeignKey("process_versions.id"), index=True)
    deployment_id: Mapped[int] = mapped_column(ForeignKey("deployments.id"))
    business_key: Mapped[str] = mapped_column(String(128))
    title: Mapped[str] = mapped_column(String(300), default="")
    status: Mapped[str] = mapped_column(String(16), default="running", index=True)  # running|completed|suspended|cancelled
    # Serialized SpiffWorkflow state, without the specs; deferred so lists and inboxes never load it.
    state: Mapped[str] = mapped_column(Text, deferred=True)
    lock_version: Mapped[int] = mapped_column(Integer, nullable=False, default=1)
    started_at: Mapped[datetime] = mapped_column(AwareDateTime(), default=utcnow)
    started_by_id: Mapped[int | None] = mapped_column(ForeignKey("users.id"))
    ended_at: Mapped[datetime | None] = mapped_column(AwareDateTime())
    process_version: Mapped[ProcessVersion] = relationship(lazy="joined")

    __mapper_args__ = {"version_id_col": lock_version}


class HumanTask(Base):
    """The inbox index: one row per open (or recently completed) user task."""
    __tablename__ = "human_tasks"
    __table_args__ = (Index("ix_human_tasks_open", "status", "due_at"),)
    id: Mapped[int] = mapped_column(primary_key=True)
    instance_id: Mapped[int] = mapped_column(ForeignKey("instances.id", ondelete="CASCADE"), index=True)
    task_guid: Mapped[str] = mapped_column(String(36), unique=True)
    element_id: Mapped[str] = mapped_column(String(128))
    name: Mapped[str] = mapped_column(String(200))
    status: Mapped[str] = mapped_column(String(16), default="open")  # open|completed|cancelled
    assignee_id: Mapped[int | None] = mapped_column(ForeignKey("users.id"), index=True)
    unit_id: Mapped[int | None] = mapped_column(ForeignKey("units.id"))
    priority: Mapped[int] = mapped_column(Integer, default=50)
    due_at: Mapped[datetime | None] = mapped_column(AwareDateTime())
    follow_up_at: Mapped[datetime | None] = mapped_column(AwareDateTime())
    created_at: Mapped[datetime] = mapped_column(AwareDateTime(), default=utcnow)
    completed_at: Mapped[datetime | None] = mapped_column(AwareDateTime())
    completed_by_id: Mapped[int | None] = mapped_column(ForeignKey("users.id"))
    # Values the form shows (current data and evaluated defaults), so a task page needs no workflow load.
    form_data: Mapped[dict] = mapped_column(JSON, default=dict)
    # Bumped by every change of the row (claim, unclaim, completion): two writers cannot both win.
    lock_version: Mapped[int] = mapped_column(Integer, nullable=False, default=1)
    instance: Mapped[Instance] = relationship(lazy="joined")
    assignee: Mapped[User | None] = relationship(foreign_keys=[assignee_id], lazy="joined")
    unit: Mapped[Unit | None] = relationship(lazy="joined")
    candidates: Mapped[list["TaskCandidate"]] = relationship(cascade="all, delete-orphan", lazy="selectin")


class TaskCandidate(Base):
    __tablename__ = "task_candidates"
    __table_args__ = (Index("ix_task_candidates_lookup", "kind", "value"),)
    id: Mapped[int] = mapped_column(primary_key=True)
    human_task_id: Mapped[int] = mapped_column(ForeignKey("human_tasks.id", ondelete="CASCADE"), index=True)
    kind: Mapped[str] = mapped_column(String(8))  # group | user
    value: Mapped[str] = mapped_column(String(64))


class Timer(Base):
    __tablename__ = "timers"
    __table_args__ = (Index("ix_timers_due", "due_at"),)
    id: Mapped[int] = mapped_column(primary_key=True)
    instance_id: Mapped[int] = mapped_column(ForeignKey("instances.id", ondelete="CASCADE"), index=True)
    task_guid: Mapped[str] = mapped_column(String(36), unique=True)
    element_id: Mapped[str] = mapped_column(String(128))
    name: Mapped[str] = mapped_column(String(200))
    due_at: Mapped[datetime] = mapped_column(AwareDateTime())


class Job(Base):
    """A service task waiting to run (or having run) in the worker."""
    __tablename__ = "jobs"
    __table_args__ = (Index("ix_jobs_runnable", "status", "run_at"),)
    id: Mapped[int] = mapped_column(primary_key=True)
    instance_id: Mapped[int] = mapped_column(ForeignKey("instances.id", ondelete="CASCADE"), index=True)
    task_guid: Mapped[str] = mapped_column(String(36), unique=True)
    element_id: Mapped[str] = mapped_column(String(128))
    name: Mapped[str] = mapped_column(String(200))
    topic: Mapped[str] = mapped_column(String(128))
    parameters: Mapped[dict] = mapped_column(JSON, default=dict)
    status: Mapped[str] = mapped_column(String(16), default="pending")  # pending|running|done|incident|skipped|cancelled
    attempts: Mapped[int] = mapped_column(Integer, default=0)
    max_attempts: Mapped[int] = mapped_column(Integer, default=5)
    run_at: Mapped[datetime] = mapped_column(AwareDateTime(), default=utcnow)
    locked_by: Mapped[str | None] = mapped_column(String(64))
    locked_until: Mapped[datetime | None] = mapped_column(AwareDateTime())
    last_error: Mapped[str | None] = mapped_column(Text)
    result: Mapped[dict | None] = mapped_column(JSON)
    created_at: Mapped[datetime] = mapped_column(AwareDateTime(), default=utcnow)
    finished_at: Mapped[datetime | None] = mapped_column(AwareDateTime())
    instance: Mapped[Instance] = relationship(lazy="joined")


class Incident(Base):
    __tablename__ = "incidents"
    id: Mapped[int] = mapped_column(primary_key=True)
    job_id: Mapped[int] = mapped_column(ForeignKey("jobs.id", ondelete="CASCADE"), index=True)
    instance_id: Mapped[int] = mapped_column(ForeignKey("instances.id", ondelete="CASCADE"), index=True)
    message: Mapped[str] = mapped_column(Text)
    status: Mapped[str] = mapped_column(String(16), default="open")  # open|retried|skipped
    created_at: Mapped[datetime] = mapped_column(AwareDateTime(), default=utcnow)
    resolved_at: Mapped[datetime | None] = mapped_column(AwareDateTime())
    resolved_by_id: Mapped[int | None] = mapped_column(ForeignKey("users.id"))
    job: Mapped[Job] = relationship(lazy="joined")


class SideEffect(Base):
    """Records that a job's external action (a mail, an upload) happened, so a retry does not repeat it."""
    __tablename__ = "side_effects"
    __table_args__ = (UniqueConstraint("job_id", "key"),)
    id: Mapped[int] = mapped_column(primary_key=True)
    job_id: Mapped[int] = mapped_column(ForeignKey("jobs.id", ondelete="CASCADE"))
    key: Mapped[str] = mapped_column(String(200))
    created_at: Mapped[datetime] = mapped_column(AwareDateTime(), default=utcnow)


class AuditEvent(Base):
    __tablename__ = "audit_events"
    id: Mapped[int] = mapped_column(primary_key=True)
    instance_id: Mapped[int | None] = mapped_column(ForeignKey("instances.id", ondelete="CASCADE"), index=True)
    at: Mapped[datetime] = mapped_column(AwareDateTime(), default=utcnow)
    actor_id: Mapped[int | None] = mapped_column(ForeignKey("users.id"))
    actor_name: Mapped[str] = mapped_column(String(100), default="系统")
    action: Mapped[str] = mapped_column(String(32))
    element_id: Mapped[str | None] = mapped_column(String(128))
    element_name: Mapped[str | None] = mapped_column(String(200))
    detail: Mapped[dict | None] = mapped_column(JSON)


class TextBlob(Base):
    """A long text entered in a form; the workflow data keeps only its id."""
    __tablename__ = "text_blobs"
    id: Mapped[int] = mapped_column(primary_key=True)
    instance_id: Mapped[int | None] = mapped_column(ForeignKey("instances.id", ondelete="CASCADE"), index=True)
    content: Mapped[str] = mapped_column(Text)
    created_at: Mapped[datetime] = mapped_column(AwareDateTime(), default=utcnow)


class StoredFile(Base):
    """An uploaded file; the workflow data keeps only its id."""
    __tablename__ = "stored_files"
    id: Mapped[int] = mapped_column(primary_key=True)
    instance_id: Mapped[int | None] = mapped_column(ForeignKey("instances.id", ondelete="CASCADE"), index=True)
    filename: Mapped[str] = mapped_column(String(255))
    content_type: Mapped[str] = mapped_column(String(128))
    size: Mapped[int] = mapped_column(Integer)
    sha256: Mapped[str] = mapped_column(String(64))
    content: Mapped[bytes] = mapped_column(LargeBinary)
    uploaded_by_id: Mapped[int | None] = mapped_column(ForeignKey("users.id"))
    created_at: Mapped[datetime] = mapped_column(AwareDateTime(), default=utcnow)


class Notification(Base):
    """An in-app notice for a user (the bell)."""
    __tablename__ = "notifications"
    __table_args__ = (Index("ix_notifications_user_unread", "user_id", "read_at"),)
    id: Mapped[int] = mapped_column(primary_key=True)
    user_id: Mapped[int] = mapped_column(ForeignKey("users.id", ondelete="CASCADE"))
    instance_id: Mapped[int | None] = mapped_column(ForeignKey("instances.id", ondelete="CASCADE"))
    subject: Mapped[str] = mapped_column(String(300))
    body: Mapped[str] = mapped_column(Text, default="")
    created_at: Mapped[datetime] = mapped_column(AwareDateTime(), default=utcnow)
    read_at: Mapped[datetime | None] = mapped_column(AwareDateTime())


# --- items: the suggestions and proposals themselves (webapp/items) -------------------------------

class Item(Base):
    """A deputy's suggestion or a CPPCC proposal (建议/提案): the business record behind one instance of
    the main process `item_handling`. The vocabularies (types, categories, channels…) and their Chinese
    labels are in `webapp/items/vocabulary.py`. Attachments are not kept here yet."""
    __tablename__ = "items"
    __table_args__ = (UniqueConstraint("item_type", "session", "item_no"),)
    id: Mapped[int] = mapped_column(primary_key=True)
    item_type: Mapped[str] = mapped_column(String(32))        # suggestion | proposal | motion_to_suggestion
    session: Mapped[str] = mapped_column(String(32))          # 届次, e.g. 十七届五次
    timing: Mapped[str] = mapped_column(String(16))           # session | recess | daily
    item_no: Mapped[int] = mapped_column(Integer)             # shown as 第0123号 (items.numbering)
    title: Mapped[str] = mapped_column(String(300))           # 案由
    body: Mapped[str] = mapped_column(Text, default="")
    category: Mapped[str] = mapped_column(String(32), index=True)
    subcategory: Mapped[str | None] = mapped_column(String(64))
    proposer_type: Mapped[str] = mapped_column(String(16))    # individual | joint | collective
    # The lead proposer (领衔人): a user with role `proposer` if he has an account; the name always.
    proposer: Mapped[str | None] = mapped_column(String(64), index=True)
    proposer_name: Mapped[str] = mapped_column(String(200))
    co_signers: Mapped[list] = mapped_column(JSON, default=list)       # usernames (附议人/联名人 with an account)
    co_signer_names: Mapped[list] = mapped_column(JSON, default=list)  # every co-signer's name, in order
    contact: Mapped[str] = mapped_column(String(300), default="")
    suggested_units: Mapped[str] = mapped_column(Text, default="")     # as the proposer wrote it
    source: Mapped[str] = mapped_column(String(32))  # npc_batch | cppcc_batch | npc_platform | cppcc_platform | letter_visit | manual
    is_key: Mapped[bool] = mapped_column(Boolean, default=False)
    key_source: Mapped[str] = mapped_column(String(16), default="none")  # none | npc_cppcc | unit
    key_leader: Mapped[str] = mapped_column(String(100), default="")
    publication_consent: Mapped[bool] = mapped_column(Boolean, default=True)
    proposer_requested_face_to_face: Mapped[bool] = mapped_column(Boolean, default=False)
    received_on: Mapped[date] = mapped_column(Date)
    instance_id: Mapped[int] = mapped_column(ForeignKey("instances.id"), unique=True)
    created_by: Mapped[str | None] = mapped_column(String(64))  # username of whoever registered it
    created_at: Mapped[datetime] = mapped_column(AwareDateTime(), default=utcnow)


class MessageTemplate(Base):
    """A notice's text as two Jinja2 templates (subject and body), named by the `notify` topic's
    `template` parameter and edited by administrators (webapp/messaging/templates.py)."""
    __tablename__ = "message_templates"
    id: Mapped[int] = mapped_column(primary_key=True)
    name: Mapped[str] = mapped_column(String(64), unique=True)
    label: Mapped[str] = mapped_column(String(100))
    subject: Mapped[str] = mapped_column(Text)
    body: Mapped[str] = mapped_column(Text, default="")
    updated_by: Mapped[str | None] = mapped_column(String(100))
    updated_at: Mapped[datetime] = mapped_column(AwareDateTime(), default=utcnow)


# --- clock: work calendar and deadline rules (webapp/clock) ---------------------------------------

class CalendarDay(Base):
    """An administrator's entry for one day, overriding the official schedule and the weekend rule."""
    __tablename__ = "calendar_days"
    id: Mapped[int] = mapped_column(primary_key=True)
    day: Mapped[date] = mapped_column(Date, unique=True)
    is_workday: Mapped[bool] = mapped_column(Boolean)
    note: Mapped[str] = mapped_column(String(200), default="")
    source: Mapped[str] = mapped_column(String(16), default="schedule")  # schedule | closure
    created_by: Mapped[str | None] = mapped_column(String(100))
    created_at: Mapped[datetime] = mapped_column(AwareDateTime(), default=utcnow)


class CalendarYear(Base):
    """A year whose schedule an administrator has entered completely: it counts as covered."""
    __tablename__ = "calendar_years"
    year: Mapped[int] = mapped_column(Integer, primary_key=True, autoincrement=False)
    note: Mapped[str] = mapped_column(String(200), default="")
    entered_by: Mapped[str | None] = mapped_column(String(100))
    entered_at: Mapped[datetime] = mapped_column(AwareDateTime(), default=utcnow)


class ClockRevision(Base):
    """A counter bumped by every change of the calendar data, so each process knows when its cached
    calendar is stale with one cheap query."""
    __tablename__ = "clock_revisions"
    name: Mapped[str] = mapped_column(String(32), primary_key=True)
    revision: Mapped[int] = mapped_column(Integer, default=0)
    changed_at: Mapped[datetime | None] = mapped_column(AwareDateTime())


class DeadlineRule(Base):
    """A named period diagrams refer to, e.g. `${deadline('handling')}`; changed by administrators."""
    __tablename__ = "deadline_rules"
    id: Mapped[int] = mapped_column(primary_key=True)
    name: Mapped[str] = mapped_column(String(64), unique=True)
    label: Mapped[str] = mapped_column(String(100))
    value: Mapped[int] = mapped_column(Integer)
    unit: Mapped[str] = mapped_column(String(16))  # workdays | months | days
    # Deadlines computed on or after this day use this value; earlier ones used the previous value.
    effective_from: Mapped[date] = mapped_column(Date)
    updated_by: Mapped[str | None] = mapped_column(String(100))
    updated_at: Mapped[datetime] = mapped_column(AwareDateTime(), default=utcnow)


class DeadlineRuleChange(Base):
    """The audit trail of a rule: who changed what, when, from which value to which."""
    __tablename__ = "deadline_rule_changes"
    id: Mapped[int] = mapped_column(primary_key=True)
    rule_id: Mapped[int] = mapped_column(ForeignKey("deadline_rules.id", ondelete="CASCADE"), index=True)
    changed_at: Mapped[datetime] = mapped_column(AwareDateTime(), default=utcnow)
    changed_by: Mapped[str | None] = mapped_column(String(100))
    old_value: Mapped[int] = mapped_column(Integer)
    old_unit: Mapped[str] = mapped_column(String(16))
    old_effective_from: Mapped[date] = mapped_column(Date)
    new_value: Mapped[int] = mapped_column(Integer)
    new_unit: Mapped[str] = mapped_column(String(16))
    new_effective_from: Mapped[date] = mapped_column(Date)
    reason: Mapped[str] = mapped_column(Text, default="")


# --- intake channels: spreadsheet batches and the platforms' API (webapp/items/batch.py, web/api.py) ----

class ItemImport(Base):
    """A spreadsheet batch (大会期间批量导入): every row was checked before it was queued; the rows are
    registered in one transaction (all or none) by a background thread, which reports its progress
    here. `rows` holds the checked values until the batch has finished."""
    __tablename__ = "item_imports"
    id: Mapped[int] = mapped_column(primary_key=True)
    filename: Mapped[str] = mapped_column(String(255))
    status: Mapped[str] = mapped_column(String(16), default="running", index=True)  # running | done | failed
    total: Mapped[int] = mapped_column(Integer, default=0)
    done: Mapped[int] = mapped_column(Integer, default=0)
    rows: Mapped[list | None] = mapped_column(JSON)               # [[row number, {field: value}], …]
    problems: Mapped[list] = mapped_column(JSON, default=list)    # [{"row", "column", "message"}, …]
    item_ids: Mapped[list] = mapped_column(JSON, default=list)
    message: Mapped[str] = mapped_column(Text, default="")
    runner: Mapped[str | None] = mapped_column(String(32))  # the run that owns it (a restart takes it over)
    created_by_id: Mapped[int | None] = mapped_column(ForeignKey("users.id"))
    created_by: Mapped[str | None] = mapped_column(String(64))
    created_at: Mapped[datetime] = mapped_column(AwareDateTime(), default=utcnow)
    heartbeat_at: Mapped[datetime | None] = mapped_column(AwareDateTime())
    finished_at: Mapped[datetime | None] = mapped_column(AwareDateTime())


class ApiToken(Base):
    """A platform's bearer token for the intake API. Only the SHA-256 of the token is kept; the token
    itself is shown once, when an administrator creates it. Each token is bound to a source channel
    (npc_platform 代表履职服务平台 or cppcc_platform 智慧政协平台)."""
    __tablename__ = "api_tokens"
    id: Mapped[int] = mapped_column(primary_key=True)
    name: Mapped[str] = mapped_column(String(100))
    source: Mapped[str] = mapped_column(String(32))
    token_hash: Mapped[str] = mapped_column(String(64), unique=True)
    prefix: Mapped[str] = mapped_column(String(16))  # the token's first characters, to tell tokens apart
    created_by: Mapped[str | None] = mapped_column(String(64))
    created_at: Mapped[datetime] = mapped_column(AwareDateTime(), default=utcnow)
    last_used_at: Mapped[datetime | None] = mapped_column(AwareDateTime())
    revoked_at: Mapped[datetime | None] = mapped_column(AwareDateTime())
    revoked_by: Mapped[str | None] = mapped_column(String(64))


class ApiSubmission(Base):
    """An item a platform submitted through the API, with the fingerprint of the request body: the same
    request sent again (a retry) answers with the item instead of a conflict."""
    __tablename__ = "api_submissions"
    id: Mapped[int] = mapped_column(primary_key=True)
    item_id: Mapped[int] = mapped_column(ForeignKey("items.id", ondelete="CASCADE"), unique=True)
    token_id: Mapped[int] = mapped_column(ForeignKey("api_tokens.id"), index=True)
    source: Mapped[str] = mapped_column(String(32))
    fingerprint: Mapped[str] = mapped_column(String(64))
    created_at: Mapped[datetime] = mapped_column(AwareDateTime(), default=utcnow)


# --- reports: spot checks and the statistics snapshot (webapp/reports) ----------------------------

class SpotCheck(Base):
    """抽查 (PROCESS.md §4): the office called the proposer of a replied item and wrote down the answer."""
    __tablename__ = "spot_checks"
    id: Mapped[int] = mapped_column(primary_key=True)
    instance_id: Mapped[int] = mapped_column(ForeignKey("instances.id", ondelete="CASCADE"), index=True)
    unit_id: Mapped[int | None] = mapped_column(ForeignKey("units.id"))  # the unit whose reply was checked
    checked_on: Mapped[date] = mapped_column(Date)
    method: Mapped[str] = mapped_column(String(16), default="phone")  # phone | visit | online
    contacted: Mapped[str] = mapped_column(String(100), default="")  # whom the office spoke to
    satisfaction: Mapped[str] = mapped_column(String(16))  # satisfied | basically | unsatisfied
    note: Mapped[str] = mapped_column(Text, default="")
    checked_by_id: Mapped[int | None] = mapped_column(ForeignKey("users.id"))
    checked_by_name: Mapped[str] = mapped_column(String(100), default="")
    created_at: Mapped[datetime] = mapped_column(AwareDateTime(), default=utcnow)


class StatisticsSnapshot(Base):
    """When the statistics facts were last computed from the process data (one row, id 1), and the
    lease of a worker computing them now."""
    __tablename__ = "statistics_snapshots"
    id: Mapped[int] = mapped_column(primary_key=True, autoincrement=False)
    computed_at: Mapped[datetime | None] = mapped_column(AwareDateTime())
    computed_by: Mapped[str] = mapped_column(String(100), default="")
    duration_ms: Mapped[int] = mapped_column(Integer, default=0)
    item_count: Mapped[int] = mapped_column(Integer, default=0)
    lease_until: Mapped[datetime | None] = mapped_column(AwareDateTime())


class StatisticsItemFact(Base):
    """One item of the main process as the statistics count it (webapp/reports/snapshot.py)."""
    __tablename__ = "statistics_item_facts"
    id: Mapped[int] = mapped_column(primary_key=True)
    instance_id: Mapped[int] = mapped_column(ForeignKey("instances.id", ondelete="CASCADE"), index=True)
    year: Mapped[int] = mapped_column(Integer, index=True)  # the year the item's process started (office time)
    session: Mapped[str] = mapped_column(String(32), default="")
    item_type: Mapped[str] = mapped_column(String(32), default="")
    category: Mapped[str] = mapped_column(String(32), default="")
    intake_decision: Mapped[str | None] = mapped_column(String(16))
    is_key: Mapped[bool] = mapped_column(Boolean, default=False)
    handling_units: Mapped[list] = mapped_column(JSON, default=list)  # unit codes
    status: Mapped[str] = mapped_column(String(16), default="running")


class StatisticsReplyFact(Base):
    """One unit's delivered reply to an item, as the statistics count it."""
    __tablename__ = "statistics_reply_facts"
    id: Mapped[int] = mapped_column(primary_key=True)
    instance_id: Mapped[int] = mapped_column(ForeignKey("instances.id", ondelete="CASCADE"), index=True)
    unit: Mapped[str] = mapped_column(String(64), default="")  # unit code
    result_class: Mapped[str | None] = mapped_column(String(8))
    evaluations: Mapped[list] = mapped_column(JSON, default=list)  # satisfied | basically | unsatisfied, per evaluator
    overdue: Mapped[bool] = mapped_column(Boolean, default=False)
    face_to_face: Mapped[bool] = mapped_column(Boolean, default=False)
    published: Mapped[bool] = mapped_column(Boolean, default=False)
    finished: Mapped[bool] = mapped_column(Boolean, default=False)  # the unit's handling has ended


# --- consultations: the units' records of 先协商后答复, confirmed by the proposer ---------------------

class ConsultationRecord(Base):
    """One consultation of a handling unit with the proposer (办前、办中、面商、办后协商; PROCESS.md §3.5),
    written by the service task `record_consultation` (service_tasks/consultations.py) and confirmed or
    disputed by the lead proposer on the item's page. `job_key` (the service task's run) makes a
    retried job write the row once."""
    __tablename__ = "consultation_records"
    __table_args__ = (UniqueConstraint("instance_id", "job_key"),)
    id: Mapped[int] = mapped_column(primary_key=True)
    item_id: Mapped[int] = mapped_column(ForeignKey("items.id", ondelete="CASCADE"), index=True)
    instance_id: Mapped[int] = mapped_column(ForeignKey("instances.id", ondelete="CASCADE"), index=True)
    job_key: Mapped[str] = mapped_column(String(64))  # the task guid of the service task that wrote it
    unit_code: Mapped[str] = mapped_column(String(64))
    stage: Mapped[str] = mapped_column(String(16))  # before | during | face_to_face | after
    method: Mapped[str] = mapped_column(String(16))  # face_to_face | forum | visit | phone | video | online | written
    held_on: Mapped[date] = mapped_column(Date)
    participants: Mapped[str] = mapped_column(String(200), default="")
    summary: Mapped[str] = mapped_column(Text, default="")
    recorded_by: Mapped[str] = mapped_column(String(100), default="")  # the handler who completed the form
    recorded_at: Mapped[datetime] = mapped_column(AwareDateTime(), default=utcnow)
    status: Mapped[str] = mapped_column(String(16), default="pending")  # pending | confirmed | disputed
    confirmed_by: Mapped[str | None] = mapped_column(String(64))  # username of the proposer who answered
    confirmed_at: Mapped[datetime | None] = mapped_column(AwareDateTime())
    proposer_comment: Mapped[str] = mapped_column(Text, default="")
