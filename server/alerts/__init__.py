"""Alert rules: which accounts are announced, where, and how often.

    rules.py     the channels, triggers and limits of a rule, checked from a form
    timing.py    cooldown and quiet hours (pure: times in, times out)
    messages.py  the message of each channel: Slack Block Kit, a Teams card, an e-mail
    mailer.py    sending an e-mail through the operator's SMTP server
    dispatch.py  deciding, holding and sending alerts (the jobs of server/jobs/alerts.py)
    digest.py    the daily or weekly e-mail of new hot accounts

A rule's alert about an account is an `AlertDelivery` row: the row is the
cooldown's memory, holds the alert through quiet hours, and records the outcome.
"""
