"""Custom actions: walk playbooks, offer help, hand off. They send response keys, never text."""
