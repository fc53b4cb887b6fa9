"""Leads: every request for a manager, kept durably and delivered to each configured place.

book.py (the lead book), intake.py (a lead from a conversation), config.py (destinations),
destinations.py and job.py (the managers' Telegram chat and e-mail, sent by `wewall worker`),
telegram.py (the managers' buttons), cli.py (`wewall leads …`).
"""
