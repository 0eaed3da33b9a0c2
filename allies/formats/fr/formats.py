"""French date formats: "à" before the time; lower-case month names and abbreviations."""

DATE_FORMAT = "j F Y"
DATETIME_FORMAT = "j F Y à H:i"
SHORT_DATE_FORMAT = "d/m/Y"
SHORT_DATETIME_FORMAT = "d/m/Y H:i"
YEAR_MONTH_FORMAT = "F Y"  # a month: statements, commission invoices
MONTH_DAY_FORMAT = "j F"
# "N" is the abbreviation with its period ("déc.", "mars"), lower case; "M" would capitalise.
MONTH_DAY_SHORT_FORMAT = "j N"
SHORT_DAY_TIME_FORMAT = "d/m H:i"
MONTH_DAY_TIME_FORMAT = "j F à H:i"
WEEKDAY_MONTH_DAY_FORMAT = "l j F"
WEEKDAY_MONTH_DAY_TIME_FORMAT = "l j F à H:i"
WEEKDAY_DATE_FORMAT = "l j F Y"
WEEKDAY_DATETIME_FORMAT = "l j F Y à H:i"
