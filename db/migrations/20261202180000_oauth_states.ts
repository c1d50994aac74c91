import { sql, type Kysely } from 'kysely'

// The OAuth states that have completed a login. A state is signed and self-expiring, so only
// its use needs remembering, and only until it expires: a second callback with the same state
// finds its row and is refused. The SHA-256 of the state is kept, not the state.
export async function up (db: Kysely<any>): Promise<void> {
  await sql`
    create table oauth_states (
      state_hash bytea primary key check (octet_length(state_hash) = 32),
      expires_at timestamptz not null,
      used_at timestamptz not null default now()
    );
    create index oauth_states_expiry on oauth_states (expires_at);
  `.execute(db)
}

export async function down (db: Kysely<any>): Promise<void> {
  await sql`drop table oauth_states`.execute(db)
}
