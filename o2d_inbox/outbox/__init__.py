"""The durable outbox: the queue of mutations with their Idempotency-Keys (queue.py), the
dispatcher that sends them and follows their operations (dispatcher.py), and the compliance
checks before a message goes out (compliance.py). Headless (no Textual)."""
