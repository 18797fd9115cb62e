"""API tokens: sign in for one (expiring, hashed at rest), and revoke it or all of one's tokens."""

from __future__ import annotations

from drf_spectacular.utils import extend_schema
from knox.models import AuthToken
from rest_framework import serializers, status
from rest_framework.permissions import AllowAny
from rest_framework.response import Response

from editorial.accounts import sign_in
from editorial.exceptions import InvalidInput

from ..base import EditorialAPIView
from ..serializers.fields import LimitedSerializer


class TokenInput(LimitedSerializer):
    username = serializers.CharField(max_length=150)
    password = serializers.CharField(max_length=4096, trim_whitespace=False)


class TokenOutput(serializers.Serializer):
    token = serializers.CharField()
    expiry = serializers.DateTimeField(allow_null=True)


class TokenView(EditorialAPIView):
    """POST username and password → a new token. Wrong credentials are 400; a username locked out after
    repeated failures is 429 (API.md "Sign-in and signing attempts")."""

    authentication_classes = []
    permission_classes = [AllowAny]

    @extend_schema(request=TokenInput, responses={200: TokenOutput}, auth=[])
    def post(self, request):
        data = TokenInput(data=request.data)
        data.is_valid(raise_exception=True)
        # Django's request: the lockout is counted per username across the web form, the admin and here.
        user = sign_in(
            request._request, data.validated_data["username"], data.validated_data["password"], for_session=False
        )
        if user is None:
            raise InvalidInput(
                "Unable to sign in with these credentials.",
                "invalid_credentials",
                errors={"non_field_errors": ["Unable to sign in with these credentials."]},
            )
        instance, token = AuthToken.objects.create(user)
        return Response(TokenOutput({"token": token, "expiry": instance.expiry}).data, status=status.HTTP_200_OK)


class TokenRevoke(EditorialAPIView):
    """POST: the token this request was made with stops working; `all/`: every token of this user."""

    everywhere = False

    @extend_schema(request=None, responses={204: None})
    def post(self, request):
        if self.everywhere:
            AuthToken.objects.filter(user=request.user).delete()
        elif isinstance(request.auth, AuthToken):
            request.auth.delete()
        return Response(status=status.HTTP_204_NO_CONTENT)
