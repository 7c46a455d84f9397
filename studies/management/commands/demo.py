from django.conf import settings
from django.core.management.base import BaseCommand, CommandError

from studies.demo import DEMO_PASSWORD, DEMO_TOTP_KEY, demo_build
from studies.second_factor import provisioning_uri


class Command(BaseCommand):
    help = (
        "Create or refresh the demo study and its users (custodian, lead, coder_a, coder_b, viewer), "
        "all with a published password. Safe to run again. Refuses to run with DEBUG off unless "
        "--allow-without-debug is given, since the demo accounts' password is public."
    )

    def add_arguments(self, parser):
        parser.add_argument(
            "--allow-without-debug",
            action="store_true",
            help="Create the demo accounts even though DEBUG is off.",
        )

    def handle(self, *args, allow_without_debug: bool, **options):
        if not settings.DEBUG and not allow_without_debug:
            raise CommandError(
                "DEBUG is off: the demo accounts have a public password; pass --allow-without-debug to insist"
            )
        study, logins = demo_build()
        self.stdout.write(f"Demo study: {study.title} (/s/{study.slug}/)")
        self.stdout.write(f"Demo logins (password for all: {DEMO_PASSWORD}):")
        for username, role in logins:
            self.stdout.write(f"  {username:<10} {role.label}")
        uri = provisioning_uri(DEMO_TOTP_KEY, "custodian")
        secret = uri.split("secret=")[1].split("&")[0]
        self.stdout.write(
            f"The vault asks custodian for a second factor: add the key {secret} to an authenticator app"
            f" (or: oathtool --totp -b {secret})."
        )
