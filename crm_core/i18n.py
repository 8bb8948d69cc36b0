"""Translation markers for the domain layer.

crm_core never translates: it marks user-facing texts with ``N_`` so that Babel extracts
them, and the presentation layer translates them at render time.
"""


def N_(message: str) -> str:
    return message
