"""Attachments on a pay app: who may attach, what may be attached, and the page that does it."""

from __future__ import annotations

import datetime as dt
import io
import zipfile

import pytest
from django.core.files.uploadedfile import SimpleUploadedFile
from pytest_django.asserts import assertContains, assertRedirects

from sitebill.billing.models import Attachment, PayApp
from sitebill.billing.services.attachments import (
    ALLOWED_MESSAGE,
    MAX_BYTES,
    attachment_add,
    attachment_delete,
)
from sitebill.billing.services.pay_apps import (
    pay_app_create,
    pay_app_delete,
    pay_app_review,
    pay_app_submit,
)
from sitebill.core.exceptions import Conflict, NotFound, PermissionDenied, ValidationFailed
from sitebill.core.models import Event

PDF = b"%PDF-1.4\n1 0 obj << /Type /Catalog >> endobj\ntrailer << /Root 1 0 R >>\n%%EOF\n"
EXE = b"MZ\x90\x00\x03\x00\x00\x00\x04\x00\x00\x00\xff\xff\x00\x00" + b"\x00" * 64
PNG = b"\x89PNG\r\n\x1a\n" + b"\x00\x00\x00\rIHDR" + b"\x00" * 20
OLE = b"\xd0\xcf\x11\xe0\xa1\xb1\x1a\xe1" + b"\x00" * 100


@pytest.fixture(autouse=True)
def media(settings, tmp_path):
    settings.MEDIA_ROOT = tmp_path
    return tmp_path


def upload(name: str, content: bytes) -> SimpleUploadedFile:
    return SimpleUploadedFile(name, content, content_type="application/octet-stream")


def zipped(*names: str) -> bytes:
    buffer = io.BytesIO()
    with zipfile.ZipFile(buffer, "w") as archive:
        for name in names:
            archive.writestr(name, "<xml/>")
    return buffer.getvalue()


def opendocument(mimetype: str) -> bytes:
    buffer = io.BytesIO()
    with zipfile.ZipFile(buffer, "w") as archive:
        archive.writestr("mimetype", mimetype)
        archive.writestr("content.xml", "<xml/>")
    return buffer.getvalue()


def draft(world) -> PayApp:
    return pay_app_create(
        actor=world.contact, contract=world.commitment, billing_period=world.period
    )


def events(pay_app, action: str) -> int:
    return Event.objects.filter(target_type="payapp", target_id=pay_app.pk, action=action).count()


# --------------------------------------------------------------------------------------------
# The service


def test_a_contact_attaches_a_pdf_to_its_draft(world, media):
    # given
    pay_app = draft(world)
    # when
    attachment = attachment_add(
        actor=world.contact, pay_app=pay_app, file=upload("Lien waiver.pdf", PDF), name=""
    )
    # then
    assert attachment.name == "Lien waiver.pdf"
    assert attachment.uploaded_by == world.contact
    assert attachment.file.name.endswith(".pdf")
    assert "Lien waiver" not in attachment.file.name
    assert (media / attachment.file.name).read_bytes() == PDF
    assert events(pay_app, "attachment_added") == 1
    pay_app.refresh_from_db()
    assert pay_app.version == 1


@pytest.mark.parametrize(
    ("name", "content"),
    [
        ("photo.png", PNG),
        ("photo.jpeg", b"\xff\xd8\xff\xe0" + b"\x00" * 20),
        ("backup.xlsx", zipped("[Content_Types].xml", "xl/workbook.xml")),
        ("letter.docx", zipped("[Content_Types].xml", "word/document.xml")),
        ("sheet.ods", opendocument("application/vnd.oasis.opendocument.spreadsheet")),
        ("invoice.doc", OLE + "WordDocument".encode("utf-16-le")),
    ],
)
def test_images_and_office_documents_are_accepted(world, name, content):
    # given
    pay_app = draft(world)
    # when
    attachment = attachment_add(
        actor=world.contact, pay_app=pay_app, file=upload(name, content), name=""
    )
    # then
    assert attachment.name == name


@pytest.mark.parametrize(
    ("name", "content"),
    [
        ("setup.exe", EXE),
        ("invoice.pdf", EXE),
        ("archive.zip", zipped("payload.bin")),
        ("tricky.docx", zipped("word/document.xml")),
        ("installer.doc", OLE),
        ("notes.txt", b"just some text"),
    ],
)
def test_anything_else_is_refused_by_its_content_and_nothing_is_saved(world, name, content):
    # given
    pay_app = draft(world)
    # when
    with pytest.raises(ValidationFailed) as refused:
        attachment_add(actor=world.contact, pay_app=pay_app, file=upload(name, content), name="")
    # then
    assert refused.value.fields == {"file": [ALLOWED_MESSAGE]}
    assert not Attachment.objects.exists()
    assert events(pay_app, "attachment_added") == 0


def test_a_pdf_named_like_a_program_is_refused(world):
    # given
    pay_app = draft(world)
    # when
    with pytest.raises(ValidationFailed) as refused:
        attachment_add(actor=world.contact, pay_app=pay_app, file=upload("run.exe", PDF), name="")
    # then
    assert refused.value.message == ("The file is a PDF but its name ends in '.exe': name it .pdf.")
    assert not Attachment.objects.exists()


def test_a_file_over_10_mb_is_refused(world):
    # given
    pay_app = draft(world)
    big = upload("big.pdf", PDF + b"0" * (MAX_BYTES - len(PDF) + 1))
    # when
    with pytest.raises(ValidationFailed) as refused:
        attachment_add(actor=world.contact, pay_app=pay_app, file=big, name="")
    # then
    assert refused.value.fields == {"file": ["The file is larger than 10 MB."]}
    assert not Attachment.objects.exists()


def test_read_only_cannot_attach(world):
    # given
    pay_app = draft(world)
    # when / then
    with pytest.raises(PermissionDenied):
        attachment_add(actor=world.read_only, pay_app=pay_app, file=upload("a.pdf", PDF), name="")


def test_another_vendors_contact_gets_not_found(world):
    # given
    pay_app = draft(world)
    # when / then
    with pytest.raises(NotFound):
        attachment_add(
            actor=world.other_contact, pay_app=pay_app, file=upload("a.pdf", PDF), name=""
        )


def test_a_contact_cannot_attach_to_its_draft_after_the_due_date(world):
    # given
    pay_app = draft(world)
    world.period.due_date = dt.date(2020, 1, 31)
    world.period.save(update_fields=["due_date"])
    # when
    with pytest.raises(ValidationFailed) as refused:
        attachment_add(actor=world.contact, pay_app=pay_app, file=upload("a.pdf", PDF), name="")
    # then
    assert refused.value.code == "past_due"
    assert not Attachment.objects.exists()
    attachment_add(actor=world.standard, pay_app=pay_app, file=upload("a.pdf", PDF), name="")


def test_under_review_only_an_admin_attaches_and_nobody_once_approved(world):
    # given
    pay_app = draft(world)
    pay_app_submit(actor=world.contact, pay_app=pay_app, version=1)
    # when / then
    with pytest.raises(Conflict):
        attachment_add(actor=world.contact, pay_app=pay_app, file=upload("a.pdf", PDF), name="")
    attachment_add(actor=world.admin, pay_app=pay_app, file=upload("b.pdf", PDF), name="Backup")
    pay_app.refresh_from_db()
    pay_app_review(actor=world.admin, pay_app=pay_app, version=pay_app.version, status="approved")
    with pytest.raises(Conflict):
        attachment_add(actor=world.admin, pay_app=pay_app, file=upload("c.pdf", PDF), name="")
    assert list(Attachment.objects.values_list("name", flat=True)) == ["Backup"]


def test_deleting_an_attachment_removes_the_file_after_commit(
    world, media, django_capture_on_commit_callbacks
):
    # given
    pay_app = draft(world)
    attachment = attachment_add(
        actor=world.contact, pay_app=pay_app, file=upload("waiver.pdf", PDF), name="Waiver"
    )
    stored = media / attachment.file.name
    # when
    with django_capture_on_commit_callbacks(execute=True):
        attachment_delete(actor=world.contact, attachment=attachment)
    # then
    assert not Attachment.objects.exists()
    assert not stored.exists()
    assert events(pay_app, "attachment_deleted") == 1


def test_deleting_a_draft_removes_its_attachment_files_after_commit(
    world, media, django_capture_on_commit_callbacks
):
    # given a draft with two attachments
    pay_app = draft(world)
    stored = [
        media / attachment_add(actor=world.contact, pay_app=pay_app, file=upload(n, PDF)).file.name
        for n in ("waiver.pdf", "invoice.pdf")
    ]
    assert all(path.exists() for path in stored)
    # when the draft is deleted
    with django_capture_on_commit_callbacks(execute=True):
        pay_app_delete(actor=world.contact, pay_app=pay_app)
    # then the rows and the files are gone
    assert not Attachment.objects.exists()
    assert not any(path.exists() for path in stored)


def test_a_refused_draft_deletion_keeps_the_attachment_files(
    world, media, django_capture_on_commit_callbacks
):
    # given
    pay_app = draft(world)
    attachment = attachment_add(actor=world.contact, pay_app=pay_app, file=upload("w.pdf", PDF))
    stored = media / attachment.file.name
    # when someone who may not delete it tries
    with django_capture_on_commit_callbacks(execute=True), pytest.raises(PermissionDenied):
        pay_app_delete(actor=world.read_only, pay_app=pay_app)
    # then nothing is lost
    assert stored.exists() and Attachment.objects.count() == 1


# --------------------------------------------------------------------------------------------
# The page


def test_the_contact_uploads_a_pdf_and_downloads_it_from_the_page(client, world):
    # given
    pay_app = draft(world)
    client.force_login(world.contact)
    # when
    response = client.post(
        f"/pay-apps/{pay_app.pk}/attachments/",
        {"file": upload("Lien waiver.pdf", PDF), "name": "Conditional waiver"},
        follow=True,
    )
    attachment = Attachment.objects.get()
    download = client.get(f"/pay-apps/{pay_app.pk}/attachments/{attachment.pk}/")
    # then
    assertRedirects(response, f"/pay-apps/{pay_app.pk}/")
    assertContains(response, "File attached.")
    assertContains(
        response,
        f'<a href="/pay-apps/{pay_app.pk}/attachments/{attachment.pk}/">Conditional waiver</a>',
        html=True,
    )
    assertContains(response, "<strong>Attachment added</strong>", html=True)
    assert download.status_code == 200
    assert download["Content-Type"] == "application/pdf"
    assert download["Content-Disposition"] == 'attachment; filename="Conditional waiver.pdf"'
    assert b"".join(download.streaming_content) == PDF


def test_the_page_refuses_an_exe_and_says_why(client, world):
    # given
    pay_app = draft(world)
    client.force_login(world.contact)
    # when
    response = client.post(
        f"/pay-apps/{pay_app.pk}/attachments/", {"file": upload("setup.exe", EXE), "name": ""}
    )
    # then
    assert response.status_code == 400
    assertContains(response, ALLOWED_MESSAGE, status_code=400)
    assert not Attachment.objects.exists()


def test_another_vendors_contact_cannot_see_upload_or_remove(client, world):
    # given
    pay_app = draft(world)
    attachment = attachment_add(
        actor=world.contact, pay_app=pay_app, file=upload("waiver.pdf", PDF), name=""
    )
    client.force_login(world.other_contact)
    base = f"/pay-apps/{pay_app.pk}/attachments/"
    # when
    download = client.get(f"{base}{attachment.pk}/")
    posted = client.post(base, {"file": upload("x.pdf", PDF), "name": ""})
    removed = client.post(f"{base}{attachment.pk}/delete/")
    # then
    assert (download.status_code, posted.status_code, removed.status_code) == (404, 404, 404)
    assert Attachment.objects.count() == 1


def test_the_contact_removes_an_attachment_from_the_page(client, world):
    # given
    pay_app = draft(world)
    attachment = attachment_add(
        actor=world.contact, pay_app=pay_app, file=upload("waiver.pdf", PDF), name="Waiver"
    )
    client.force_login(world.contact)
    # when
    response = client.post(
        f"/pay-apps/{pay_app.pk}/attachments/{attachment.pk}/delete/", follow=True
    )
    # then
    assertContains(response, "Waiver removed.")
    assertContains(response, "No attachments.")
