-- A PostgreSQL role for VITALS_AGGREGATE_DATABASE_URL: it reads what the aggregates read and
-- can do nothing else that outlives or escapes the aggregate's read-only transaction.
-- docs/database.md explains each statement and what the role does not stop.
--
-- Run as a superuser, in the database the aggregates read:
--   psql "$ADMIN_URL" -v ON_ERROR_STOP=1 -v role=vitals_aggregates \
--        -v password="$PASSWORD" -v app_role=app -f aggregate-reader.sql
-- then grant SELECT on the tables the aggregates read (and nothing else):
--   GRANT SELECT ON jobs, orders TO vitals_aggregates;
-- `app_role` is the role the service (and the application) connect as: it keeps the functions
-- revoked from PUBLIC below. Grant them to every other role that uses them, too.
-- `connection_limit` (optional, default -1: no limit) caps the role's connections. Every replica
-- and collector keeps up to VITALS_AGGREGATE_POOL_SIZE (default 2) of them open, idle ones
-- included, and a replica refused a connection reads `up 0` for every aggregate: a limit must be
-- at least (replicas + collectors) x VITALS_AGGREGATE_POOL_SIZE, with room for a rollout's surge.

\if :{?connection_limit}
\else
\set connection_limit -1
\endif

SELECT current_database() AS dbname \gset

CREATE ROLE :"role" LOGIN PASSWORD :'password'
    NOSUPERUSER NOCREATEDB NOCREATEROLE NOREPLICATION NOBYPASSRLS NOINHERIT
    CONNECTION LIMIT :connection_limit;
ALTER ROLE :"role" SET default_transaction_read_only = on;
GRANT CONNECT ON DATABASE :"dbname" TO :"role";
GRANT USAGE ON SCHEMA public TO :"role";

-- Functions executable by PUBLIC that act outside the query even in a READ ONLY transaction:
-- session advisory locks (held by a pooled connection after the aggregate ends), transaction
-- advisory locks, session settings (set_config(..., false) outlives the transaction), NOTIFY,
-- signalling other sessions of the same role, creating large objects. PostgreSQL has no
-- per-role "deny": a function can be withheld from one role only by revoking it from PUBLIC
-- (in this database only) and granting it back to the roles that use it.
REVOKE EXECUTE ON FUNCTION
    pg_advisory_lock(bigint), pg_advisory_lock(integer, integer),
    pg_advisory_lock_shared(bigint), pg_advisory_lock_shared(integer, integer),
    pg_try_advisory_lock(bigint), pg_try_advisory_lock(integer, integer),
    pg_try_advisory_lock_shared(bigint), pg_try_advisory_lock_shared(integer, integer),
    pg_advisory_xact_lock(bigint), pg_advisory_xact_lock(integer, integer),
    pg_advisory_xact_lock_shared(bigint), pg_advisory_xact_lock_shared(integer, integer),
    pg_try_advisory_xact_lock(bigint), pg_try_advisory_xact_lock(integer, integer),
    pg_try_advisory_xact_lock_shared(bigint), pg_try_advisory_xact_lock_shared(integer, integer),
    set_config(text, text, boolean),
    pg_notify(text, text),
    pg_cancel_backend(integer), pg_terminate_backend(integer, bigint),
    lo_creat(integer), lo_create(oid), lo_from_bytea(oid, bytea)
    FROM PUBLIC;
GRANT EXECUTE ON FUNCTION
    pg_advisory_lock(bigint), pg_advisory_lock(integer, integer),
    pg_advisory_lock_shared(bigint), pg_advisory_lock_shared(integer, integer),
    pg_try_advisory_lock(bigint), pg_try_advisory_lock(integer, integer),
    pg_try_advisory_lock_shared(bigint), pg_try_advisory_lock_shared(integer, integer),
    pg_advisory_xact_lock(bigint), pg_advisory_xact_lock(integer, integer),
    pg_advisory_xact_lock_shared(bigint), pg_advisory_xact_lock_shared(integer, integer),
    pg_try_advisory_xact_lock(bigint), pg_try_advisory_xact_lock(integer, integer),
    pg_try_advisory_xact_lock_shared(bigint), pg_try_advisory_xact_lock_shared(integer, integer),
    set_config(text, text, boolean),
    pg_notify(text, text),
    pg_cancel_backend(integer), pg_terminate_backend(integer, bigint),
    lo_creat(integer), lo_create(oid), lo_from_bytea(oid, bytea)
    TO :"app_role";
