"""The odd values every numeric input must refuse clearly (issue 9 §3 and §4).

Shared by the property tests, the per-finding tests and the fuzz of every route.
"""

# Each one once made something answer 500, hang, or store what it could not read back.
ODD_NUMBERS = [
    "1e999990",  # §1: Decimal accepts it; int() of it holds a worker
    "1e10000000",  # §2: a CSV cell that stalled the worker
    "30000",  # §3: grams typed as kilograms
    "1e50",
    "-1e50",
    "1e-50",
    "Infinity",
    "-Infinity",
    "NaN",
    "sNaN",
    "²",  # §4: str.isdigit() says yes, int() says no
    "1²",
    "٣",  # an Arabic-Indic digit: int() reads it as 3
    "-0",
    "99999999999999999999999",  # §4: past every integer column
    "9" * 5000,  # past Python's int() digit limit
    "0x10",
    "1_000",
    "",
    " ",
    "-",
    ".",
    "1,2,3",
    "1.299,90",
]
