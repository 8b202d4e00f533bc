"""``{% notification_bell %}``: the bell in the top bar with the unread count (one query)."""

from django import template

from pipewise.activities.selectors import UNREAD_SHOWN, unread_count

register = template.Library()


@register.inclusion_tag("activities/_bell.html", takes_context=True)
def notification_bell(context):
    user = context.get("user")
    count = unread_count(user) if user is not None and user.is_authenticated else 0
    return {
        "unread": count,
        "shown": f"{UNREAD_SHOWN}+" if count > UNREAD_SHOWN else str(count),
    }
