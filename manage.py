#!/usr/bin/env python
import os
import sys


def main() -> None:
    os.environ.setdefault("DJANGO_SETTINGS_MODULE", "alliance_ta.settings")
    from django.conf import settings
    from django.core.exceptions import ImproperlyConfigured
    from django.core.management import execute_from_command_line

    try:
        # Load the settings before Django does: it would set a configuration mistake aside and
        # fail later with an unrelated error. The operator gets the reason, in one line.
        settings.INSTALLED_APPS  # noqa: B018
        execute_from_command_line(sys.argv)
    except ImproperlyConfigured as error:
        sys.exit(f"alliance-ta cannot start: {error}")


if __name__ == "__main__":
    main()
