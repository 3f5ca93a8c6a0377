"""Server control as pure logic: policy data, defaults precedence, access checks and allowances.

No Discord and no storage here; refusals are typed values that the ui words.
"""

from .access import AccessRefusal, AccessRefusalKind, check_access
from .allowance import (
    AllowanceKind,
    AllowanceRefusal,
    Settlement,
    check_reservation,
    member_allowance,
    remaining,
    resets_at,
    server_allowance,
    settle,
    usage_day,
)
from .blocklist import find_blocked, normalize_entry, parse_entries
from .defaults import DefaultField, Effective, Source, apply_defaults, effective_view
from .model import (
    AUTO_LANGUAGE,
    REMOVE_ROLE_LIMIT,
    Ceilings,
    ChannelMode,
    ModelDefaults,
    ServerPolicy,
    limit_from_command,
)
from .preferences import MemberPreferences

__all__ = [
    "AUTO_LANGUAGE",
    "REMOVE_ROLE_LIMIT",
    "AccessRefusal",
    "AccessRefusalKind",
    "AllowanceKind",
    "AllowanceRefusal",
    "Ceilings",
    "ChannelMode",
    "DefaultField",
    "Effective",
    "MemberPreferences",
    "ModelDefaults",
    "ServerPolicy",
    "Settlement",
    "Source",
    "apply_defaults",
    "check_access",
    "check_reservation",
    "effective_view",
    "find_blocked",
    "limit_from_command",
    "member_allowance",
    "normalize_entry",
    "parse_entries",
    "remaining",
    "resets_at",
    "server_allowance",
    "settle",
    "usage_day",
]
