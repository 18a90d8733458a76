"""Import and export (``/admin/transfer``): what the signed-in staff member may download and upload, per entity.

Each export and each import is its own route with its own permission; the
page offers only the ones the staff member holds. The files are those of
:mod:`xtycore.services.transfer` (the same as ``xty export`` / ``xty import``):
exports stream as they are read, imports are checked whole first (a dry run
listing every bad row) and then written in one transaction, recorded in the
audit log as one entry holding each changed object before and after.
"""

from __future__ import annotations

from dataclasses import dataclass, replace
from typing import Any, Callable

from flask import Response, abort, request, stream_with_context
from flask_babel import gettext as _
from flask_babel import lazy_gettext

from xtycore.admin import bp, page
from xtycore.admin.menu import TRANSFER_PERMISSIONS
from xtycore.admin.permissions import SIGNED_IN, can, requires
from xtycore.domain.states import OrderStatus
from xtycore.services import audit, transfer
from xtycore.services.addresses import translated

#: The largest file the import screen accepts, in bytes (larger ones go through ``xty import``).
MAX_IMPORT_BYTES = 2 * 1024 * 1024


@dataclass(frozen=True)
class Entity:
    code: str
    label: Any
    #: what one row of the file is
    row: Any
    export_permission: str
    #: None: the entity is exported only
    import_permission: str | None

    @property
    def filtered(self) -> bool:
        return bool(transfer.EXPORTS[self.code].filter_names)

    @property
    def columns(self):
        return transfer.IMPORTS[self.code].columns if self.import_permission else None


ENTITIES = (
    Entity("stock", lazy_gettext("Stock and prices"), lazy_gettext("one row per variant, found by its SKU"),
           "catalogue.view", "catalogue.edit"),
    Entity("categories", lazy_gettext("Categories"),
           lazy_gettext("one row per category, named by its path, e.g. 茶叶/绿茶"), "catalogue.view", "catalogue.edit"),
    Entity("customers", lazy_gettext("Customers"), lazy_gettext("one row per customer account, found by its email"),
           "customers.view", "customers.edit"),
    Entity("orders", lazy_gettext("Orders"), lazy_gettext("one row per order line"), "orders.view", None),
)


def _may_see(entity: Entity) -> bool:
    return can(entity.export_permission) or bool(entity.import_permission and can(entity.import_permission))


@bp.route("/transfer", endpoint="transfer")
@requires(SIGNED_IN)  # any one of TRANSFER_PERMISSIONS; each action below checks its own
def transfer_page(status: int = 200, error: str | None = None):
    if not any(can(permission) for permission in TRANSFER_PERMISSIONS):
        abort(403)
    return page("transfer.html", status, entities=[entity for entity in ENTITIES if _may_see(entity)],
                statuses=list(OrderStatus), error=error,
                filters={name: request.args.get(name, "") for name in ("since", "until", "status")})


def csv_download(code: str, filters: dict[str, str] | None = None) -> Response:
    """Export ``code`` as a download named ``<code>.csv``, streamed as its rows are read.

    :raises transfer.TransferError: a filter is wrong (before any row is read).
    """
    lines = transfer.export_lines(code, filters)
    return Response(stream_with_context(lines), mimetype="text/csv",
                    headers={"Content-Disposition": f"attachment; filename={code}.csv"})


def _export_view(entity: Entity) -> Callable[[], Any]:
    def export():
        names = transfer.EXPORTS[entity.code].filter_names
        try:
            return csv_download(entity.code, {name: request.args.get(name, "") for name in names})
        except transfer.TransferError as problem:
            return transfer_page(422, translated(problem.message))

    return export


def _uploaded_text() -> str:
    """The CSV to import: the uploaded file on a dry run, the checked text the form carries after it."""
    upload = request.files.get("file")
    raw = upload.read(MAX_IMPORT_BYTES + 1) if upload is not None and upload.filename else \
        request.form.get("content", "").encode("utf-8")
    if not raw.strip():
        raise transfer.TransferError(_("Choose a CSV file to import."))
    if len(raw) > MAX_IMPORT_BYTES:
        raise transfer.TransferError(_("The file is larger than %(size)d MB; import it with xty import.",
                                       size=MAX_IMPORT_BYTES // (1024 * 1024)))
    return transfer.decode(raw)


def _import_audited(entity: Entity, text: str) -> transfer.ImportReport:
    """The import, recorded as one audit entry: each changed object before, and after (with its id)."""
    action = f"{transfer.IMPORTS[entity.code].audit_type}.import"
    with audit.recorded(action, "import", f"{entity.code}.csv") as entry:
        def observe(changes: list[transfer.Change]) -> None:
            # what changes is known only once the file is checked inside the write transaction
            entry.before = {change.key: change.before for change in changes}
            entry.after = lambda session: {change.key: {**change.after, "id": change.target.id}
                                           for change in changes}

        return transfer.import_text(entity.code, text, observe=observe)


def _import_view(entity: Entity) -> Callable[[], Any]:
    def import_file():
        if request.method == "GET":
            return page("transfer_import.html", entity=entity, report=None, errors=[], content="", error=None)
        try:
            text = _uploaded_text()
            report = transfer.import_text(entity.code, text, dry_run=True) if request.form.get("step") != "import" \
                else _import_audited(entity, text)
        except transfer.TransferError as problem:
            return page("transfer_import.html", 422, entity=entity, report=None, errors=[], content="",
                        error=translated(problem.message))
        errors = [replace(error, message=translated(error.message)) for error in report.errors]
        return page("transfer_import.html", 422 if errors else 200, entity=entity, report=report, errors=errors,
                    content=text, error=None)

    return import_file


for _entity in ENTITIES:
    bp.add_url_rule(f"/transfer/{_entity.code}.csv", f"transfer_export_{_entity.code}",
                    requires(_entity.export_permission)(_export_view(_entity)))
    if _entity.import_permission:
        bp.add_url_rule(f"/transfer/{_entity.code}/import", f"transfer_import_{_entity.code}",
                        requires(_entity.import_permission)(_import_view(_entity)), methods=["GET", "POST"])
