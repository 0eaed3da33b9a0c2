"""Date formats per language (FORMAT_MODULE_PATH): templates name a format, never spell one.

`{{ value|date:"DATETIME_FORMAT" }}` prints "2 décembre 2026 à 16:20" in French and
"2 December 2026, 16:20" in English. Besides Django's standard names (DATE_FORMAT,
DATETIME_FORMAT, SHORT_DATE_FORMAT, SHORT_DATETIME_FORMAT, MONTH_DAY_FORMAT), the project's
own names are listed in `PROJECT_FORMATS`: every language module must define each of them,
because Django prints an unknown format name literally (a test checks it).
"""

PROJECT_FORMATS = (
    "MONTH_DAY_SHORT_FORMAT",  # "2 déc." / "2 Dec." (lower case in French, mid-sentence)
    "SHORT_DAY_TIME_FORMAT",  # "02/12 16:20": tables of deadlines (the console's queue)
    "MONTH_DAY_TIME_FORMAT",  # "2 décembre à 16:20" / "2 December, 16:20"
    "WEEKDAY_MONTH_DAY_FORMAT",  # "mercredi 2 décembre" / "Wednesday 2 December"
    "WEEKDAY_MONTH_DAY_TIME_FORMAT",  # "mercredi 2 décembre à 16:20"
    "WEEKDAY_DATE_FORMAT",  # "mercredi 2 décembre 2026"
    "WEEKDAY_DATETIME_FORMAT",  # "mercredi 2 décembre 2026 à 16:20"
)
