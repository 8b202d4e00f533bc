"""``pipewise token create USERNAME``: issue an API token (printed alone on the last line)."""

from django.contrib.auth import get_user_model
from django.core.management.base import BaseCommand, CommandError
from rest_framework.authtoken.models import Token


class Command(BaseCommand):
    help = "Manage API tokens. 'create USERNAME' replaces the user's token and prints it."

    def add_arguments(self, parser):
        parser.add_argument("action", choices=["create", "revoke"])
        parser.add_argument("username")

    def handle(self, *args, action, username, **options):
        user = get_user_model().objects.filter(username=username).first()
        if user is None:
            raise CommandError(f"No user named {username!r}.")
        if not user.is_active:
            raise CommandError(f"{username!r} is deactivated; tokens are for active users.")
        Token.objects.filter(user=user).delete()
        if action == "revoke":
            self.stdout.write(f"Token of {username} revoked.")
            return
        token = Token.objects.create(user=user)
        self.stderr.write(f"API token for {username} (send it as 'Authorization: Token <key>'):")
        self.stdout.write(token.key)
