"""Form widgets that write their HTML in Python: the same HTML as Django's widget templates.

Django renders each widget through its template engine — a `<select>` is select.html, one
select_option.html per option and an attrs.html for each of them: ~0.7–1 ms for a small filter
select here, 2–3 ms for a list's filter row on every view of the page. These widgets build the same
context (`get_context`, so ids, `selected`, `required` and the attributes are Django's own) and
write the markup of those templates directly. A widget whose template was changed is rendered by
its template as before.
"""

from __future__ import annotations

from typing import Any

from django import forms
from django.utils.formats import localize
from django.utils.html import conditional_escape
from django.utils.safestring import SafeString, mark_safe
from django.utils.timezone import template_localtime  # type: ignore[attr-defined]  # not in django-stubs


def _text(value: Any) -> str:
    """`{{ value }}` in an autoescaping template: local time, localised, escaped."""
    value = localize(template_localtime(value))
    return str(conditional_escape(value if isinstance(value, str) else str(value)))


def _attr(value: Any) -> str:
    """`{{ value|stringformat:'s' }}`: as text, escaped unless already safe."""
    return str(conditional_escape(value if isinstance(value, SafeString) else str(value)))


def _attrs(attrs: dict[str, Any]) -> str:
    """django/forms/widgets/attrs.html."""
    return "".join(
        f" {_text(name)}" if value is True else f' {_text(name)}="{_attr(value)}"'
        for name, value in attrs.items()
        if value is not False
    )


class QuickSelect(forms.Select):
    """`forms.Select` rendered without the template engine (select.html, select_option.html)."""

    def render(self, name: str, value: Any, attrs: Any = None, renderer: Any = None) -> SafeString:
        if (self.template_name, self.option_template_name) != (
            forms.Select.template_name,
            forms.Select.option_template_name,
        ):
            return super().render(name, value, attrs, renderer)
        fast = self._plain_options(value)
        if fast is not None:  # the usual filter select: no groups, Django's own options
            attrs = self.build_attrs(self.attrs, attrs)
            if self.allow_multiple_selected:
                attrs["multiple"] = True
            return mark_safe(f'<select name="{_text(name)}"{_attrs(attrs)}>{"".join(fast)}\n</select>')  # noqa: S308 - escaped
        widget = self.get_context(name, value, attrs)["widget"]
        out = [f'<select name="{_text(widget["name"])}"{_attrs(widget["attrs"])}>']
        for group_name, group_choices, _index in widget["optgroups"]:
            if group_name:
                out.append(f'\n  <optgroup label="{_text(group_name)}">')
            for option in group_choices:
                out.append(
                    f'\n  <option value="{_attr(option["value"])}"{_attrs(option["attrs"])}>'
                    f"{_text(option['label'])}</option>\n"  # select_option.html ends with a newline
                )
            if group_name:
                out.append("\n  </optgroup>")
        out.append("\n</select>")
        return mark_safe("".join(out))  # noqa: S308 - every value escaped above

    def _plain_options(self, value: Any) -> list[str] | None:
        """The options of a select without groups, written as `optgroups` and select_option.html would
        (the first matching option selected, unless several may be): ~3x cheaper than building
        Django's option dicts, which a select of a thousand kelurahan or BKMs pays on every view.
        None when there are groups or a subclass builds its own options."""
        if type(self).create_option is not forms.Select.create_option:
            return None
        chosen = set(self.format_value(value))
        out: list[str] = []
        has_selected = False
        for option_value, label in self.choices:
            if isinstance(label, list | tuple):
                return None
            option_value = "" if option_value is None else option_value
            selected = (not has_selected or self.allow_multiple_selected) and str(option_value) in chosen
            has_selected |= selected
            out.append(
                f'\n  <option value="{_attr(option_value)}"{" selected" if selected else ""}>{_text(label)}</option>\n'
            )
        return out


def _input(widget: dict[str, Any]) -> SafeString:
    """django/forms/widgets/input.html."""
    shown = "" if widget["value"] is None else f' value="{_attr(widget["value"])}"'
    return mark_safe(  # noqa: S308 - every value escaped
        f'<input type="{_text(widget["type"])}" name="{_text(widget["name"])}"{shown}{_attrs(widget["attrs"])}>'
    )


class QuickTextInput(forms.TextInput):
    """`forms.TextInput` rendered without the template engine (text.html, which is input.html)."""

    def render(self, name: str, value: Any, attrs: Any = None, renderer: Any = None) -> SafeString:
        if self.template_name != forms.TextInput.template_name:
            return super().render(name, value, attrs, renderer)
        return _input(self.get_context(name, value, attrs)["widget"])


class QuickHiddenInput(forms.HiddenInput):
    """`forms.HiddenInput` rendered without the template engine (hidden.html, which is input.html)."""

    def render(self, name: str, value: Any, attrs: Any = None, renderer: Any = None) -> SafeString:
        if self.template_name != forms.HiddenInput.template_name:
            return super().render(name, value, attrs, renderer)
        return _input(self.get_context(name, value, attrs)["widget"])


class QuickClearableFileInput(forms.ClearableFileInput):
    """`forms.ClearableFileInput` without a current file, rendered without the template engine: then
    clearable_file_input.html writes only its `<input>` (a current file goes to the template)."""

    def render(self, name: str, value: Any, attrs: Any = None, renderer: Any = None) -> SafeString:
        widget = self.get_context(name, value, attrs)["widget"]
        if self.template_name != forms.ClearableFileInput.template_name or widget["is_initial"]:
            return super().render(name, value, attrs, renderer)
        return _input({**widget, "value": None})
