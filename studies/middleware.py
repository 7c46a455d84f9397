from django.shortcuts import render

from studies.crypto import VaultKeyError


class VaultKeyErrorMiddleware:
    """A vault page whose keys are wrong or missing says so, instead of failing with a 500 or
    showing ciphertext; pages that do not open the vault are not affected."""

    def __init__(self, get_response):
        self.get_response = get_response

    def __call__(self, request):
        return self.get_response(request)

    def process_exception(self, request, exception):
        if isinstance(exception, VaultKeyError):
            return render(
                request, "studies/vault/unavailable.html", {"reason": str(exception)}, status=503
            )
        return None
