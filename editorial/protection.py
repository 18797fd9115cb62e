"""Records the database itself keeps from being changed: triggers on SQLite and PostgreSQL, and the roles
and privileges of a least-privilege PostgreSQL set-up.

Append-only tables refuse UPDATE and DELETE (and, on PostgreSQL, TRUNCATE): the audit trail and the
records a signature or an approval rests on. The audit chain head moves only by appending an event that
continues the chain: a BEFORE INSERT trigger refuses an event that does not follow the head, an AFTER
INSERT trigger moves the head (so an append is one INSERT after the head's lock), and the head refuses any
other change. Whoever owns the tables can still drop these triggers; the signed checkpoints kept outside
the database (editorial.checkpoints) catch what they could then rewrite.
"""

from __future__ import annotations

# Written once, never changed or deleted by the application.
APPEND_ONLY_TABLES = (
    "editorial_auditevent",
    "articles_revision",
    "articles_reference",
    "reviewers_conflictdeclaration",
    "reviewers_decision",
    "reviewers_revisionapproval",
    "reviewers_revisionapproval_decisions",
)
CHAIN_HEAD = "editorial_auditchainhead"
# The test suite's flush truncates every table; on PostgreSQL it sets this for its own connections. Only the
# table owner holds TRUNCATE at all (see grant_statements), and the owner could drop the trigger anyway.
ALLOW_TRUNCATE_SETTING = "editorial.allow_truncate"

_PG_FUNCTIONS = [
    """CREATE OR REPLACE FUNCTION editorial_refuse_change() RETURNS trigger AS $$
       BEGIN RAISE EXCEPTION '% is append-only', TG_TABLE_NAME USING ERRCODE = 'insufficient_privilege'; END;
       $$ LANGUAGE plpgsql""",
    f"""CREATE OR REPLACE FUNCTION editorial_refuse_truncate() RETURNS trigger AS $$
       BEGIN
         IF current_setting('{ALLOW_TRUNCATE_SETTING}', true) = 'on' THEN RETURN NULL; END IF;
         RAISE EXCEPTION '% is append-only', TG_TABLE_NAME USING ERRCODE = 'insufficient_privilege';
       END; $$ LANGUAGE plpgsql""",
    """CREATE OR REPLACE FUNCTION editorial_audit_check_append() RETURNS trigger AS $$
       DECLARE head RECORD;
       BEGIN
         SELECT seq, hash INTO head FROM editorial_auditchainhead WHERE id = 1;
         IF NEW.seq <> head.seq + 1 OR NEW.prev_hash <> head.hash THEN
           RAISE EXCEPTION 'audit event % does not continue the chain at %', NEW.seq, head.seq
             USING ERRCODE = 'integrity_constraint_violation';
         END IF;
         RETURN NEW;
       END; $$ LANGUAGE plpgsql""",
    # SECURITY DEFINER: it runs as the tables' owner, so the application role needs no UPDATE on the head.
    """CREATE OR REPLACE FUNCTION editorial_audit_advance_head() RETURNS trigger AS $$
       BEGIN
         UPDATE editorial_auditchainhead SET seq = NEW.seq, hash = NEW.hash WHERE id = 1;
         RETURN NULL;
       END; $$ LANGUAGE plpgsql SECURITY DEFINER SET search_path FROM CURRENT""",
    """CREATE OR REPLACE FUNCTION editorial_audit_check_head() RETURNS trigger AS $$
       BEGIN
         IF NEW.id <> OLD.id OR NEW.seq <> OLD.seq + 1
            OR NEW.hash IS DISTINCT FROM (SELECT hash FROM editorial_auditevent WHERE seq = NEW.seq) THEN
           RAISE EXCEPTION 'the audit chain head moves only to the event just appended'
             USING ERRCODE = 'insufficient_privilege';
         END IF;
         RETURN NEW;
       END; $$ LANGUAGE plpgsql""",
]


def _pg_triggers() -> list[str]:
    statements = []
    for table in APPEND_ONLY_TABLES:
        statements += [
            f"""CREATE TRIGGER {table}_append_only BEFORE UPDATE OR DELETE ON {table}
                FOR EACH ROW EXECUTE FUNCTION editorial_refuse_change()""",
            f"""CREATE TRIGGER {table}_no_truncate BEFORE TRUNCATE ON {table}
                FOR EACH STATEMENT EXECUTE FUNCTION editorial_refuse_truncate()""",
        ]
    return [
        *statements,
        """CREATE TRIGGER editorial_auditevent_continues_chain BEFORE INSERT ON editorial_auditevent
           FOR EACH ROW EXECUTE FUNCTION editorial_audit_check_append()""",
        """CREATE TRIGGER editorial_auditevent_advances_head AFTER INSERT ON editorial_auditevent
           FOR EACH ROW EXECUTE FUNCTION editorial_audit_advance_head()""",
        f"""CREATE TRIGGER {CHAIN_HEAD}_moves_forward BEFORE UPDATE ON {CHAIN_HEAD}
            FOR EACH ROW EXECUTE FUNCTION editorial_audit_check_head()""",
        f"""CREATE TRIGGER {CHAIN_HEAD}_no_delete BEFORE DELETE ON {CHAIN_HEAD}
            FOR EACH ROW EXECUTE FUNCTION editorial_refuse_change()""",
        f"""CREATE TRIGGER {CHAIN_HEAD}_no_truncate BEFORE TRUNCATE ON {CHAIN_HEAD}
            FOR EACH STATEMENT EXECUTE FUNCTION editorial_refuse_truncate()""",
    ]


def _pg_trigger_names() -> list[tuple[str, str]]:
    names = [(f"{t}_append_only", t) for t in APPEND_ONLY_TABLES]
    names += [(f"{t}_no_truncate", t) for t in APPEND_ONLY_TABLES]
    return [
        *names,
        ("editorial_auditevent_continues_chain", "editorial_auditevent"),
        ("editorial_auditevent_advances_head", "editorial_auditevent"),
        (f"{CHAIN_HEAD}_moves_forward", CHAIN_HEAD),
        (f"{CHAIN_HEAD}_no_delete", CHAIN_HEAD),
        (f"{CHAIN_HEAD}_no_truncate", CHAIN_HEAD),
        # The first version's trigger (migration 0002), replaced by the ones above.
        ("editorial_auditevent_no_update_delete", "editorial_auditevent"),
    ]


def _sqlite_refuse(table: str, operation: str) -> str:
    return (
        f"CREATE TRIGGER {table}_no_{operation.lower()} BEFORE {operation} ON {table} "
        f"BEGIN SELECT RAISE(ABORT, '{table} is append-only'); END"
    )


def _sqlite_triggers() -> list[str]:
    statements = [_sqlite_refuse(t, op) for t in APPEND_ONLY_TABLES for op in ("UPDATE", "DELETE")]
    return [
        *statements,
        """CREATE TRIGGER editorial_auditevent_continues_chain BEFORE INSERT ON editorial_auditevent
           WHEN NEW.seq <> (SELECT seq FROM editorial_auditchainhead WHERE id = 1) + 1
             OR NEW.prev_hash <> (SELECT hash FROM editorial_auditchainhead WHERE id = 1)
           BEGIN SELECT RAISE(ABORT, 'audit event does not continue the chain'); END""",
        """CREATE TRIGGER editorial_auditevent_advances_head AFTER INSERT ON editorial_auditevent
           BEGIN UPDATE editorial_auditchainhead SET seq = NEW.seq, hash = NEW.hash WHERE id = 1; END""",
        f"""CREATE TRIGGER {CHAIN_HEAD}_moves_forward BEFORE UPDATE ON {CHAIN_HEAD}
            WHEN NEW.id <> OLD.id OR NEW.seq <> OLD.seq + 1
              OR NEW.hash IS NOT (SELECT hash FROM editorial_auditevent WHERE seq = NEW.seq)
            BEGIN SELECT RAISE(ABORT, 'the audit chain head moves only to the event just appended'); END""",
        _sqlite_refuse(CHAIN_HEAD, "DELETE"),
    ]


def _sqlite_trigger_names() -> list[str]:
    names = [f"{t}_no_{op}" for t in APPEND_ONLY_TABLES for op in ("update", "delete")]
    return [
        *names,
        "editorial_auditevent_continues_chain",
        "editorial_auditevent_advances_head",
        f"{CHAIN_HEAD}_moves_forward",
        f"{CHAIN_HEAD}_no_delete",
    ]


def remove_statements(vendor: str) -> list[str]:
    if vendor == "postgresql":
        return [f"DROP TRIGGER IF EXISTS {name} ON {table}" for name, table in _pg_trigger_names()]
    if vendor == "sqlite":
        return [f"DROP TRIGGER IF EXISTS {name}" for name in _sqlite_trigger_names()]
    return []


def install_statements(vendor: str) -> list[str]:
    """The statements that (re)install every protection: safe to run again."""
    if vendor == "postgresql":
        return [*_PG_FUNCTIONS, *remove_statements(vendor), *_pg_triggers()]
    if vendor == "sqlite":
        return [*remove_statements(vendor), *_sqlite_triggers()]
    return []


def run(connection, statements: list[str]) -> None:
    with connection.cursor() as cursor:
        for statement in statements:
            cursor.execute(statement)


def install(connection) -> None:
    run(connection, install_statements(connection.vendor))


def remove(connection) -> None:
    run(connection, remove_statements(connection.vendor))


# --- Least privilege on PostgreSQL -----------------------------------------------------------------------


def _ident(name: str) -> str:
    if not name.replace("_", "").isalnum():
        raise ValueError(f"{name!r} is not a plain role or database name")
    return f'"{name}"'


def role_statements(*, owner: str, app: str, database: str, tables: list[str]) -> list[str]:
    """Give the tables to `owner` (who runs migrations) and let `app` (the running application) read and write
    them without owning any: no TRUNCATE, no trigger rights, no DDL, and no UPDATE or DELETE on the
    append-only tables or the chain head. Run as a superuser, after the roles exist."""
    owner_q, app_q, db_q = _ident(owner), _ident(app), _ident(database)
    statements = [
        f"GRANT CONNECT, TEMPORARY ON DATABASE {db_q} TO {app_q}",
        f"GRANT ALL ON DATABASE {db_q} TO {owner_q}",
        f"ALTER SCHEMA public OWNER TO {owner_q}",
        "REVOKE CREATE ON SCHEMA public FROM PUBLIC",
        f"GRANT USAGE ON SCHEMA public TO {app_q}",
    ]
    statements += [f"ALTER TABLE {_ident(table)} OWNER TO {owner_q}" for table in tables]
    statements += [
        f"REVOKE ALL ON ALL TABLES IN SCHEMA public FROM {app_q}",
        f"GRANT SELECT, INSERT, UPDATE, DELETE ON ALL TABLES IN SCHEMA public TO {app_q}",
        f"GRANT USAGE, SELECT ON ALL SEQUENCES IN SCHEMA public TO {app_q}",
        f"ALTER DEFAULT PRIVILEGES FOR ROLE {owner_q} IN SCHEMA public "
        f"GRANT SELECT, INSERT, UPDATE, DELETE ON TABLES TO {app_q}",
        f"ALTER DEFAULT PRIVILEGES FOR ROLE {owner_q} IN SCHEMA public GRANT USAGE, SELECT ON SEQUENCES TO {app_q}",
    ]
    protected = [t for t in (*APPEND_ONLY_TABLES, CHAIN_HEAD) if t in tables]
    statements += [f"REVOKE UPDATE, DELETE, TRUNCATE ON {_ident(t)} FROM {app_q}" for t in protected]
    if CHAIN_HEAD in tables:
        # Appending locks the head row (SELECT … FOR UPDATE needs an UPDATE right on some column); `id` never
        # changes (the head's trigger refuses it), and seq and hash stay out of the application's reach.
        statements.append(f"GRANT UPDATE (id) ON {_ident(CHAIN_HEAD)} TO {app_q}")
    # The functions keep running as their owner (the head moves through a SECURITY DEFINER trigger).
    statements += [
        f"ALTER FUNCTION {name}() OWNER TO {owner_q}"
        for name in (
            "editorial_refuse_change",
            "editorial_refuse_truncate",
            "editorial_audit_check_append",
            "editorial_audit_advance_head",
            "editorial_audit_check_head",
        )
    ]
    return statements
