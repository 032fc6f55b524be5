"""SOV import over the API: `POST /api/v1/commitments/{id}/sov-import/` (multipart `file`).

`?preview=true` parses and validates and saves nothing, answering the rows, the total and every
row-level error (row and column named). Without it the file is imported, all rows or none: any
bad row gives a 400 whose `fields.file` lists the row errors, and nothing is saved.
"""

from __future__ import annotations

from typing import Any

from drf_spectacular.utils import OpenApiParameter, extend_schema, inline_serializer
from rest_framework import serializers, status
from rest_framework.exceptions import UnsupportedMediaType
from rest_framework.parsers import MultiPartParser
from rest_framework.request import Request
from rest_framework.response import Response

from sitebill.accounts.access import Role, access_contract
from sitebill.api.fields import MoneyField, QuantityField
from sitebill.api.views import Endpoint, errors
from sitebill.contracts.sov_import import ImportPreview, sov_import_apply, sov_import_preview
from sitebill.core.exceptions import NotFound, ValidationFailed


class ImportRowOutput(serializers.Serializer):
    row_number = serializers.IntegerField()
    item_number = serializers.CharField()
    description = serializers.CharField()
    cost_code = serializers.CharField()
    scheduled_value = MoneyField()
    quantity = QuantityField(allow_null=True)
    unit = serializers.CharField()
    unit_price = QuantityField(allow_null=True)


class RowErrorOutput(serializers.Serializer):
    row_number = serializers.IntegerField(allow_null=True)
    column = serializers.CharField(allow_null=True)
    message = serializers.CharField()


class ImportPreviewOutput(serializers.Serializer):
    ok = serializers.BooleanField()
    total = MoneyField()
    rows = ImportRowOutput(many=True)
    row_errors = RowErrorOutput(many=True)


_UPLOAD = inline_serializer("SOVImportUpload", {"file": serializers.FileField()})


def _file_of(request: Request) -> Any:
    try:
        upload = request.FILES.get("file")
    except UnsupportedMediaType:
        raise ValidationFailed(
            "Send the CSV or XLSX file as `file` in a multipart/form-data body.",
            fields={"file": ["No file was sent."]},
        ) from None
    if upload is None:
        raise ValidationFailed(
            "Attach the CSV or XLSX file as `file`.", fields={"file": ["No file was sent."]}
        )
    return upload


class CommitmentSOVImport(Endpoint):
    parser_classes = [MultiPartParser]

    @extend_schema(
        operation_id="commitment_sov_import",
        request={"multipart/form-data": _UPLOAD},
        parameters=[
            OpenApiParameter(
                "preview", bool, description="Validate only: answer the rows and errors."
            )
        ],
        responses={
            200: ImportPreviewOutput,
            201: ImportPreviewOutput,
            **errors(400, 401, 403, 404),
        },
        summary="Import SOV lines from a CSV or XLSX file (all rows or none).",
    )
    def post(self, request: Request, commitment_id: int) -> Response:
        contract = access_contract(request.user, commitment_id, at_least=Role.ADMIN)
        if not contract.is_commitment:
            raise NotFound("Commitment not found.")
        upload = _file_of(request)
        preview = sov_import_preview(contract=contract, file=upload, filename=upload.name)
        if request.query_params.get("preview", "").lower() in ("1", "true", "yes"):
            return Response(ImportPreviewOutput(_shape(preview)).data)
        upload.seek(0)
        sov_import_apply(actor=request.user, contract=contract, file=upload, filename=upload.name)
        return Response(ImportPreviewOutput(_shape(preview)).data, status=status.HTTP_201_CREATED)


def _shape(preview: ImportPreview) -> dict[str, Any]:
    return {
        "ok": preview.ok,
        "total": preview.total,
        "rows": preview.rows,
        "row_errors": preview.errors,
    }
