"""Admin helpers shared by every app's ModelAdmin (nothing domain-specific).

`ReadableAutocompleteMixin`: Django's autocomplete widget, when it redraws a form that was
sent back with an unreadable id ("1e50", or 23 nines, in a foreign-key field), looks that id
up as it is and fails (ValueError, or the driver's overflow): the staff member gets a 500
instead of the form's "choose a valid option".
The mixin gives autocomplete fields a widget that drops such ids before the lookup.
"""

from typing import TYPE_CHECKING, Any

from django.contrib import admin
from django.contrib.admin.widgets import AutocompleteSelect
from django.core.exceptions import ValidationError

from allies.core.numbers import INTEGER_RANGES

if TYPE_CHECKING:  # the mixin is only ever mixed into a ModelAdmin
    _MixinBase = admin.ModelAdmin[Any]
else:
    _MixinBase = object


class ReadableAutocompleteSelect(AutocompleteSelect):
    def optgroups(self, name, value, attr=None):
        target = self.field.remote_field.model._meta.get_field(self.field.remote_field.field_name)
        readable = []
        low, high = INTEGER_RANGES.get(target.get_internal_type(), (None, None))
        for choice in value:
            try:
                python = target.to_python(choice)
            except (ValidationError, ValueError, TypeError):
                continue
            if low is not None and not low <= python <= high:
                continue  # past the column: the database driver would overflow
            readable.append(choice)
        return super().optgroups(name, readable, attr)


class ReadableAutocompleteMixin(_MixinBase):
    def formfield_for_foreignkey(self, db_field, request, **kwargs):
        if "widget" not in kwargs and db_field.name in self.get_autocomplete_fields(request):
            kwargs["widget"] = ReadableAutocompleteSelect(
                db_field, self.admin_site, using=kwargs.get("using")
            )
        return super().formfield_for_foreignkey(db_field, request, **kwargs)
