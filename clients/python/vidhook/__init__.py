"""vidhook for Python: send product events to a vidhook daemon, verify the webhooks it signs.

    from vidhook import Client

    client = Client()  # http://127.0.0.1:8765
    client.emit("video.generated", {"video": {"id": "v_1", "title": "Launch teaser"}, "user": {"id": "u_42"}})
"""

from .client import AcceptedEvent, Client, DaemonUnreachableError, VidhookError, new_event_id
from .webhooks import TOLERANCE_SECONDS, WebhookVerificationError, verify_webhook

__all__ = [
    "Client",
    "AcceptedEvent",
    "VidhookError",
    "DaemonUnreachableError",
    "new_event_id",
    "verify_webhook",
    "WebhookVerificationError",
    "TOLERANCE_SECONDS",
]
__version__ = "0.1.0"
