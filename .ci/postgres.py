"""Create or drop a throw-away PostgreSQL database for the test suite; exit 1 if none answers."""

import sys

import psycopg
from psycopg import sql


def main(action: str, admin_url: str, name: str) -> int:
    try:
        with psycopg.connect(admin_url, autocommit=True, connect_timeout=3) as connection:
            if action == "create":
                connection.execute(sql.SQL("CREATE DATABASE {}").format(sql.Identifier(name)))
            else:
                connection.execute(
                    sql.SQL("DROP DATABASE IF EXISTS {} WITH (FORCE)").format(sql.Identifier(name))
                )
    except psycopg.Error as error:
        print(f"PostgreSQL not used: {error}".strip(), file=sys.stderr)
        return 1
    return 0


if __name__ == "__main__":
    sys.exit(main(*sys.argv[1:4]))
