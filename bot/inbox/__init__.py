"""The consent-first inbox of messages the assistant did not understand (issue 16, §1): scrubbing."""
