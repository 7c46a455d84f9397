import secrets

from django.contrib.auth import get_user_model
from django.contrib.auth.password_validation import validate_password
from django.core.exceptions import ValidationError
from django.core.management.base import BaseCommand, CommandError


class Command(BaseCommand):
    help = (
        "Create an account and print a one-time random password for it (the person changes it "
        "after logging in). A study's lead then adds the account to the study by its user name."
    )

    def add_arguments(self, parser):
        parser.add_argument("username")
        parser.add_argument("--email", default="", help="The person's e-mail address.")

    def handle(self, *args, username: str, email: str, **options):
        User = get_user_model()
        try:
            User.username_validator(username)
        except ValidationError as error:
            raise CommandError(
                f"{username!r} is not a valid user name: {' '.join(error.messages)}"
            ) from None
        if User.objects.filter(username=username).exists():
            raise CommandError(f"an account named {username!r} already exists")
        password = secrets.token_urlsafe(12)
        user = User(username=username, email=email)
        validate_password(password, user)
        user.set_password(password)
        user.save()
        self.stdout.write(f"Created {username}. One-time password: {password}")
