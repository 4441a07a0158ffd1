"""Evidence files in the web app: upload, the item's page, and checked views and downloads.

Viewing and downloading are POST forms: each writes a custody entry, so a link on another
site must not be able to make a signed-in user's browser write one. Every file is checked
against its SHA-256 before a byte is sent; a changed or missing file is refused, and the
refusal itself is written to the custody log.
"""

import re
import uuid
from typing import Any
from urllib.parse import quote

from flask import (
    Blueprint,
    current_app,
    flash,
    g,
    redirect,
    render_template,
    request,
    session,
    url_for,
)
from werkzeug.exceptions import RequestEntityTooLarge
from werkzeug.wrappers import Response

from tracker.config import Settings
from tracker.domain.disclosure import DisclosureLevel
from tracker.domain.errors import DisclosureRefused, InvalidInput
from tracker.domain.evidence_files import (
    FileTooLarge,
    human_size,
    most_revealing_level,
    serving_type,
)
from tracker.domain.permissions import Permission
from tracker.forms.evidence import EvidenceUploadForm
from tracker.forms.records import show_error
from tracker.models import Evidence, Incident
from tracker.services import evidence_checks, evidence_files
from tracker.services.evidence_checks import FileCheckFailed, NoStoredFile
from tracker.services.evidence_files import FileUpload, Handler
from tracker.services.evidence_pages import gather_evidence_page, visible_evidence
from tracker.services.evidence_store import EvidenceStore, StorageFull, is_full_disk
from tracker.services.restrictions import get_visible_record
from tracker.web.access import requires
from tracker.web.errors import error_page, too_large
from tracker.web.i18n import _
from tracker.web.record_views import vocabulary_choices

Page = str | tuple[str, int]
# Room for the form's other fields and the multipart framing around the file.
FORM_OVERHEAD_BYTES = 256 * 1024
ASCII_NAME = re.compile(r"[^A-Za-z0-9._-]+")


def make_blueprint() -> Blueprint:
    blueprint = Blueprint("evidence", __name__, url_prefix="/evidence")
    blueprint.url_value_preprocessor(prepare_upload)
    blueprint.register_error_handler(RequestEntityTooLarge, upload_too_large)
    blueprint.register_error_handler(OSError, upload_without_space)
    blueprint.add_app_template_global(blank_upload_form, "evidence_upload_form")
    blueprint.add_app_template_global(size_limit, "evidence_size_limit")

    @blueprint.route("/add/<uuid:incident_id>", methods=["GET", "POST"])
    @requires(Permission.EDIT_RECORDS)
    def upload(incident_id: uuid.UUID) -> Response | Page:
        incident = get_visible_record(g.db, g.viewer, Incident, incident_id)
        form = upload_form()
        if not form.validate_on_submit():
            return render_upload(incident, form, status=400 if form.is_submitted() else 200)
        try:
            added = evidence_files.add_evidence_file(
                g.db, store(), incident_id=incident.id, upload=upload_of(form), handler=handler()
            )
        except InvalidInput as error:
            show_error(form, error)
            return render_upload(incident, form, status=refusal_status(error))
        flash(_("File stored. Its SHA-256 is %(hash)s.", hash=added.original.sha256))
        return redirect(url_for("evidence.show", evidence_id=added.original.id))

    @blueprint.route("/<uuid:evidence_id>")
    @requires(Permission.VIEW_RECORDS)
    def show(evidence_id: uuid.UUID) -> Page:
        include_deleted = g.viewer.may(Permission.RESTORE_RECORDS)
        item = visible_evidence(g.db, g.viewer, evidence_id, include_deleted=include_deleted)
        return render_show(item)

    @blueprint.route("/<uuid:evidence_id>/view", methods=["POST"])
    @requires(Permission.VIEW_IDENTITY)
    def view(evidence_id: uuid.UUID) -> Response | Page:
        item = visible_evidence(g.db, g.viewer, evidence_id)
        return send_checked(item, action="viewed", inline=True, note="opened in the web app")

    @blueprint.route("/<uuid:evidence_id>/download", methods=["POST"])
    @requires(Permission.VIEW_IDENTITY)
    def download(evidence_id: uuid.UUID) -> Response | Page:
        item = visible_evidence(g.db, g.viewer, evidence_id)
        if not item.storage_key:
            return no_file_page()
        level = download_level()
        note = f"downloaded through the web app at the {level.value} level"
        return send_checked(file_to_download(item, level), action="copied", inline=False, note=note)

    return blueprint


# --- upload --------------------------------------------------------------------------------


def settings() -> Settings:
    configured: Settings = current_app.config["TRACKER_SETTINGS"]
    return configured


def store() -> EvidenceStore:
    return EvidenceStore(settings().resolved_evidence_path, max_bytes=settings().evidence_max_bytes)


def prepare_upload(endpoint: str | None, _values: dict[str, Any] | None) -> None:
    """Before the CSRF check reads the form: a signed-in user's upload may be as large as the
    evidence limit (other forms stay small), and its file waits in the evidence folder rather
    than the system's temporary folder.

    A URL value preprocessor, because those run before every before_request hook.
    """
    if endpoint != "evidence.upload" or request.method != "POST" or not session.get("user_id"):
        return
    request.max_content_length = settings().evidence_max_bytes + FORM_OVERHEAD_BYTES
    evidence_store = store()
    # Werkzeug asks the request for a stream per uploaded file; this request's answer is a
    # nameless file in the evidence folder, gone when the request ends or the process dies.
    target = request._get_current_object()  # type: ignore[attr-defined]
    target.__dict__["_get_file_stream"] = lambda *_args, **_kwargs: evidence_store.spool_file()


def upload_too_large(error: RequestEntityTooLarge) -> Page:
    """413 naming the limit; nothing was read past it, so nothing was stored."""
    if request.endpoint != "evidence.upload":
        return too_large(error)
    message = _(
        "The file is larger than the limit of %(limit)s. Nothing was stored.", limit=size_limit()
    )
    page = render_template(
        "errors/error.html", status=413, title=_("File too large"), message=message
    )
    return page, 413


def upload_without_space(error: OSError) -> Page:
    """The disk filled while the upload was received: 507. The file waited in a file without
    a name in the evidence folder, gone with the request, so nothing is left."""
    if request.endpoint != "evidence.upload" or not is_full_disk(error):
        raise error
    message = _("There is not enough space on the server's disk for this file. Nothing was stored.")
    return error_page(507, _("Not enough space"), message)


def refusal_status(error: InvalidInput) -> int:
    """413 for a file above the limit, 507 when the disk is full, else 400."""
    if isinstance(error, FileTooLarge):
        return 413
    return 507 if isinstance(error, StorageFull) else 400


def upload_form(**options: Any) -> EvidenceUploadForm:
    form = EvidenceUploadForm(**options)
    form.kind.choices = vocabulary_choices("evidence_kind", blank=_("From the file's type"))
    return form


def blank_upload_form() -> EvidenceUploadForm:
    """For the incident page: the form empty, whatever that page's request posted."""
    return upload_form(formdata=None)


def upload_of(form: EvidenceUploadForm) -> FileUpload:
    received = form.file.data
    return FileUpload(
        stream=received.stream,
        file_name=received.filename or "",
        title=form.title.data or "",
        kind=form.kind.data or "",
        description=form.description.data or "",
    )


def handler() -> Handler:
    """The signed-in user, from the client's address (ProxyFix gives the real one behind a
    reverse proxy)."""
    return Handler(name=g.user.username, user_id=g.user.id, origin=request.remote_addr or "")


def size_limit() -> str:
    """The largest file accepted, as people read sizes ("100 MB")."""
    return human_size(settings().evidence_max_bytes)


def render_upload(incident: Incident, form: EvidenceUploadForm, *, status: int = 200) -> Page:
    page = render_template("evidence/upload.html", incident=incident, form=form, limit=size_limit())
    return (page, status) if status != 200 else page


# --- the item's page -----------------------------------------------------------------------


def render_show(item: Evidence) -> str:
    level = most_revealing_level(g.viewer.roles)
    return render_template(
        "evidence/show.html",
        page=gather_evidence_page(g.db, g.viewer, item),
        may_view_file=g.viewer.may(Permission.VIEW_IDENTITY),
        download=evidence_files.file_for_level(g.db, item, level) if level else None,
        human_size=human_size,
    )


# --- views and downloads -------------------------------------------------------------------


def download_level() -> DisclosureLevel:
    """The most revealing level the user's roles may take a file out at. Raises
    DisclosureRefused for roles that may take none."""
    level = most_revealing_level(g.viewer.roles)
    if level is None:
        raise DisclosureRefused(_("Your role may not take evidence files out of the tracker."))
    return level


def file_to_download(item: Evidence, level: DisclosureLevel) -> Evidence:
    """The original, or at partner level an image's copy without metadata. Raises
    DisclosureRefused when the level may take neither."""
    chosen = evidence_files.file_for_level(g.db, item, level)
    if chosen is None:
        raise DisclosureRefused(
            _("Your role may download only the copies without metadata that photos get.")
        )
    return chosen


def send_checked(item: Evidence, *, action: str, inline: bool, note: str) -> Response | Page:
    """The file, once its hash matches; its custody entry is committed before it is sent."""
    try:
        stream = evidence_checks.open_checked(store(), item)
    except NoStoredFile:
        return no_file_page()
    except FileCheckFailed as failure:
        return refuse_failed(failure)
    evidence_files.record_custody(
        g.db, item, action, handler(), sha256_seen=item.sha256, note=note, holders=g.user.username
    )
    return file_response(item, stream, inline=inline)


def refuse_failed(failure: FileCheckFailed) -> Page:
    """Record the failed check (kept although the answer is an error), then say so."""
    evidence_checks.record_failed_check(g.db, failure.check, handler(), during="web app")
    g.db.commit()
    item = failure.check.evidence
    message = _(
        "The stored file %(name)s is %(status)s: it no longer matches the SHA-256 taken when it"
        " arrived, so it is not sent. The check is recorded in its custody log; tell an"
        " administrator.",
        name=item.file_name or str(item.id),
        status=_("changed") if failure.check.status == evidence_checks.CHANGED else _("missing"),
    )
    return problem_page(_("File failed its check"), message)


def no_file_page() -> Page:
    return problem_page(_("No file"), _("This item was recorded without a file."))


def problem_page(title: str, message: str) -> Page:
    return render_template("errors/error.html", status=409, title=title, message=message), 409


def file_response(item: Evidence, stream: Any, *, inline: bool) -> Response:
    size = stream.seek(0, 2)
    stream.seek(0)
    response = Response(
        evidence_checks.checked_chunks(stream, item.sha256),
        content_type=serving_type(item.media_type),
        direct_passthrough=True,
    )
    response.content_length = size
    response.headers["Content-Disposition"] = disposition(inline, item.file_name)
    return response


def disposition(inline: bool, file_name: str) -> str:
    """inline or attachment, with an ASCII name and the real one percent-encoded (RFC 6266):
    nothing in a file name can break out of the header."""
    fallback = ASCII_NAME.sub("-", file_name).strip(".-") or "evidence"
    encoded = quote(file_name or "evidence", safe="")
    kind = "inline" if inline else "attachment"
    return f"{kind}; filename=\"{fallback}\"; filename*=UTF-8''{encoded}"
