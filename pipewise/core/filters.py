"""The base of every list's FilterSet (web and API share one per list)."""

import django_filters


class FilterSet(django_filters.FilterSet):
    """A FilterSet that builds its form class once per process, not once per request.

    django-filter derives the form class (labels, fields) from the filters on
    every instantiation; for lists that are hit on every page view that is a
    measurable share of the request. The form class depends only on the
    FilterSet class, so it is cached on it; each form instance still gets its
    own copies of the fields.
    """

    def get_form_class(self):
        cls = type(self)
        form_class = cls.__dict__.get("_pipewise_form_class")
        if form_class is None:
            form_class = super().get_form_class()
            cls._pipewise_form_class = form_class
        return form_class
