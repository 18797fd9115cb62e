"""Use cases: each one checks permission, changes state and writes its audit event, in one transaction.

The transactions are not `durable`: the Django admin wraps its views in a transaction of its own.
"""
