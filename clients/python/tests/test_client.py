from __future__ import annotations

import threading
import unittest
from datetime import datetime, timezone
from typing import List

from vidhook import AcceptedEvent, Client, DaemonUnreachableError, VidhookError, WebhookVerificationError, verify_webhook

from .support import SECRET, Daemon, Receiver, Sandbox

VIDEO = {"video": {"id": "v_1", "title": "Launch teaser"}, "user": {"id": "u_42"}}


class EmitTest(unittest.TestCase):
    """A client against a real daemon with one webhook destination."""

    receiver: Receiver
    box: Sandbox
    daemon: Daemon
    client: Client

    @classmethod
    def setUpClass(cls) -> None:
        cls.receiver = Receiver()
        cls.box = Sandbox(
            "destinations:\n"
            "  partner:\n"
            "    connector: webhook\n"
            f"    url: {cls.receiver.url}\n"
            f"    secret: {SECRET}\n"
            "    events: [video.*, user.*]\n"
        )
        cls.daemon = Daemon(cls.box, ["--allow-private-targets"])
        cls.client = Client(cls.daemon.url)

    @classmethod
    def tearDownClass(cls) -> None:
        cls.daemon.stop()
        cls.receiver.close()
        cls.box.cleanup()

    def delivered(self, event_id: str) -> dict:
        """The request the receiver got for this event, once it arrives."""
        request = self.receiver.wait_for_request(lambda r: r.headers.get("webhook-id") == event_id)
        return {"headers": request.headers, "body": request.body}

    def test_emit_returns_the_accepted_event_and_the_daemon_delivers_it_signed(self) -> None:
        accepted = self.client.emit("video.generated", VIDEO, id="evt_py_emit")
        self.assertEqual(accepted, AcceptedEvent(id="evt_py_emit", deliveries=1, duplicate=False))
        request = self.delivered("evt_py_emit")
        event = verify_webhook(SECRET, request["headers"], request["body"])
        self.assertEqual(event["id"], "evt_py_emit")
        self.assertEqual(event["data"]["video"]["title"], "Launch teaser")

    def test_a_tampered_body_or_another_secret_does_not_verify(self) -> None:
        self.client.emit("video.generated", VIDEO, id="evt_py_tamper")
        request = self.delivered("evt_py_tamper")
        with self.assertRaisesRegex(WebhookVerificationError, "no matching signature"):
            verify_webhook(SECRET, request["headers"], request["body"].replace(b"Launch", b"Lunch"))
        with self.assertRaisesRegex(WebhookVerificationError, "no matching signature"):
            verify_webhook("whsec_c2VjcmV0LW9mLWFub3RoZXItZW5kcG9pbnQ=", request["headers"], request["body"])

    def test_emit_gives_the_event_an_id_and_keeps_the_timestamp(self) -> None:
        at = datetime(2026, 11, 27, 19, 40, tzinfo=timezone.utc)
        accepted = self.client.emit("user.registered", {"user": {"id": "u_7", "email": "ada@example.com"}}, timestamp=at)
        self.assertRegex(accepted.id, r"^evt_[0-9A-Z]{26}$")
        stored = self.client.request("GET", f"/api/events/{accepted.id}")
        self.assertEqual(stored["event"]["timestamp"], "2026-11-27T19:40:00.000Z")

    def test_a_repeated_id_is_stored_once(self) -> None:
        first = self.client.emit("video.generated", VIDEO, id="evt_py_dup")
        again = self.client.emit("video.generated", VIDEO, id="evt_py_dup")
        self.assertFalse(first.duplicate)
        self.assertEqual(again, AcceptedEvent(id="evt_py_dup", deliveries=1, duplicate=True))

    def test_emit_batch_stores_every_event(self) -> None:
        accepted = self.client.emit_batch(
            [
                {"type": "video.generated", "data": VIDEO, "id": "evt_py_b1"},
                {"type": "session.started", "data": {"session": {"id": "s_1"}, "user": {"id": "u_42"}}},
            ]
        )
        self.assertEqual([a.id for a in accepted][0], "evt_py_b1")
        self.assertEqual([a.deliveries for a in accepted], [1, 0])

    def test_a_bad_event_raises_with_the_code_message_and_each_field(self) -> None:
        with self.assertRaises(VidhookError) as caught:
            self.client.emit("user.registered", {"user": {"id": "u_8", "email": "nope"}})
        error = caught.exception
        self.assertEqual((error.status, error.code), (400, "invalid_event"))
        self.assertIn("data.user.email must look like local@domain", error.message)
        self.assertEqual(error.details, [{"index": 0, "path": "data.user.email", "message": "must look like local@domain"}])

    def test_one_bad_event_refuses_the_whole_batch(self) -> None:
        with self.assertRaises(VidhookError) as caught:
            self.client.emit_batch(
                [
                    {"type": "video.generated", "data": VIDEO, "id": "evt_py_kept_out"},
                    {"type": "video.completed", "data": VIDEO},
                ]
            )
        self.assertEqual(caught.exception.details, [{"index": 1, "path": "data.video.url", "message": "is required"}])
        with self.assertRaises(VidhookError) as missing:
            self.client.request("GET", "/api/events/evt_py_kept_out")
        self.assertEqual((missing.exception.status, missing.exception.code), (404, "not_found"))

    def test_an_unknown_destination_is_named(self) -> None:
        with self.assertRaisesRegex(VidhookError, "unknown destination.*nobody"):
            self.client.emit("video.generated", VIDEO, to=["nobody"])

    def test_a_rotated_secret_signs_alongside_the_new_one(self) -> None:
        hook = Receiver()
        self.addCleanup(hook.close)
        created = self.client.request("POST", "/api/integrations/webhooks", {"url": hook.url, "events": ["session.ended"]})
        rotated = self.client.request("POST", f"/api/integrations/webhooks/{created['id']}/rotate-secret")
        self.client.emit("session.ended", {"session": {"id": "s_2", "durationSec": 90}, "user": {"id": "u_42"}}, id="evt_py_rotated")
        [request] = hook.wait_for(1)
        self.assertEqual(len(request.headers["webhook-signature"].split(" ")), 2)
        for secret in (created["secret"], rotated["secret"]):
            self.assertEqual(verify_webhook(secret, request.headers, request.body)["id"], "evt_py_rotated")


class RestartTest(unittest.TestCase):
    def setUp(self) -> None:
        self.box = Sandbox()
        self.addCleanup(self.box.cleanup)

    def test_emit_keeps_trying_while_the_daemon_restarts(self) -> None:
        daemon = Daemon(self.box)
        port = daemon.port
        self.assertEqual(daemon.stop(), 0)
        client = Client(f"http://127.0.0.1:{port}", retry_for=60)
        results: List[object] = []
        sender = threading.Thread(target=lambda: results.append(self._emit(client)))
        sender.start()  # refused until the daemon is back
        restarted = Daemon(self.box, port=port)
        self.addCleanup(restarted.stop)
        sender.join(timeout=60)
        self.assertEqual(len(results), 1)
        self.assertIsInstance(results[0], AcceptedEvent, results[0])
        self.assertEqual(client.request("GET", f"/api/events/{results[0].id}")["event"]["type"], "video.generated")  # type: ignore[union-attr]

    def test_it_gives_up_after_retry_for_when_nothing_answers(self) -> None:
        daemon = Daemon(self.box)
        daemon.stop()
        with self.assertRaisesRegex(DaemonUnreachableError, f"cannot reach the vidhook daemon at http://127.0.0.1:{daemon.port}"):
            Client(f"http://127.0.0.1:{daemon.port}", retry_for=0.3).emit("video.generated", VIDEO)

    @staticmethod
    def _emit(client: Client) -> object:
        try:
            return client.emit("video.generated", VIDEO)
        except Exception as err:  # handed to the test thread to report
            return err


class RefusalTest(unittest.TestCase):
    @classmethod
    def setUpClass(cls) -> None:
        cls.box = Sandbox()
        # A store budget of 0 MB: the daemon answers 503 with Retry-After to every event.
        cls.daemon = Daemon(cls.box, ["--token", "py-test-token", "--max-store-mb", "0"])

    @classmethod
    def tearDownClass(cls) -> None:
        cls.daemon.stop()
        cls.box.cleanup()

    def test_without_the_token_it_raises_unauthorized(self) -> None:
        with self.assertRaises(VidhookError) as caught:
            Client(self.daemon.url).emit("video.generated", VIDEO)
        self.assertEqual((caught.exception.status, caught.exception.code), (401, "unauthorized"))

    def test_a_503_is_retried_until_retry_for_then_raised(self) -> None:
        with self.assertRaises(VidhookError) as caught:
            Client(self.daemon.url, token="py-test-token", retry_for=0.5).emit("video.generated", VIDEO)
        self.assertEqual((caught.exception.status, caught.exception.code), (503, "unavailable"))
        self.assertIn("over its budget", caught.exception.message)


class InputTest(unittest.TestCase):
    def test_bad_arguments_say_what_to_give(self) -> None:
        with self.assertRaisesRegex(ValueError, "not an http\\(s\\) URL"):
            Client("127.0.0.1:8765")
        client = Client(retry_for=0)
        with self.assertRaisesRegex(ValueError, "a list of destination names"):
            client.emit("video.generated", VIDEO, to="team-slack")  # type: ignore[arg-type]
        with self.assertRaisesRegex(ValueError, "needs a time zone"):
            client.emit("video.generated", VIDEO, timestamp=datetime(2026, 1, 1))


if __name__ == "__main__":
    unittest.main()
