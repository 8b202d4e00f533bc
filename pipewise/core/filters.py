"""The base of every list's FilterSet (web and API share one per list)."""

import django_filters
from django_filters.constants import EMPTY_VALUES

ANY_STATUS = "any"
"""The status box's choice for records of every status (an empty box means the open ones)."""

ANY_STATUS_LABEL = "Any status"


class FilterSet(django_filters.FilterSet):
    """A FilterSet that builds its form class once per process, not once per request.

    django-filter derives the form class (labels, fields) from the filters on
    every instantiation; for lists that are hit on every page view that is a
    measurable share of the request. The form class depends only on the
    FilterSet class, so it is cached on it; each form instance still gets its
    own copies of the fields.

    ``defaults=False`` turns the boxes' defaults off (an empty status box then
    filters nothing): for the report builder, whose saved filters say exactly
    what a report counts.
    """

    def __init__(self, data=None, queryset=None, *, defaults: bool = True, **kwargs):
        super().__init__(data, queryset, **kwargs)
        self.defaults = defaults

    def get_form_class(self):
        cls = type(self)
        form_class = cls.__dict__.get("_pipewise_form_class")
        if form_class is None:
            form_class = super().get_form_class()
            cls._pipewise_form_class = form_class
        return form_class

    def kept_statuses(self) -> tuple[str, ...] | None:
        """The statuses a valid filter's status box keeps (None: every status)."""
        return self.filters["status"].kept(self.form.cleaned_data.get("status"))

    @property
    def applies_defaults(self) -> bool:
        """Whether empty boxes mean their defaults: yes, unless turned off or the request
        names one record by its ``external_id`` (a sync finds it whatever its status)."""
        return self.defaults and not self.form.cleaned_data.get("external_id")


class StatusFilter(django_filters.ChoiceFilter):
    """A list's status box: one status, every status (``any``), or — left empty — the open
    work, which is what the box's first option says (``open_label``)."""

    def __init__(self, *, choices, open_statuses, open_label, **kwargs):
        self.open_statuses = tuple(open_statuses)
        self.open_label = open_label
        choices = [*choices, (ANY_STATUS, ANY_STATUS_LABEL)]
        kwargs.setdefault(
            "help_text", f"Left empty: {open_label.lower()}; {ANY_STATUS}: every status."
        )
        super().__init__(choices=choices, empty_label=open_label, **kwargs)

    def kept(self, value) -> tuple[str, ...] | None:
        """The statuses the box's (cleaned) value keeps; None for every status."""
        if value == ANY_STATUS:
            return None
        if value in EMPTY_VALUES:
            return self.open_statuses if self.parent.applies_defaults else None
        return (value,)

    def filter(self, qs, value):
        kept = self.kept(value)
        return qs if kept is None else qs.filter(**{f"{self.field_name}__in": kept})

    def options(self) -> list[tuple[str, str]]:
        """The box's options: the open work first, then each status, then any status. A
        single open status is not listed twice (the first option already is it)."""
        shown = [("", self.open_label)]
        for value, label in self.extra["choices"]:
            if (value,) != self.open_statuses:
                shown.append((value, label))
        return shown
