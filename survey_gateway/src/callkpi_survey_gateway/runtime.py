"""The gateway's settings for this process: read once from ``CALLKPI_SURVEY_*`` (and the
config file), or set by the caller (``serve --core-url``, tests) with :func:`use_gateway_settings`.

Routes take them as a FastAPI dependency (``Depends(gateway_settings)``), so an app can
also override them with ``app.dependency_overrides``.
"""

from __future__ import annotations

from .config import GatewaySettings

_chosen: GatewaySettings | None = None
_loaded: GatewaySettings | None = None


def gateway_settings() -> GatewaySettings:
    """The settings in force: the ones set with :func:`use_gateway_settings`, else the environment's."""
    global _loaded
    if _chosen is not None:
        return _chosen
    if _loaded is None:
        _loaded = GatewaySettings()
    return _loaded


def use_gateway_settings(settings: GatewaySettings | None) -> None:
    """Use ``settings`` from now on (``None``: go back to reading the environment, afresh)."""
    global _chosen, _loaded
    _chosen, _loaded = settings, None
