"""Backup documents on a pay app: lien waivers, invoices, photos.

Invariants:
- The same people attach and remove files as edit the lines (`transitions.check_edit`): contacts
  and Standard users in Draft or Revise & Resubmit, Admins in any status that is not approved;
  only on the latest pay app of the commitment; a contact's Draft not after the due date. Read
  Only users never.
- A file is at most `MAX_BYTES` and must BE a PDF, an image or an office document: its first
  bytes are read (a renamed .exe stays an .exe), and its name must end with an extension of the
  kind found. The stored file gets a random name with that extension; the person's file name is
  kept only as the display name.
- Attaching and removing append an Event on the pay app, so they show in its history. They do
  not bump the pay app's `version`: a lien waiver does not change a figure, and someone
  editing the grid at the same time must not get a conflict for it.

Choices where DOMAIN.md is silent: office documents are Word, Excel and PowerPoint (OOXML and
the legacy binary formats) and OpenDocument; CSV and plain text are refused (no signature to
check); a legacy binary document must hold a Word, Excel or PowerPoint stream, so other OLE2
files (an .msi installer) are refused.
"""

from __future__ import annotations

import posixpath
import uuid
import zipfile
from typing import IO, Any

from django.core.files.base import File
from django.db import transaction
from django.utils import timezone

from sitebill.accounts.access import Role, require_role
from sitebill.billing import transitions
from sitebill.billing.models import Attachment, PayApp
from sitebill.core.events import record_event
from sitebill.core.exceptions import Conflict, NotFound, ValidationFailed

MAX_BYTES = 10 * 1024 * 1024

#: Sniffed kind -> (label, extensions a file of that kind may have, extension it is stored with).
KINDS: dict[str, tuple[str, tuple[str, ...], str]] = {
    "pdf": ("PDF", (".pdf",), ".pdf"),
    "png": ("PNG image", (".png",), ".png"),
    "jpeg": ("JPEG image", (".jpg", ".jpeg"), ".jpg"),
    "gif": ("GIF image", (".gif",), ".gif"),
    "webp": ("WebP image", (".webp",), ".webp"),
    "tiff": ("TIFF image", (".tif", ".tiff"), ".tif"),
    "docx": ("Word document", (".docx", ".docm"), ".docx"),
    "xlsx": ("Excel workbook", (".xlsx", ".xlsm"), ".xlsx"),
    "pptx": ("PowerPoint presentation", (".pptx",), ".pptx"),
    "odf": ("OpenDocument file", (".odt", ".ods", ".odp"), ""),
    "ole": ("Office document", (".doc", ".xls", ".ppt"), ""),
}
CONTENT_TYPES = {
    ".pdf": "application/pdf",
    ".png": "image/png",
    ".jpg": "image/jpeg",
    ".gif": "image/gif",
    ".webp": "image/webp",
    ".tif": "image/tiff",
    ".docx": "application/vnd.openxmlformats-officedocument.wordprocessingml.document",
    ".xlsx": "application/vnd.openxmlformats-officedocument.spreadsheetml.sheet",
    ".pptx": "application/vnd.openxmlformats-officedocument.presentationml.presentation",
    ".odt": "application/vnd.oasis.opendocument.text",
    ".ods": "application/vnd.oasis.opendocument.spreadsheet",
    ".odp": "application/vnd.oasis.opendocument.presentation",
    ".doc": "application/msword",
    ".xls": "application/vnd.ms-excel",
    ".ppt": "application/vnd.ms-powerpoint",
}
ALLOWED_MESSAGE = "Attach a PDF, an image (PNG, JPEG, GIF, WebP, TIFF) or an office document."
_OLE_MAGIC = b"\xd0\xcf\x11\xe0\xa1\xb1\x1a\xe1"
_OLE_STREAMS = tuple(
    name.encode("utf-16-le") for name in ("WordDocument", "Workbook", "Book", "PowerPoint Document")
)


def attachment_add(*, actor: Any, pay_app: PayApp, file: Any, name: str = "") -> Attachment:
    """Attach `file` (an uploaded file) to `pay_app`, named `name` or after the file."""
    original = posixpath.basename(str(getattr(file, "name", "") or "").replace("\\", "/"))
    display = " ".join((name or original).split())[:200]
    if not display:
        raise ValidationFailed("Give the file a name.", fields={"name": ["Give it a name."]})
    size = getattr(file, "size", None)
    if size is None:
        file.seek(0, 2)
        size = file.tell()
    if size > MAX_BYTES:
        raise ValidationFailed(
            "The file is larger than 10 MB.", fields={"file": ["The file is larger than 10 MB."]}
        )
    if size == 0:
        raise ValidationFailed("The file is empty.", fields={"file": ["The file is empty."]})
    extension = _stored_extension(file, original)
    with transaction.atomic():
        locked = _lock_for_attachments(actor=actor, pay_app=pay_app)
        attachment = Attachment(pay_app=locked, name=display, uploaded_by=actor)
        file.seek(0)
        attachment.file.save(f"{uuid.uuid4().hex}{extension}", File(file), save=False)
        stored_name = attachment.file.name
        # The file is written before the row: if writing the row fails, remove the file.
        try:
            attachment.save()
            record_event(
                actor=actor,
                target=locked,
                action="attachment_added",
                project=locked.contract.project,
                changes={"attachment": (None, display)},
            )
        except Exception:
            attachment.file.storage.delete(stored_name)
            raise
    return attachment


def attachment_delete(*, actor: Any, attachment: Attachment) -> None:
    """Remove an attachment; the file goes once the transaction commits."""
    with transaction.atomic():
        locked = _lock_for_attachments(actor=actor, pay_app=attachment.pay_app)
        current = Attachment.objects.filter(pk=attachment.pk, pay_app=locked).first()
        if current is None:
            raise NotFound("Attachment not found.")
        storage, stored_name = current.file.storage, current.file.name
        record_event(
            actor=actor,
            target=locked,
            action="attachment_deleted",
            project=locked.contract.project,
            changes={"attachment": (current.name, None)},
        )
        current.delete()
        if stored_name:
            transaction.on_commit(lambda: storage.delete(stored_name))


def attachment_content_type(attachment: Attachment) -> str:
    extension = posixpath.splitext(attachment.file.name or "")[1].lower()
    return CONTENT_TYPES.get(extension, "application/octet-stream")


def _lock_for_attachments(*, actor: Any, pay_app: PayApp) -> PayApp:
    locked = (
        PayApp.objects.select_for_update()
        .select_related("contract", "contract__project", "billing_period")
        .get(pk=pay_app.pk)
    )
    role = require_role(actor, locked.contract, Role.CONTACT)
    transitions.check_edit(role, locked.status)
    due = locked.billing_period.due_date
    if role == Role.CONTACT and locked.status == PayApp.Status.DRAFT and timezone.localdate() > due:
        raise ValidationFailed(
            f"The due date ({due:%b %d, %Y}) has passed: a Draft can no longer be changed by "
            "the vendor. Ask the contractor.",
            code="past_due",
        )
    latest = locked.contract.pay_apps.order_by("-number").values_list("pk", flat=True).first()
    if latest != locked.pk:
        raise Conflict(
            "Only the latest pay app of a commitment takes attachments.", code="not_latest"
        )
    return locked


def _stored_extension(file: IO[bytes], original: str) -> str:
    """The extension the file is stored with, from its content; refuses anything else."""
    kind = sniff(file)
    extension = posixpath.splitext(original)[1].lower()
    if kind is None:
        raise ValidationFailed(ALLOWED_MESSAGE, fields={"file": [ALLOWED_MESSAGE]})
    label, extensions, stored = KINDS[kind]
    if extension not in extensions:
        message = (
            f"The file is a {label} but its name ends in '{extension or '(nothing)'}': "
            f"name it {' or '.join(extensions)}."
        )
        raise ValidationFailed(message, fields={"file": [message]})
    return stored or extension


def sniff(file: IO[bytes]) -> str | None:
    """The kind of document `file` holds (a key of `KINDS`), from its bytes; None if other."""
    file.seek(0)
    head = file.read(16)
    file.seek(0)
    if head.startswith(b"%PDF-"):
        return "pdf"
    if head.startswith(b"\x89PNG\r\n\x1a\n"):
        return "png"
    if head.startswith(b"\xff\xd8\xff"):
        return "jpeg"
    if head.startswith((b"GIF87a", b"GIF89a")):
        return "gif"
    if head.startswith(b"RIFF") and head[8:12] == b"WEBP":
        return "webp"
    if head.startswith((b"II*\x00", b"MM\x00*")):
        return "tiff"
    if head.startswith(b"PK\x03\x04"):
        return _sniff_zip(file)
    if head.startswith(_OLE_MAGIC):
        data = file.read()
        file.seek(0)
        return "ole" if any(stream in data for stream in _OLE_STREAMS) else None
    return None


def _sniff_zip(file: IO[bytes]) -> str | None:
    """OOXML (Word, Excel, PowerPoint) or OpenDocument; any other zip is refused."""
    try:
        with zipfile.ZipFile(file) as archive:
            names = set(archive.namelist())
            if "[Content_Types].xml" in names:
                if "word/document.xml" in names:
                    return "docx"
                if "xl/workbook.xml" in names:
                    return "xlsx"
                if "ppt/presentation.xml" in names:
                    return "pptx"
                return None
            if "mimetype" in names:
                mimetype = archive.read("mimetype")[:100]
                if mimetype.startswith(b"application/vnd.oasis.opendocument."):
                    return "odf"
            return None
    except (zipfile.BadZipFile, OSError, KeyError):
        return None
    finally:
        file.seek(0)
