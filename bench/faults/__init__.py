"""The fault soak (`make soak`, `python -m bench.faults [--quick] [--keep]`): Telegram traffic through
nginx to two gateway replicas while a replica, Redis, the action server and the provider fail in turn,
then a check that every update was answered exactly once and in order. See docs/operations.md.

    processes.py  the soak's own redis-server, nginx, replicas and action server, killed at will
    walk.py       the script every conversation follows, and the check of what a chat received
    run.py        the phases, the faults, the senders and the report
"""
