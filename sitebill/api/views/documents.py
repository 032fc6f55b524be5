"""Pay app documents over the API (API.md): `GET /api/v1/pay-apps/{id}/pdf/`, `.../csv/`,
`.../xlsx/`.

The answer is the file itself with its content type and `Content-Disposition: attachment;
filename=...` (the same file name the pages give). The pay app is loaded through
`access_pay_app`: 404 for anyone who may not see it, exactly like a missing one; 401 without
credentials. Errors are the usual JSON body whatever the client says it accepts, so a client
asking for `Accept: application/pdf` gets the PDF or a readable error, never a 406.
"""

from __future__ import annotations

from typing import Any

from drf_spectacular.types import OpenApiTypes
from drf_spectacular.utils import OpenApiParameter, OpenApiResponse, extend_schema
from rest_framework.negotiation import BaseContentNegotiation
from rest_framework.request import Request

from sitebill.accounts.access import access_pay_app
from sitebill.api.views import Endpoint, errors
from sitebill.documents import CONTENT_TYPES, pay_app_download

DOCUMENT_TAG = "pay app documents"


class AnswerInJson(BaseContentNegotiation):
    """Serve the file whatever `Accept` says; errors are rendered by the first renderer (JSON)."""

    def select_parser(self, request: Any, parsers: Any) -> Any:
        return parsers[0] if parsers else None

    def select_renderer(self, request: Any, renderers: Any, format_suffix: Any = None) -> Any:
        return renderers[0], renderers[0].media_type


def _schema(fmt: str, summary: str, description: str) -> Any:
    return extend_schema(
        tags=[DOCUMENT_TAG],
        summary=summary,
        description=description,
        parameters=[
            OpenApiParameter(
                "Content-Disposition",
                OpenApiTypes.STR,
                OpenApiParameter.HEADER,
                response=[200],
                description=(
                    "`attachment; filename=<project number>-<commitment number>-pay-app-<n>."
                    f"{fmt}` (slugified)."
                ),
            )
        ],
        responses={
            (200, CONTENT_TYPES[fmt].split(";")[0]): OpenApiResponse(
                OpenApiTypes.BINARY, description=f"The {fmt.upper()} file."
            ),
            **errors(401, 404),
        },
    )


class _Document(Endpoint):
    content_negotiation_class = AnswerInJson


class PayAppPdf(_Document):
    @_schema(
        "pdf",
        "The pay app as a PDF (G702, G703, reasons for difference)",
        "Page 1 is the G702 Application and Certificate for Payment (lines 1-9, change order "
        "summary, certificates); then the G703 Continuation Sheet, one row per line, header "
        "repeated on every page, GRAND TOTAL on the last; then, when lines were rejected, the "
        "Reasons for Difference. Pay apps that are not approved carry a DRAFT watermark.",
    )
    def get(self, request: Request, pay_app_id: int) -> Any:
        return pay_app_download(access_pay_app(request.user, pay_app_id), "pdf").as_attachment()


class PayAppCsv(_Document):
    @_schema(
        "csv",
        "The pay app's G703 rows as CSV",
        "A header row, one row per G703 line (columns A-I, cost code, review status and "
        "reason), then the GRAND TOTAL row. Amounts are plain decimals with two places "
        '("1250.00", "-300.00"); UTF-8, CRLF line ends.',
    )
    def get(self, request: Request, pay_app_id: int) -> Any:
        return pay_app_download(access_pay_app(request.user, pay_app_id), "csv").as_attachment()


class PayAppXlsx(_Document):
    @_schema(
        "xlsx",
        "The pay app's G703 rows as an Excel workbook",
        "Sheet `G703`: the CSV's rows with amounts as numbers formatted `#,##0.00`, header "
        "frozen. Sheet `G702`: lines 1-9 and the change order summary.",
    )
    def get(self, request: Request, pay_app_id: int) -> Any:
        return pay_app_download(access_pay_app(request.user, pay_app_id), "xlsx").as_attachment()
