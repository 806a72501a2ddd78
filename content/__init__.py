"""Safety content as data: playbooks, resources and response texts, each item with its source."""
