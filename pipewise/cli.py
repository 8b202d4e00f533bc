"""The ``pipewise`` command: Django's management commands plus Pipewise's own.

``pipewise serve``, ``pipewise demo``, ``pipewise import``, ``pipewise export``,
``pipewise token create`` and every ``manage.py`` command (migrate, check, ...).
"""

import os
import sys


def main(argv: list[str] | None = None) -> None:
    os.environ.setdefault("DJANGO_SETTINGS_MODULE", "pipewise.settings")
    from django.core.management import execute_from_command_line

    execute_from_command_line(["pipewise", *(argv if argv is not None else sys.argv[1:])])


if __name__ == "__main__":
    main()
