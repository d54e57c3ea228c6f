"""The kind of network a visit comes from, which decides whether it is an account."""

from __future__ import annotations

from enum import StrEnum


class ConnectionClass(StrEnum):
    """Where a visit comes from. Only `business` (and, per site, `education` and
    `government`) visits create or update accounts."""

    BUSINESS = "business"
    ISP = "isp"
    MOBILE = "mobile"
    HOSTING = "hosting"
    EDUCATION = "education"
    GOVERNMENT = "government"
    UNKNOWN = "unknown"
