"""E-mail connector: announcements to a mailing list (Sympa, Mailman, an alias) by SMTP
submission, one message per published batch or one digest a day. See
:mod:`connectors.email.connector`."""

from connectors.email.config import EmailConfig
from connectors.email.connector import EmailConnector

__all__ = ["EmailConfig", "EmailConnector"]
