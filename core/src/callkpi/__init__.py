"""callkpi: vendor-neutral contact-centre KPIs.

Plugins implement the hooks in :mod:`callkpi.hookspecs` and mark them with
:data:`hookimpl`.
"""

import pluggy

__version__ = "0.1.0"

PROJECT_NAME = "callkpi"
hookimpl = pluggy.HookimplMarker(PROJECT_NAME)

__all__ = ["PROJECT_NAME", "__version__", "hookimpl"]
