"""What every list's FilterSet shares (django-filter).

Each list has one FilterSet in `<app>/filters.py`, applied on top of the
queryset its permission `filter_*` already narrowed; the view pages `fs.qs` and
the list's CSV/XLSX export writes the same `fs.qs`, so a filter shown on the
page is the filter of page 2 and of the download. An invalid value (a
kecamatan id that does not exist, a year "abc") is left out of the filtering
and shown as the field's error, never a 500.
"""

from __future__ import annotations

from collections.abc import Iterator
from typing import Any

import django_filters
from django import forms
from django.utils.choices import BaseChoiceIterator

from .params import MAX_YEAR, MIN_YEAR
from .widgets import QuickSelect


class IntegerFilter(django_filters.NumberFilter):
    field_class = forms.IntegerField


class YearFilter(IntegerFilter):
    """A year (a year field, or `lookup_expr="year"` on a date): bounded by core.params before the query,
    since Django builds `date(year, 1, 1)` for a `__year` lookup and year -1 or 99999 raised a 500 there."""

    def __init__(self, *args: Any, **kwargs: Any) -> None:
        kwargs.setdefault("min_value", MIN_YEAR)
        kwargs.setdefault("max_value", MAX_YEAR)
        super().__init__(*args, **kwargs)


class PortalFilterSet(django_filters.FilterSet):
    """A FilterSet whose form has the portal's small Bootstrap widgets."""

    @property
    def form(self) -> forms.Form:
        if not hasattr(self, "_form"):
            form = super().form
            for name, field in form.fields.items():
                is_select = isinstance(field.widget, forms.Select)
                css = "form-select form-select-sm" if is_select else "form-control form-control-sm"
                field.widget.attrs.setdefault("class", css)
                if isinstance(field, forms.ModelChoiceField):
                    field.widget.choices = Options(field, self.options_queryset(name, field))
                if type(field.widget) is forms.Select:
                    field.widget = QuickSelect(attrs=field.widget.attrs, choices=field.widget.choices)
        return self._form

    def options_queryset(self, name: str, field: forms.ModelChoiceField) -> Any:
        """The objects a model choice filter offers as options (all those it accepts, unless a
        FilterSet narrows what it shows, e.g. to the choice of another filter)."""
        return field.queryset


class Options(BaseChoiceIterator):
    """A model choice field's options, read on first use (a page that only filters — an export, the
    htmx table — never reads them) in one plain query, then kept. Rendering the field's own
    `ModelChoiceIterator` costs a COUNT and a server-side cursor (three round trips) each time a
    template loops over it; a plain list given to a widget is normalised option by option by Django
    (`normalize_choices`: ~20 µs an option), an iterator is taken as it is. Values are text: an id
    rendered as a number would get a thousand separator (1.664)."""

    def __init__(self, field: forms.ModelChoiceField, queryset: Any) -> None:
        self.field = field
        self.queryset = queryset
        self._options: list[tuple[Any, Any]] | None = None

    def _read(self) -> list[tuple[Any, Any]]:
        if self._options is None:
            field = self.field
            options: list[tuple[Any, Any]] = [] if field.empty_label is None else [("", field.empty_label)]
            objects = list(self.queryset) if self.queryset is not None else []
            self._options = options + [(str(obj.pk), field.label_from_instance(obj)) for obj in objects]
        return self._options

    def __iter__(self) -> Iterator[tuple[Any, Any]]:
        return iter(self._read())

    def __len__(self) -> int:
        return len(self._read())


def filterset(cls: type[django_filters.FilterSet], data: Any, queryset: Any, **kwargs: Any) -> Any:
    """`cls(data, queryset=...)` with GET data; an empty query string is an unbound (unfiltered) set."""
    return cls(data or None, queryset=queryset, **kwargs)
