"""Where the code answers differently from DOMAIN.md §4 today: case id -> actual status.

Each is an expected failure (strict): when the code is fixed the case passes and this entry
must be removed. Reported to the lead; do not "fix" the matrix to match these."""

KNOWN_DIVERGENCES: dict[str, int] = {}
