"""HumHub: the programme's sessions as calendar entries of a space, announcements as its posts."""

from connectors.humhub.config import HumHubConfig
from connectors.humhub.connector import HumHubConnector

__all__ = ["HumHubConfig", "HumHubConnector"]
