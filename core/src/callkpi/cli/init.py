"""``callkpi init``: create or migrate the store and the HMAC key."""

from __future__ import annotations

from ..store.privacy import open_hasher
from .runtime import DatabaseOption, opened_store, out, settings_for, shown_url


def init(database: DatabaseOption = None) -> None:
    """Create (or migrate) the store and the key that hashes customer numbers."""
    settings = settings_for(database)
    key_existed = settings.hmac_key is not None or settings.key_file.exists()
    with opened_store(settings) as store, store.transaction() as connection:
        open_hasher(connection, settings)
    console = out()
    console.print(f"Store ready: {shown_url(settings.database_url)}")
    if settings.hmac_key:
        console.print("HMAC key: from CALLKPI_HMAC_KEY")
    else:
        made = "existing" if key_existed else "created"
        console.print(
            f"HMAC key ({made}): {settings.key_file.resolve()} — keep it secret and back it up"
        )
