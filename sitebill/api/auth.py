"""`POST /api/v1/auth/token/`: trade an email and a password for an API token (API.md).

The token is DRF's authtoken (one per user, sent as `Authorization: Token <key>`). Asking again
returns the same token. Wrong email, wrong password and a deactivated account all get the same
400, so the answer never tells whether an email has an account. Five failures for one email from
one address lock that pair out for 15 minutes (429, sitebill/accounts/throttling.py).
"""

from __future__ import annotations

from django.contrib.auth import authenticate
from drf_spectacular.utils import OpenApiResponse, extend_schema, extend_schema_serializer
from rest_framework import serializers, status
from rest_framework.authtoken.models import Token
from rest_framework.parsers import JSONParser
from rest_framework.permissions import AllowAny
from rest_framework.request import Request
from rest_framework.response import Response
from rest_framework.views import APIView

from sitebill.accounts.throttling import throttling_record_success
from sitebill.api.renderers import JSONRenderer
from sitebill.api.serializers import ErrorSerializer, InputSerializer
from sitebill.core.exceptions import ValidationFailed

INVALID_CREDENTIALS = "Unable to log in with the email and password given."


@extend_schema_serializer(component_name="Credentials")
class CredentialsSerializer(InputSerializer):
    email = serializers.EmailField()
    password = serializers.CharField(trim_whitespace=False, style={"input_type": "password"})


class TokenSerializer(serializers.Serializer):
    token = serializers.CharField(read_only=True)


class TokenObtain(APIView):
    # No session authentication here: a browser's session (and its CSRF check) must not decide
    # whether a script may log in.
    authentication_classes = []
    permission_classes = [AllowAny]
    parser_classes = [JSONParser]
    renderer_classes = [JSONRenderer]

    @extend_schema(
        operation_id="auth_token_create",
        tags=["auth"],
        auth=[],
        request=CredentialsSerializer,
        responses={
            200: TokenSerializer,
            400: OpenApiResponse(
                ErrorSerializer, description="Missing fields, or wrong email or password."
            ),
            429: OpenApiResponse(
                ErrorSerializer,
                description="Too many failed log-in attempts for this email from this address.",
            ),
        },
    )
    def post(self, request: Request) -> Response:
        """Exchange an email and password for the user's API token."""
        parsed = CredentialsSerializer(data=request.data)
        parsed.is_valid(raise_exception=True)
        user = authenticate(
            request._request,
            email=parsed.validated_data["email"].lower(),
            password=parsed.validated_data["password"],
        )
        if user is None:
            raise ValidationFailed(INVALID_CREDENTIALS, code="invalid_credentials")
        throttling_record_success(request=request._request, user=user)
        token, _ = Token.objects.get_or_create(user=user)
        return Response({"token": token.key}, status=status.HTTP_200_OK)
