"""verify_webhook against the Standard Webhooks reference library's test vectors
(standard-webhooks/standard-webhooks, libraries/javascript/src/webhook.test.ts)."""

from __future__ import annotations

import base64
import hashlib
import hmac
import time
import unittest

from vidhook import WebhookVerificationError, verify_webhook

SECRET = "whsec_MfKQ9r8GKYqrTwjUPD8ILPZIo2LaLaSw"
MSG_ID = "msg_p5jXN8AQM9LWM0D4loKWxJek"
PAYLOAD = '{"test": 2432232314}'
# The spec's signing vector: this secret, id, timestamp and payload sign to this value.
SIGNED_AT = 1614265330
SIGNATURE = "v1,g0hM9SsE+OTPJTGt/tmIKtSyZlE3uFJELVlNIOLJ1OE="


def headers_at(timestamp: int) -> dict:
    """Headers signed now-ish, as the reference tests build them."""
    key = base64.b64decode(SECRET[len("whsec_"):])
    digest = hmac.new(key, f"{MSG_ID}.{timestamp}.{PAYLOAD}".encode(), hashlib.sha256).digest()
    return {"webhook-id": MSG_ID, "webhook-timestamp": str(timestamp), "webhook-signature": "v1," + base64.b64encode(digest).decode()}


class VectorTest(unittest.TestCase):
    def test_the_signing_vector_verifies_at_its_time(self) -> None:
        headers = {"webhook-id": MSG_ID, "webhook-timestamp": str(SIGNED_AT), "webhook-signature": SIGNATURE}
        self.assertEqual(verify_webhook(SECRET, headers, PAYLOAD, now=SIGNED_AT), {"test": 2432232314})
        self.assertEqual(verify_webhook(SECRET, headers, PAYLOAD.encode(), now=SIGNED_AT + 300), {"test": 2432232314})

    def test_the_signing_vector_is_too_old_today(self) -> None:
        headers = {"webhook-id": MSG_ID, "webhook-timestamp": str(SIGNED_AT), "webhook-signature": SIGNATURE}
        with self.assertRaisesRegex(WebhookVerificationError, "too old"):
            verify_webhook(SECRET, headers, PAYLOAD)

    def test_a_valid_signature_returns_the_json(self) -> None:
        self.assertEqual(verify_webhook(SECRET, headers_at(int(time.time())), PAYLOAD), {"test": 2432232314})

    def test_the_secret_works_with_and_without_its_prefix(self) -> None:
        headers = headers_at(int(time.time()))
        verify_webhook(SECRET, headers, PAYLOAD)
        verify_webhook(SECRET[len("whsec_"):], headers, PAYLOAD)

    def test_header_names_are_case_insensitive(self) -> None:
        headers = {k.title(): v for k, v in headers_at(int(time.time())).items()}
        self.assertEqual(verify_webhook(SECRET, headers, PAYLOAD), {"test": 2432232314})

    def test_a_missing_header_fails(self) -> None:
        for name in ("webhook-id", "webhook-timestamp", "webhook-signature"):
            headers = headers_at(int(time.time()))
            del headers[name]
            with self.subTest(name), self.assertRaisesRegex(WebhookVerificationError, "missing"):
                verify_webhook(SECRET, headers, PAYLOAD)

    def test_a_timestamp_that_is_not_a_number_fails(self) -> None:
        headers = {**headers_at(int(time.time())), "webhook-timestamp": "hello"}
        with self.assertRaisesRegex(WebhookVerificationError, "not a Unix time"):
            verify_webhook(SECRET, headers, PAYLOAD)

    def test_an_invalid_or_partial_signature_fails(self) -> None:
        headers = headers_at(int(time.time()))
        for signature in ("v1,dawfeoifkpqwoekfpqoekf", headers["webhook-signature"][:8], "v1,"):
            with self.subTest(signature), self.assertRaisesRegex(WebhookVerificationError, "no matching signature"):
                verify_webhook(SECRET, {**headers, "webhook-signature": signature}, PAYLOAD)

    def test_timestamps_past_the_tolerance_fail_either_way(self) -> None:
        now = int(time.time())
        with self.assertRaisesRegex(WebhookVerificationError, "too old"):
            verify_webhook(SECRET, headers_at(now - 301), PAYLOAD, now=now)
        with self.assertRaisesRegex(WebhookVerificationError, "too new"):
            verify_webhook(SECRET, headers_at(now + 301), PAYLOAD, now=now)

    def test_one_matching_signature_among_several_is_enough(self) -> None:
        headers = headers_at(int(time.time()))
        decoy = "v1,Ceo5qEr07ixe2NLpvHk3FH9bwy/WavXrAFQ/9tdO6mc="
        signatures = " ".join([decoy, "v2,Ceo5qEr07ixe2NLpvHk3FH9bwy/WavXrAFQ/9tdO6mc=", headers["webhook-signature"], decoy])
        self.assertEqual(verify_webhook(SECRET, {**headers, "webhook-signature": signatures}, PAYLOAD), {"test": 2432232314})

    def test_a_secret_that_is_not_base64_is_a_usage_error(self) -> None:
        with self.assertRaisesRegex(ValueError, "whsec_ followed by base64"):
            verify_webhook("whsec_not base64!", headers_at(int(time.time())), PAYLOAD)


if __name__ == "__main__":
    unittest.main()
