"""WordPress connector: the programme page, updated in place, and news posts for changes.

REST API with an application password by default; XML-RPC (python-wordpress-xmlrpc) for sites
that disabled REST. See :mod:`connectors.wordpress.connector`.
"""

from connectors.wordpress.config import WordPressConfig
from connectors.wordpress.connector import WordPressConnector

__all__ = ["WordPressConfig", "WordPressConnector"]
