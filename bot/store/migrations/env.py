"""Alembic's environment: runs the migrations on the connection `bot.store.migrate` hands over.

`Store.upgrade()` / `intake db upgrade` pass a connection that already holds the schema lock and
is inside a transaction; Alembic then leaves transaction handling to them. The `alembic` command
(developers: `alembic -c bot/store/alembic.ini revision --autogenerate -m ...`) comes here
without one: the database is INTAKE_DATABASE_URL (or `-x url=...`), opened through `Store` so the
same connection settings and the same lock apply.
"""

from __future__ import annotations

import os

from alembic import context
from sqlalchemy.engine import Connection

from bot.store.schema import metadata


def run(connection: Connection) -> None:
    context.configure(
        connection=connection,
        target_metadata=metadata,
        # SQLite alters most things by copying the table: autogenerate writes batch operations.
        render_as_batch=connection.dialect.name == "sqlite",
    )
    with context.begin_transaction():
        context.run_migrations()


def url() -> str:
    return (context.get_x_argument(as_dictionary=True).get("url")
            or os.environ.get("INTAKE_DATABASE_URL", "sqlite:///intake.sqlite3"))


def main() -> None:
    if context.is_offline_mode():  # `alembic upgrade head --sql`: the SQL for a DBA to run
        context.configure(url=url(), target_metadata=metadata, literal_binds=True)
        with context.begin_transaction():
            context.run_migrations()
        return
    connection = context.config.attributes.get("connection")
    if connection is not None:
        run(connection)
        return
    from bot.store import Store
    from bot.store.migrate import schema_lock

    store = Store(url())
    try:
        with schema_lock(store.engine) as conn:
            run(conn)
    finally:
        store.dispose()


main()
