"""What each test module needs beyond Python, as pytest markers: `-m "not browser"` and the like.

- redis: the test Redis (`SAFESPACES_TEST_REDIS`, started by scripts/test-redis), or redis-server itself
- models: the trained models in models/ (`make train`) and the action server
- browser: Debian's chromium, driven by Playwright

One table for the whole suite, so a module's needs are seen in one place; a test module missing from it
stops the collection (tests/conftest.py), so none can be forgotten.
"""

from __future__ import annotations

MARKERS = {
    "redis": "needs the test Redis (SAFESPACES_TEST_REDIS; scripts/test-redis starts one)",
    "models": "needs the trained models (make train) and runs the action server",
    "browser": "drives Debian's chromium through Playwright",
}

NEEDS: dict[str, frozenset[str]] = {
    name: frozenset(needs.split())
    for name, needs in {
        "test_action_outage": "models",
        "test_actions": "",
        "test_architecture": "",
        "test_channel_contract": "redis models",
        "test_chat_wipe": "redis models",
        "test_console": "redis browser",
        "test_console_api": "redis",
        "test_console_inbox": "redis browser",
        "test_console_record": "redis browser",
        "test_console_insights": "redis browser",
        "test_console_language": "redis browser",
        "test_console_queue": "redis browser",
        "test_console_shift": "redis browser",
        "test_console_tools": "redis browser",
        "test_content": "",
        "test_conversations": "redis models",
        "test_delivery": "redis models",
        "test_evidence": "redis models",
        "test_evidence_sharing": "redis models",
        "test_evidence_dates": "",
        "test_fault_walk": "",
        "test_fuzz": "redis models",
        "test_handoff": "redis models",
        "test_handoff_browser": "redis models browser",
        "test_hardening": "redis models",
        "test_hours": "",
        "test_i18n": "",
        "test_inbox": "redis models",
        "test_inbox_export": "redis",
        "test_insights": "redis",
        "test_keywords": "models",
        "test_learning_cycle": "redis models",
        "test_language": "models",
        "test_lease": "models",
        "test_log_privacy": "redis models",
        "test_long_conversation": "redis models",
        "test_names": "",
        "test_nlg": "",
        "test_nlu": "models",
        "test_ops": "redis models",
        "test_pending": "redis",
        "test_rasa_redis_timeouts": "",
        "test_redis_restart": "redis",
        "test_rest_channel": "redis models",
        "test_retried_scripts": "redis",
        "test_safe_time": "",
        "test_safety": "redis models",
        "test_scrub": "",
        "test_sealing": "redis models",
        "test_settings": "",
        "test_sms": "redis models",
        "test_staff": "redis",
        "test_storage": "redis models",
        "test_stories": "models",
        "test_telegram": "redis models",
        "test_test_redis": "redis",
        "test_turn_stages": "redis models",
        "test_twilio": "redis models",
        "test_upgrade": "redis",
        "test_webchat": "redis models browser",
        "test_whatsapp": "redis models",
    }.items()
}
