"""Use cases: each one checks permission, changes state, writes its audit event, in one transaction."""
