"""Demo data: the default help centre. The data migration already loads it into a new
database; the demo calls this after it empties tables, and it adds only what is missing."""

from allies.helpcenter.services import helpcenter_defaults_load


def helpcenter_demo_load() -> int:
    return helpcenter_defaults_load()
