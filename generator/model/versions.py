"""Criteria versions: MAJOR.MINOR.PATCH strings compared as numbers."""


def parse_version(text: str) -> tuple[int, int, int]:
    major, minor, patch = (int(part) for part in text.split("."))
    return major, minor, patch
