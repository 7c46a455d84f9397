"""The second factor (TOTP) that a custodian passes before the identity vault opens."""

import secrets
from base64 import b32encode
from urllib.parse import quote

import segno
from django.conf import settings
from django.http import HttpRequest, HttpResponse
from django.shortcuts import redirect
from django.urls import reverse
from django.utils.http import urlencode
from django_otp.oath import TOTP

SETUP_KEY = "otp_setup_key"


def second_factor_required(request: HttpRequest) -> HttpResponse | None:
    """A redirect to the second-factor page unless this session has passed it."""
    if request.user.is_verified():
        return None
    return redirect(f"{reverse('second-factor')}?{urlencode({'next': request.get_full_path()})}")


def setup_key(request: HttpRequest) -> str:
    """The hex key offered to this session while it sets up an authenticator app."""
    if SETUP_KEY not in request.session:
        request.session[SETUP_KEY] = secrets.token_hex(20)
    return request.session[SETUP_KEY]


def provisioning_uri(key: str, username: str) -> str:
    issuer = quote(settings.OTP_TOTP_ISSUER)
    secret = b32encode(bytes.fromhex(key)).decode().rstrip("=")
    return f"otpauth://totp/{issuer}:{quote(username)}?secret={secret}&issuer={issuer}&digits=6&period=30"


def qr_data_uri(uri: str) -> str:
    return segno.make(uri, error="m").svg_data_uri(scale=5, border=2)


def key_matches(key: str, token: str) -> bool:
    token = token.strip().replace(" ", "")
    if not token.isdigit():
        return False
    return TOTP(bytes.fromhex(key), step=30, digits=6).verify(int(token), tolerance=1)
